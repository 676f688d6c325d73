/* SPDX-License-Identifier: MIT */
/*
 * `benchctl logs JOB`: a run's output on stdout, byte for byte, each chunk
 * written as it arrives. A dropped connection is picked up again from the
 * last offset.
 */
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/units.hpp"
#include "commands.hpp"
#include "format.hpp"

namespace benchd::ctl {

const Help kLogsHelp = {
	"logs JOB [--run N] [--stderr] [--follow]",
	R"(Write the output of one run of JOB to stdout exactly as the run wrote it:
byte for byte, binary safe, nothing added (not even a final newline).
Runs are numbered from 0; for a run that was retried, this is its latest
attempt. Output beyond the job's log cap was not kept; benchctl then says
so on stderr. If the connection to benchd breaks, benchctl reconnects and
goes on from the last byte it wrote (a few tries); if the run was started
again meanwhile (benchd restarted), it says so on stderr and writes the
new attempt's output from its start.
)",
	R"(  --run N              which of the job's runs (default 0)
  --stderr             the run's stderr instead of its stdout
  -f, --follow         keep writing as the run writes, until it has ended
                       and every byte arrived; a queued run is waited for
)",
	R"(  0  all of the output (so far, without --follow) was written
  1  benchd refused (no such job or run, another user's job), or stdout
     could not be written
)",
	R"(  benchctl logs 42
  benchctl logs 42 --run 2 --stderr
  benchctl logs --follow 42 | tee run0.log
)",
};

namespace {

struct LogsOptions {
	int64_t id = 0;
	uint32_t run = 0;
	bool stderrStream = false;
	bool follow = false;
};

/* The attempts in a Status reply, or nullptr. */
const Json *attemptsOf(const Json &status)
{
	auto job = status.find("job");
	if (job == status.end() || !job->is_object())
		return nullptr;
	auto attempts = job->find("attempts");
	return attempts != job->end() && attempts->is_array() ? &*attempts : nullptr;
}

/* The id of the latest attempt of run `index` in a Status reply; 0 if it has none. */
int64_t latestAttempt(const Json &status, uint32_t index)
{
	int64_t id = 0, best = -1;
	const Json *attempts = attemptsOf(status);
	for (const auto &run : attempts ? *attempts : Json::array()) {
		auto idx = intField(run, "index"), attempt = intField(run, "attempt"), rid = intField(run, "id");
		if (idx && attempt && rid && *idx == index && *attempt > best) {
			best = *attempt;
			id = *rid;
		}
	}
	return id;
}

class LogStream
{
public:
	LogStream(const Context &ctx, const LogsOptions &o) : ctx_(ctx), o_(o), follow_(o.follow) {}

	int run()
	{
		for (int failures = 0;;) {
			uint64_t before = offset_;
			auto done = once();
			if (done)
				return *done;
			if (offset_ != before)
				failures = 0; /* it was moving: the budget starts over */
			bool again = connected_ && isConnectionLoss(done.error()) && ++failures < kReconnectTries;
			if (!again)
				return connectFailed_ ? unreachable(done.error()) : lost(done.error());
			std::this_thread::sleep_for(std::chrono::milliseconds(reconnectDelayMs(failures)));
		}
	}

private:
	/* One connection: the exit code when the stream ended, an Error when the connection did. */
	Result<int> once()
	{
		connectFailed_ = false;
		auto client = Client::connect(ctx_.socket);
		if (!client) {
			connectFailed_ = true;
			return std::move(client).error();
		}
		connected_ = true;
		auto status = client->call(method("Status"), { { "id", o_.id } });
		if (!status)
			return std::move(status).error();
		if (!status->error.empty())
			return refused(*status);
		followAttempt(latestAttempt(status->parameters, o_.run));
		return stream(*client);
	}

	/* The Logs call on a connection: its exit code, or an Error when the connection broke. */
	Result<int> stream(Client &client)
	{
		Json params = { { "id", o_.id }, { "run", o_.run }, { "stream", o_.stderrStream ? "stderr" : "stdout" },
				{ "offset", offset_ } };
		if (follow_)
			params["follow"] = true;
		auto onReply = [this](const Reply &r) { return write(r); };
		auto last = client.callMore(method("Logs"), params, onReply, follow_ ? kQuietMs : Client::kReplyTimeoutMs);
		/*
		 * benchd ends a follow when the run has ended. Should that word
		 * never come, a quiet stream would hang us for ever: ask, and if
		 * the run is over, fetch what is left without following.
		 */
		while (follow_ && !last && last.error().code() == ETIMEDOUT && !outputError_) {
			if (attemptOver()) {
				follow_ = false;
				return once();
			}
			last = client.more(onReply, kQuietMs);
		}
		if (outputError_)
			return fail(kExitFailed, outputError_->message());
		if (!last)
			return std::move(last).error();
		if (!last->error.empty())
			return refused(*last);
		if (truncated_)
			note("the run wrote more than the job's log cap; the rest was not kept");
		return kExitOk;
	}

