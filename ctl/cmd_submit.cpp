/* SPDX-License-Identifier: MIT */
/*
 * `benchctl submit`: check every value, send Submit, print the id; with
 * --wait, follow the job's state until it ends.
 */
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/units.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "protocol/supervisor.hpp"
#include "view.hpp"

namespace benchd::ctl {

const Help kSubmitHelp = {
	"submit [OPTION]... [--] CMD [ARG]...",
	R"(Queue CMD as a job of --runs identical runs and print the job's id: a bare
number on a line, for people and for $(...). Each run gets a fresh sandbox:
the host's root read-only with /root, /home, /run and /var/lib hidden, a
writable tmpfs at /work and /tmp, loopback-only network, an unprivileged uid
and a cgroup with the limits below. A limit not given takes benchd's
configured default; asking for more than its configured maximum is refused.
Every value is checked before anything is sent. Options end at CMD or --.
)",
	R"(  --cpus N             CPU time as a number of CPUs, e.g. 0.5 or 2
  --memory SIZE        memory limit per run, no swap, e.g. 512M, 2G
                       (at least 1M)
  --pids N             most processes and threads of a run at once
  --timeout DURATION   wall time per run before it is killed, e.g. 30s,
                       1.5s, 2m, 1h30m (a bare number is seconds)
  --tmpfs SIZE         size of the /work and /tmp tmpfs each (at least 4K)
  --runs N             identical runs of CMD (default 1, at most 100000)
  --parallel N         most of the job's runs at once (default: all of
                       them, up to benchd's job_parallel_runs)
  --env K=V            set an environment variable in every run
                       (repeatable); runs also get BENCHD_JOB_ID,
                       BENCHD_RUN_INDEX and BENCHD_ATTEMPT
  --meta K=V           label the job (repeatable); shown by status and
                       list --json, not seen by the runs
  --wait               then wait until the job has finished and print it
                       as status JOB does; while waiting, a progress line
                       (runs done/total) goes to stderr if it is a terminal.
                       Interrupting the wait leaves the job running.
  --json               print {"id": N}; with --wait, only the finished job
                       as a JSON object, as benchd sent it
)",
	R"(  0  the job was queued; with --wait, it finished and every run completed
  1  benchd refused the job (over a limit, a full queue); with --wait, the
     job ended failed, timed_out or aborted (its table says why)
)",
	R"(  benchctl submit -- /bin/sh -c 'echo hello'
  benchctl submit --cpus 0.5 --memory 256M --timeout 30s -- ./solve in.txt
  benchctl submit --runs 10 --parallel 4 --meta model=m1 --wait -- ./eval
  benchctl submit --json -- python3 grade.py | jq .id
)",
};

namespace {

struct SubmitOptions {
	protocol::SubmitParams params;
	bool wait = false;
	bool json = false;
};

enum Opt { OptCpus = 256, OptMemory, OptPids, OptTimeout, OptTmpfs, OptRuns, OptParallel,
	   OptEnv, OptMeta, OptWait, OptJson };

const struct option kOptions[] = {
	{ "cpus", required_argument, nullptr, OptCpus },
	{ "memory", required_argument, nullptr, OptMemory },
	{ "pids", required_argument, nullptr, OptPids },
	{ "timeout", required_argument, nullptr, OptTimeout },
	{ "tmpfs", required_argument, nullptr, OptTmpfs },
	{ "runs", required_argument, nullptr, OptRuns },
	{ "parallel", required_argument, nullptr, OptParallel },
	{ "env", required_argument, nullptr, OptEnv },
	{ "meta", required_argument, nullptr, OptMeta },
	{ "wait", no_argument, nullptr, OptWait },
	{ "json", no_argument, nullptr, OptJson },
	{ "help", no_argument, nullptr, 'h' },
	{ nullptr, 0, nullptr, 0 },
};

std::string optionName(int opt)
{
	for (const auto &o : kOptions)
		if (o.name && o.val == opt)
			return std::string("--") + o.name;
	return "option";
}

/* A size with a floor; the floors are the protocol's (protocol/supervisor.cpp). */
Result<uint64_t> sizeAtLeast(const std::string &v, uint64_t min, const char *minText)
{
	auto r = parseSize(v);
	if (r && *r < min)
		return Error::invalid("invalid size '" + v + "': must be at least " + minText);
	return r;
}

Result<uint64_t> countAtLeastOne(const std::string &v, uint64_t max, const char *what)
{
	auto r = parseCount(v, max, what);
	if (r && *r == 0)
		return Error::invalid(std::string("invalid ") + what + " '" + v + "': must be at least 1");
	return r;
}

Status keyValue(const std::string &v)
{
	if (v.empty() || v[0] == '=' || v.find('=') == std::string::npos)
		return Error::invalid("invalid '" + v + "': expected KEY=VALUE");
	return {};
}

/* One option's value into `o`; errors name the value, the caller names the option. */
Status apply(int opt, const std::string &v, SubmitOptions &o)
{
	auto &limits = o.params.limits;
	switch (opt) {
	case OptCpus: {
		auto r = parseMilliCpus(v);
		if (!r)
			return std::move(r).error();
		limits.cpuMillis = *r;
		return {};
	}
	case OptMemory:
	case OptTmpfs: {
		auto r = opt == OptMemory ? sizeAtLeast(v, 1 << 20, "1M") : sizeAtLeast(v, 4096, "4K");
		if (!r)
			return std::move(r).error();
		(opt == OptMemory ? limits.memoryBytes : limits.tmpfsBytes) = *r;
		return {};
	}
	case OptPids: {
		auto r = countAtLeastOne(v, 4194304, "pids");
		if (!r)
			return std::move(r).error();
		limits.pids = *r;
		return {};
	}
	case OptTimeout: {
		auto r = parseDurationMs(v);
		if (r && *r == 0)
			return Error::invalid("invalid duration '" + v + "': must be more than 0");
		if (!r)
			return std::move(r).error();
		limits.timeoutMs = *r;
		return {};
	}
	case OptRuns:
	case OptParallel: {
		auto r = countAtLeastOne(v, 100000, opt == OptRuns ? "runs" : "parallel");
		if (!r)
			return std::move(r).error();
		if (opt == OptRuns)
			o.params.runs = static_cast<uint32_t>(*r);
		else
			o.params.parallel = static_cast<uint32_t>(*r);
		return {};
	}
	case OptEnv:
		if (auto s = keyValue(v); !s)
			return s;
		o.params.env.push_back(v);
		return {};
	case OptMeta: {
		if (auto s = keyValue(v); !s)
			return s;
		size_t eq = v.find('=');
		o.params.meta[v.substr(0, eq)] = v.substr(eq + 1);
		return {};
	}
	}
	return Error::invalid("unknown option");
}

/* On a terminal, one line that keeps being rewritten. */
class Progress
{
public:
	explicit Progress(bool enabled) : enabled_(enabled) {}
	~Progress() { clear(); }

