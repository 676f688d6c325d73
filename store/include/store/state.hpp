/* SPDX-License-Identifier: MIT */
/*
 * The life of a run, and of a job, as pure functions.
 *
 *   queued    -> preparing | aborted
 *   preparing -> running | failed | aborted
 *   running   -> parsing | failed
 *   parsing   -> completed | failed | timed_out | aborted
 *
 * Every edge goes forward; terminal states (completed, failed, timed_out,
 * aborted) have none, so a late or repeated event can never move a run
 * back. A run that ends in any way while running (exit, deadline, cancel)
 * goes through parsing, where its result is read. The "failed" edges out
 * of preparing, running and parsing are also how the daemon closes runs it
 * finds unfinished after a restart. A retry is a new run (a new attempt),
 * never an edge back to queued.
 */
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

namespace benchd::store {

enum class RunState {
	Queued,
	Preparing,
	Running,
	Parsing,
	Completed,
	Failed,
	TimedOut,
	Aborted,
};

inline constexpr std::array kRunStates = {
	RunState::Queued,    RunState::Preparing, RunState::Running,  RunState::Parsing,
	RunState::Completed, RunState::Failed,	  RunState::TimedOut, RunState::Aborted,
};

/* "queued", "preparing", ..., "timed_out": the names stored and shown. */
const char *stateName(RunState state);
std::optional<RunState> stateFromName(std::string_view name);

bool isTerminal(RunState state);

/* Whether `from -> to` is one of the edges drawn above. */
bool transitionAllowed(RunState from, RunState to);

/* A job's state: the same names, without the short-lived run states. */
enum class JobState {
	Queued,
	Running,
	Completed,
	Failed,
	TimedOut,
	Aborted,
};

inline constexpr std::array kJobStates = {
	JobState::Queued, JobState::Running,  JobState::Completed,
	JobState::Failed, JobState::TimedOut, JobState::Aborted,
};

const char *stateName(JobState state);
std::optional<JobState> jobStateFromName(std::string_view name);

bool isTerminal(JobState state);

/*
 * A job's state from the latest attempt of each of its runs, first rule
 * that matches:
 *
 *  1. every run queued (or no runs)               -> queued
 *  2. any run not terminal                          -> running
 *     (preparing/running/parsing, or some finished and some still queued)
 *  3. every run completed                           -> completed
 *  4. cancel requested and any run aborted          -> aborted
 *  5. any run timed_out and none failed             -> timed_out
 *  6. otherwise (some failed, or aborted uncancelled) -> failed
 *
 * A cancel that came after every run completed leaves the job completed.
 */
JobState deriveJobState(const std::vector<RunState> &latestAttemptStates, bool cancelRequested);

} /* namespace benchd::store */
