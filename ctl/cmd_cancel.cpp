/* SPDX-License-Identifier: MIT */
/*
 * `benchctl cancel JOB` and `benchctl retry JOB`: one call each, then the
 * job as it stands afterwards.
 */
#include "commands.hpp"
#include "view.hpp"

namespace benchd::ctl {

const Help kCancelHelp = {
	"cancel JOB [--json]",
	R"(Stop JOB: its queued runs are dropped and its running ones killed; they
all end aborted. Then show the job as status JOB does (runs being killed
may still show running for a moment).
)",
	R"(  --json               print the job as benchd sent it
)",
	R"(  0  the job is being cancelled
  1  benchd refused: no such job, another user's, or it already finished
)",
	R"(  benchctl cancel 42
)",
};

const Help kRetryHelp = {
	"retry JOB [--json]",
	R"(Queue a new attempt of every run of the finished JOB that did not
complete (failed, timed_out or aborted), and show the job as status JOB
does. Earlier attempts stay in its table; logs shows the latest attempt.
)",
	R"(  --json               print the job as benchd sent it
)",
	R"(  0  new attempts were queued
  1  benchd refused: no such job, another user's, a job still going or
     whose every run completed, or a full queue
)",
	R"(  benchctl retry 42 && benchctl logs --follow 42
)",
};

namespace {

const struct option kOptions[] = {
	{ "json", no_argument, nullptr, 'j' },
	{ "help", no_argument, nullptr, 'h' },
	{ nullptr, 0, nullptr, 0 },
};

int jobAction(const Context &ctx, int argc, char **argv, const char *name, const char *method,
	      const Help &help)
{
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, ":h", kOptions, nullptr)) != -1) {
		if (opt == 'h') {
			printHelp(help);
			return kExitOk;
		}
		if (opt != 'j')
			return badOption(name, opt, argv);
		json = true;
	}
	if (optind == argc)
		return fail(kExitUsage, std::string(name) + ": which job? benchctl " + help.synopsis);
	if (argc - optind > 1)
		return fail(kExitUsage, std::string(name) + ": unexpected argument '" + argv[optind + 1] +
						"' (see benchctl " + name + " --help)");
	auto id = parseJobId(argv[optind]);
	if (!id)
		return fail(kExitUsage, id.error().message());
	Session session(ctx);
	/* Not retried on a lost connection: the first call may have acted. */
	auto reply = session.call(method, { { "id", *id } });
	if (!reply)
		return session.exitCode();
	return printJobReply(*reply, json);
}

} /* namespace */

int cancelMain(const Context &ctx, int argc, char **argv)
{
	return jobAction(ctx, argc, argv, "cancel", "Cancel", kCancelHelp);
}

int retryMain(const Context &ctx, int argc, char **argv)
{
	return jobAction(ctx, argc, argv, "retry", "Retry", kRetryHelp);
}

} /* namespace benchd::ctl */