	void show(int64_t id, const Json &job)
	{
		if (!enabled_)
			return;
		std::string text = "job " + std::to_string(id) + ": " + printable(stringField(job, "state")) + ", " +
				   runsDone(job);
		if (shown_ && text == last_)
			return;
		std::fprintf(stderr, "\r\033[K%s", text.c_str());
		std::fflush(stderr);
		last_ = std::move(text);
		shown_ = true;
	}

	void clear()
	{
		if (shown_)
			std::fputs("\r\033[K", stderr);
		shown_ = false;
	}

private:
	bool enabled_;
	bool shown_ = false;
	std::string last_;
};

/* Follow the job's state until it ends; 0 only when every run completed. */
int waitForJob(const Context &ctx, Session &session, int64_t id, bool json)
{
	Progress progress(ctx.stderrTty);
	/* Quick jobs are seen quickly; long ones are asked about five times a second. */
	int delayMs = 25;
	for (;;) {
		auto reply = session.call("Status", { { "id", id } }, Retry::OnConnectionLoss);
		if (!reply)
			return session.exitCode();
		auto job = reply->find("job");
		if (job == reply->end() || !job->is_object())
			return fail(kExitUnreachable, "benchd's Status reply has no job");
		std::string state = stringField(*job, "state");
		if (isTerminalState(state)) {
			progress.clear();
			std::fputs(json ? renderJson(*job).c_str() : renderJob(*job).c_str(), stdout);
			return state == "completed" ? kExitOk : kExitFailed;
		}
		progress.show(id, *job);
		std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
		delayMs = std::min(delayMs * 2, 200);
	}
}

} /* namespace */

int submitMain(const Context &ctx, int argc, char **argv)
{
	SubmitOptions o;
	int opt;
	/* '+': the first operand starts CMD, so its own options stay its own. */
	while ((opt = getopt_long(argc, argv, "+:h", kOptions, nullptr)) != -1) {
		if (opt == 'h') {
			printHelp(kSubmitHelp);
			return kExitOk;
		}
		if (opt == '?' || opt == ':')
			return badOption("submit", opt, argv);
		if (opt == OptWait)
			o.wait = true;
		else if (opt == OptJson)
			o.json = true;
		else if (auto s = apply(opt, optarg, o); !s)
			return fail(kExitUsage, optionName(opt) + ": " + s.error().message());
	}
	for (int i = optind; i < argc; i++)
		o.params.argv.emplace_back(argv[i]);
	if (o.params.argv.empty())
		return fail(kExitUsage, "submit: no command given: benchctl submit [OPTION]... -- CMD [ARG]...");

	/* What the daemon would refuse on the wire, refused here without connecting. */
	Json params = protocol::toJson(o.params);
	auto checked = protocol::parseSubmit(params);
	if (auto *bad = std::get_if<protocol::InvalidArgument>(&checked))
		return fail(kExitUsage, "invalid " + bad->parameter + ": " + bad->reason);

	Session session(ctx);
	auto reply = session.call("Submit", params);
	if (!reply)
		return session.exitCode();
	auto id = intField(*reply, "id");
	if (!id)
		return fail(kExitUnreachable, "benchd's Submit reply has no id: " + reply->dump());
	if (!o.json || !o.wait) {
		std::string text = o.json ? renderJson({ { "id", *id } }) : std::to_string(*id) + "\n";
		std::fputs(text.c_str(), stdout);
		/* The id is out before a long wait: a script or an interrupted person still has it. */
		std::fflush(stdout);
	}
	if (!o.wait)
		return kExitOk;
	return waitForJob(ctx, session, *id, o.json);
}

} /* namespace benchd::ctl */
