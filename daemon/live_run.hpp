/* SPDX-License-Identifier: MIT */
/*
 * One run on the loop, from clone to its result: watches init's pidfd,
 * the report pipe, the deadline and the leaf's cgroup.events, and pumps
 * stdout/stderr into the run's log files. It tells its owner what
 * happened through Events; it never decides states itself.
 *
 * A run is finished when init has exited, the leaf is empty and both
 * output pipes reached EOF (so the logs are complete), in that order.
 */
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "log_pump.hpp"
#include "loop.hpp"
#include "runner/run.hpp"
#include "sandbox/uid_pool.hpp"

namespace benchd::daemon {

struct LogSummary {
	uint64_t stdoutBytes = 0;
	uint64_t stderrBytes = 0;
	bool truncated = false;
	std::string error;
};

class LiveRun
{
public:
	struct Events {
		std::function<void()> started;		     /* the job's execve was tried */
		std::function<void(int stream, uint64_t)> output; /* 1 stdout, 2 stderr: new size */
		std::function<void()> exited;		     /* init is gone: collecting */
		std::function<void(const runner::RunResult &, const LogSummary &)> finished;
	};

	struct Setup {
		runner::RunRequest request;
		const sandbox::Plan *plan;
		sandbox::UidLease uid;
		std::string logDir; /* stdout and stderr files go here */
		uint64_t logCapBytes;
		uint64_t timeoutMs; /* 0: none */
	};

	static Result<std::unique_ptr<LiveRun>> start(Loop &loop, runner::RunContext &ctx, Setup setup,
						      Events events);

	/* Kill everything now (cancel, shutdown). The run still finishes normally. */
	void kill();

	/* init exited long ago and the run never finished (its output never ended). */
	bool stuck() const;
	/* Finish now with what is known; the logs may be incomplete (and say so). */
	void forceFinish();

	pid_t pid() const { return run_->pid(); }

	~LiveRun();

private:
	LiveRun(Loop &loop, Events events);

	void watchReport();
	void onInitExit();
	void watchLeaf();
	void maybeFinish();

	Loop &loop_;
	Events events_;
	sandbox::UidLease uid_;
	std::unique_ptr<runner::Run> run_;
	std::shared_ptr<LogBudget> budget_;
	std::unique_ptr<LogPump> out_;
	std::unique_ptr<LogPump> err_;
	Op exitOp_;
	Op reportOp_;
	Op deadlineOp_;
	Op leafOp_;
	Op leafTimeoutOp_;
	bool startedSent_ = false;
	bool initExited_ = false;
	bool leafEmpty_ = false;
	bool finished_ = false;
	bool forced_ = false;
	std::chrono::steady_clock::time_point exitedAt_;
	std::string leafError_;
};

} /* namespace benchd::daemon */
