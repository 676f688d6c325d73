/* SPDX-License-Identifier: MIT */
/*
 * One run of a job: a cgroup leaf, a sandbox in it, and what both report.
 *
 * Run does not wait for anything itself. A driver (the blocking loop of
 * `benchd oneshot`, later the daemon's io_uring loop) watches pidfd() and
 * reportFd(), feeds what it reads, calls expire() at the deadline, and
 * finish() once init has exited. So both drivers share the same rules for
 * what a run's result is.
 */
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "cgroups/manager.hpp"
#include "runner/result.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/report.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/seccomp.hpp"

namespace benchd::runner {

/* What every run of a process shares. Borrowed. */
struct RunContext {
	cgroups::Manager &cgroups;
	const sandbox::SeccompProgram &seccomp;
};

struct RunRequest {
	std::string name; /* cgroup leaf name, unique among live runs */
	cgroups::Limits limits;
};

/* Raw facts a run ends with; classify() turns them into a RunResult. */
struct Observation {
	std::optional<Error> setupError;
	std::optional<Error> execError;
	std::optional<int> jobStatus;  /* wait status from init's Exited record */
	std::optional<siginfo_t> init; /* how init itself ended */
	bool timedOut = false;
	uint64_t wallMs = 0;
	std::optional<cgroups::Usage> usage;
	std::optional<Error> usageError;
};

RunResult classify(const Observation &obs);

class Run
{
public:
	/* Create the leaf, clone the sandbox into it and let it go. */
	static Result<std::unique_ptr<Run>> start(RunContext &ctx, const RunRequest &request,
						  const sandbox::Plan &plan,
						  const sandbox::Stdio &io);

	int pidfd() const { return sandbox_.pidfd(); }
	int reportFd() const { return sandbox_.reportFd(); }
	pid_t pid() const { return sandbox_.pid(); }
	bool jobStarted() const { return started_; }

	/* Bytes read from reportFd(). */
	void onReport(std::string_view bytes);

	/* The deadline passed: kill everything in the leaf. */
	void expire();

	/* Ask politely (SIGTERM to the job via init). */
	Status terminate();

	/* Kill everything now (cgroup.kill), e.g. on cancel. */
	Status kill();

	/* Non-blocking: has init exited? (reaps it when so) */
	Result<bool> pollExit();

	/*
	 * After pollExit() said yes, without blocking: read what is left of
	 * the report pipe (it has no writer any more) and kill leftovers.
	 */
	void collect();

	/* Is anything still alive in the leaf? Wake-ups: POLLPRI on leafEventsFd(). */
	Result<bool> leafPopulated() const { return leaf_->populated(); }
	int leafEventsFd() const { return leaf_->eventsFd(); }

	/* Once the leaf is empty: read the figures, remove the leaf, classify. */
	RunResult finalize();

	/* collect(), wait for the leaf to empty, finalize(): for blocking drivers. */
	RunResult finish();

	/* The observation so far (what the job's init has reported). */
	const Observation &observation() const { return obs_; }

	~Run() = default;

private:
	Run(std::unique_ptr<cgroups::Leaf> leaf, sandbox::Sandbox sandbox);

	std::unique_ptr<cgroups::Leaf> leaf_;
	sandbox::Sandbox sandbox_;
	sandbox::RecordReader reader_;
	Observation obs_;
	bool started_ = false;
	std::chrono::steady_clock::time_point startTime_;
};

} /* namespace benchd::runner */
