/* SPDX-License-Identifier: MIT */
/*
 * benchctl: global options, then a subcommand from the table.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <unistd.h>

#include "commands.hpp"

using namespace benchd::ctl;

namespace {

struct Command {
	const char *name;
	int (*run)(const Context &ctx, int argc, char **argv);
	const char *summary;
	const Help &help;
};

const Command kCommands[] = {
	{ "submit", submitMain, "queue a command as a job of one or more runs", kSubmitHelp },
	{ "status", statusMain, "show one job and its attempts, or your jobs", kStatusHelp },
	{ "list", listMain, "list jobs, newest first, and benchd's capacity", kListHelp },
	{ "logs", logsMain, "write a run's output, exactly, optionally as it comes", kLogsHelp },
	{ "cancel", cancelMain, "stop a job: drop its queued runs, kill its running ones", kCancelHelp },
	{ "retry", retryMain, "queue new attempts of a finished job's runs that did not complete",
	  kRetryHelp },
};

const char kIntro[] = R"(Usage: benchctl [--socket PATH] COMMAND [OPTION]... [ARG]...

Talk to benchd, the daemon that runs untrusted evaluation jobs in
sandboxes for many users, over its Varlink socket. benchd knows you by
your uid: you see and control your own jobs; members of its admin group
see everyone's. A job is one command run --runs times, each run in a
fresh sandbox with CPU, memory, process and time limits; a run that is
retried gets a new attempt.

Commands:
)";

const char kGlobal[] = R"(
Global options (before COMMAND):
  --socket PATH        talk to benchd at PATH (default: $BENCHD_SOCKET,
                       else /run/benchd/benchd.sock)
  -h, --help           show this help; benchctl COMMAND --help shows one
                       command's, as does benchctl help COMMAND
  --version            show benchctl's version
)";

const char kOutro[] = R"(
Output:
  Tables are for people: fixed columns, sizes in KiB/MiB/GiB, durations
  as 250ms, 1.5s or 2m3s, times in local time ($TZ). For scripts, --json
  prints what benchd sent, as one JSON document.

Environment:
  BENCHD_SOCKET        the socket when --socket is not given
  TZ                   the time zone times are shown in

Exit status:
  0  success; with submit --wait, every run of the job completed
  1  benchd refused the request (the reason is on stderr: no such job,
     another user's job, a full queue, an invalid value); or, with
     submit --wait, the job ended failed, timed_out or aborted
  2  usage error: an unknown option or a bad value; nothing was sent
  3  benchd could not be reached (stderr names the socket and why), or
     the connection broke or carried something other than its protocol

Examples:
  benchctl submit --cpus 2 --memory 2G --timeout 10m -- python3 eval.py
  benchctl submit --runs 5 --parallel 2 --meta task=t17 --wait -- ./solve
  id=$(benchctl submit -- make test) && benchctl logs --follow "$id"
  benchctl status 42
  benchctl list --state running --json | jq '.jobs[].id'
  benchctl logs 42 --run 3 --stderr > run3.err
  benchctl cancel 42
)";

void usage(FILE *out)
{
	std::fputs(kIntro, out);
	for (const auto &c : kCommands)
		std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
}

void fullHelp()
{
	usage(stdout);
	std::fputs(kGlobal, stdout);
	for (const auto &c : kCommands)
		std::printf("\nbenchctl %s\n%s", c.help.synopsis, c.help.options);
	std::fputs(kOutro, stdout);
}

const Command *find(const char *name)
{
	for (const auto &c : kCommands)
		if (!std::strcmp(name, c.name))
			return &c;
	return nullptr;
}

int unknownCommand(const char *name)
{
	return fail(kExitUsage, std::string("unknown command '") + name + "' (see benchctl --help)");
}

/* `benchctl help [COMMAND]` */
int helpCommand(int argc, char **argv)
{
	if (argc < 2) {
		fullHelp();
		return kExitOk;
	}
	const Command *c = find(argv[1]);
	if (!c)
		return unknownCommand(argv[1]);
	printHelp(c->help);
	return kExitOk;
}

} /* namespace */

int main(int argc, char **argv)
{
	enum { OptSocket = 256, OptVersion };
	static const struct option kOptions[] = {
		{ "socket", required_argument, nullptr, OptSocket },
		{ "help", no_argument, nullptr, 'h' },
		{ "version", no_argument, nullptr, OptVersion },
		{ nullptr, 0, nullptr, 0 },
	};
	Context ctx;
	if (const char *env = std::getenv("BENCHD_SOCKET"); env && *env)
		ctx.socket = env;
	ctx.stdoutTty = ::isatty(STDOUT_FILENO);
	ctx.stderrTty = ::isatty(STDERR_FILENO);

	opterr = 0;
	int opt;
	/* '+': the first word that is not an option is the command; its options are its own. */
	while ((opt = getopt_long(argc, argv, "+:h", kOptions, nullptr)) != -1) {
		switch (opt) {
		case OptSocket:
			if (!*optarg)
				return fail(kExitUsage, "--socket: the path is empty");
			ctx.socket = optarg;
			break;
		case 'h':
			fullHelp();
			return kExitOk;
		case OptVersion:
			std::puts("benchctl " BENCHD_VERSION);
			return kExitOk;
		default:
			return badOption(nullptr, opt, argv);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		std::fputs("\nbenchctl --help shows every option.\n", stderr);
		return kExitUsage;
	}
	const int first = optind;
	const char *name = argv[first];
	if (!std::strcmp(name, "help"))
		return helpCommand(argc - first, argv + first);
	const Command *c = find(name);
	if (!c)
		return unknownCommand(name);
	/* 0 makes getopt start over on the command's own argv. */
	optind = 0;
	return c->run(ctx, argc - first, argv + first);
}
