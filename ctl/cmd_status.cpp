/* SPDX-License-Identifier: MIT */
/*
 * `benchctl status [JOB]` and `benchctl list`: one job with its attempts
 * (Status), or a table of jobs and the daemon's capacity (List).
 */
#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/units.hpp"
#include "commands.hpp"
#include "view.hpp"

namespace benchd::ctl {

const Help kStatusHelp = {
	"status [JOB] [--json]",
	R"(With JOB, show that job: its state, owner, command, limits, how many of
its runs are done, when it was created and finished (local time), and a
table of every attempt of every run: RUN index, ATTEMPT, STATE, EXIT code
or signal, WALL time, CPU time (user + system), peak MEMORY, and the
REASON it ended so (exit_nonzero, timed_out, oom-killed, a setup error...).
Without JOB, list your jobs and benchd's capacity, as list does.
)",
	R"(  --json               print the job as benchd sent it; without JOB,
                       {"jobs": [...], "capacity": {...}}
)",
	R"(  0  the job (or the list) was shown
  1  benchd refused: no such job, or another user's
)",
	R"(  benchctl status 42
  benchctl status 42 --json | jq '.attempts[] | select(.state != "completed")'
  benchctl status
)",
};

const Help kListHelp = {
	"list [--state STATE] [--all] [--limit N] [--json]",
	R"(List jobs, newest first: ID, STATE, RUNS done of the job's total, AGE
since it was submitted, and its COMMAND (cut to fit a terminal), then
benchd's capacity: run slots used of its total, runs running, runs and
jobs queued.
)",
	R"(  --state STATE        only jobs in STATE: queued, running, completed,
                       failed, timed_out or aborted
  --all                every user's jobs, with a USER column (benchd grants
                       this to its admin group; others see their own)
  --limit N            at most N jobs (default 100)
  --json               print {"jobs": [...], "capacity": {...}} as benchd
                       sent it
)",
	R"(  0  the list was shown (even when empty)
  1  benchd refused
)",
	R"(  benchctl list --state running
  benchctl list --all --state queued
  benchctl list --json | jq -r '.jobs[] | [.id, .state] | @tsv'
)",
};

namespace {

const char *const kJobStates[] = { "queued", "running", "completed", "failed", "timed_out", "aborted" };

enum Opt { OptState = 256, OptAll, OptLimit, OptJson };

const struct option kStatusOptions[] = {
	{ "json", no_argument, nullptr, OptJson },
	{ "help", no_argument, nullptr, 'h' },
	{ nullptr, 0, nullptr, 0 },
};

const struct option kListOptions[] = {
	{ "state", required_argument, nullptr, OptState },
	{ "all", no_argument, nullptr, OptAll },
	{ "limit", required_argument, nullptr, OptLimit },
	{ "json", no_argument, nullptr, OptJson },
	{ "help", no_argument, nullptr, 'h' },
	{ nullptr, 0, nullptr, 0 },
};

struct ListOptions {
	Json params = Json::object();
	bool all = false;
	bool json = false;
};

size_t terminalWidth(const Context &ctx)
{
	struct winsize ws = {};
	if (ctx.stdoutTty && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		return ws.ws_col;
	return 0;
}

int showList(const Context &ctx, const ListOptions &o)
{
	Session session(ctx);
	auto reply = session.call("List", o.params);
	if (!reply)
		return session.exitCode();
	if (o.json) {
		std::fputs(renderJson(*reply).c_str(), stdout);
		return kExitOk;
	}
	std::fputs(renderJobList(*reply, { o.all, terminalWidth(ctx) }).c_str(), stdout);
	return kExitOk;
}

Status applyState(const std::string &v, ListOptions &o)
{
	for (const char *s : kJobStates)
		if (v == s) {
			o.params["state"] = v;
			return {};
		}
	return Error::invalid("unknown state '" + v + "' (queued, running, completed, failed, timed_out, aborted)");
}

} /* namespace */

int statusMain(const Context &ctx, int argc, char **argv)
{
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, ":h", kStatusOptions, nullptr)) != -1) {
		if (opt == 'h') {
			printHelp(kStatusHelp);
			return kExitOk;
		}
		if (opt != OptJson)
			return badOption("status", opt, argv);
		json = true;
	}
	if (argc - optind > 1)
		return fail(kExitUsage, std::string("status: unexpected argument '") + argv[optind + 1] +
						"' (see benchctl status --help)");
	if (optind == argc) {
		ListOptions o;
		o.json = json;
		return showList(ctx, o);
	}
	auto id = parseJobId(argv[optind]);
	if (!id)
		return fail(kExitUsage, id.error().message());
	Session session(ctx);
	auto reply = session.call("Status", { { "id", *id } });
	if (!reply)
		return session.exitCode();
	return printJobReply(*reply, json);
}

int listMain(const Context &ctx, int argc, char **argv)
{
	ListOptions o;
	int opt;
	while ((opt = getopt_long(argc, argv, ":h", kListOptions, nullptr)) != -1) {
		switch (opt) {
		case 'h':
			printHelp(kListHelp);
			return kExitOk;
		case OptState:
			if (auto s = applyState(optarg, o); !s)
				return fail(kExitUsage, "--state: " + s.error().message());
			break;
		case OptAll:
			o.all = true;
			o.params["all"] = true;
			break;
		case OptLimit: {
			auto n = parseCount(optarg, 100000, "limit");
			if (!n || *n == 0)
				return fail(kExitUsage, "--limit: " + (n ? "invalid limit '" + std::string(optarg) +
									   "': must be at least 1"
									 : n.error().message()));
			o.params["limit"] = *n;
			break;
		}
		case OptJson:
			o.json = true;
			break;
		default:
			return badOption("list", opt, argv);
		}
	}
	if (optind < argc)
		return fail(kExitUsage, std::string("list: unexpected argument '") + argv[optind] +
						"' (see benchctl list --help)");
	return showList(ctx, o);
}

} /* namespace benchd::ctl */