	/* Has the attempt we follow ended? Asked on a connection of its own; false when unsure. */
	bool attemptOver() const
	{
		auto client = Client::connect(ctx_.socket);
		auto status = client ? client->call(method("Status"), { { "id", o_.id } }) : Result<Reply>(client.error());
		if (!status || !status->error.empty())
			return false;
		const Json *attempts = attemptsOf(status->parameters);
		for (const auto &run : attempts ? *attempts : Json::array())
			if (intField(run, "id") == runId_)
				return isTerminalState(stringField(run, "state"));
		return false;
	}

	/*
	 * A daemon that restarted ran the interrupted run again as a new
	 * attempt, whose output starts over: an offset into the old one
	 * means nothing there.
	 */
	void followAttempt(int64_t latest)
	{
		if (runId_ && latest && latest != runId_) {
			note("run " + std::to_string(o_.run) + " of job " + std::to_string(o_.id) +
			     " was started again as a new attempt; its output follows from the start");
			offset_ = 0;
		}
		runId_ = latest;
	}

	Status write(const Reply &reply)
	{
		const Json &p = reply.parameters;
		auto data = protocol::base64Decode(stringField(p, "data", ""));
		auto offset = intField(p, "offset");
		if (!data || !offset)
			return Error(EPROTO, "benchd sent a Logs reply without base64 data and an offset");
		if (!data->empty()) {
			if (auto s = writeAll(STDOUT_FILENO, *data, "stdout"); !s) {
				outputError_ = s.error();
				return s;
			}
		}
		offset_ = static_cast<uint64_t>(*offset);
		truncated_ = truncated_ || p.value("truncated", false);
		return {};
	}

	/* How long a follow may stay quiet before we ask whether the run is over. */
	static constexpr int kQuietMs = 5000;

	const Context &ctx_;
	const LogsOptions &o_;
	bool follow_;
	uint64_t offset_ = 0;
	int64_t runId_ = 0;
	bool truncated_ = false;
	bool connected_ = false;     /* once: a later connect failure is worth retrying */
	bool connectFailed_ = false; /* the last Error came from connect */
	std::optional<Error> outputError_;
};

enum Opt { OptRun = 256, OptStderr };

const struct option kOptions[] = {
	{ "run", required_argument, nullptr, OptRun },
	{ "stderr", no_argument, nullptr, OptStderr },
	{ "follow", no_argument, nullptr, 'f' },
	{ "help", no_argument, nullptr, 'h' },
	{ nullptr, 0, nullptr, 0 },
};

} /* namespace */

int logsMain(const Context &ctx, int argc, char **argv)
{
	LogsOptions o;
	int opt;
	while ((opt = getopt_long(argc, argv, ":fh", kOptions, nullptr)) != -1) {
		switch (opt) {
		case 'h':
			printHelp(kLogsHelp);
			return kExitOk;
		case OptRun: {
			auto n = parseCount(optarg, 100000, "run");
			if (!n)
				return fail(kExitUsage, "--run: " + n.error().message());
			o.run = static_cast<uint32_t>(*n);
			break;
		}
		case OptStderr:
			o.stderrStream = true;
			break;
		case 'f':
			o.follow = true;
			break;
		default:
			return badOption("logs", opt, argv);
		}
	}
	if (optind == argc)
		return fail(kExitUsage, "logs: which job? benchctl logs JOB [--run N] [--stderr] [--follow]");
	if (argc - optind > 1)
		return fail(kExitUsage, std::string("logs: unexpected argument '") + argv[optind + 1] +
						"' (see benchctl logs --help)");
	auto id = parseJobId(argv[optind]);
	if (!id)
		return fail(kExitUsage, id.error().message());
	o.id = *id;
	return LogStream(ctx, o).run();
}

} /* namespace benchd::ctl */
