/* SPDX-License-Identifier: MIT */
#include "store/state.hpp"

#include <algorithm>

namespace benchd::store {

const char *stateName(RunState state)
{
	switch (state) {
	case RunState::Queued:
		return "queued";
	case RunState::Preparing:
		return "preparing";
	case RunState::Running:
		return "running";
	case RunState::Parsing:
		return "parsing";
	case RunState::Completed:
		return "completed";
	case RunState::Failed:
		return "failed";
	case RunState::TimedOut:
		return "timed_out";
	case RunState::Aborted:
		return "aborted";
	}
	return "unknown";
}

std::optional<RunState> stateFromName(std::string_view name)
{
	for (RunState state : kRunStates)
		if (name == stateName(state))
			return state;
	return std::nullopt;
}

bool isTerminal(RunState state)
{
	switch (state) {
	case RunState::Completed:
	case RunState::Failed:
	case RunState::TimedOut:
	case RunState::Aborted:
		return true;
	case RunState::Queued:
	case RunState::Preparing:
	case RunState::Running:
	case RunState::Parsing:
		return false;
	}
	return false;
}

bool transitionAllowed(RunState from, RunState to)
{
	using S = RunState;
	switch (from) {
	case S::Queued:
		return to == S::Preparing || to == S::Aborted;
	case S::Preparing:
		/* failed: the sandbox could not be set up, or the daemon restarted. */
		return to == S::Running || to == S::Failed || to == S::Aborted;
	case S::Running:
		/*
		 * Every ending of the process is parsed first, cancel and deadline
		 * included; failed is for a sandbox that vanished (restart).
		 */
		return to == S::Parsing || to == S::Failed;
	case S::Parsing:
		return isTerminal(to);
	case S::Completed:
	case S::Failed:
	case S::TimedOut:
	case S::Aborted:
		return false;
	}
	return false;
}

const char *stateName(JobState state)
{
	switch (state) {
	case JobState::Queued:
		return "queued";
	case JobState::Running:
		return "running";
	case JobState::Completed:
		return "completed";
	case JobState::Failed:
		return "failed";
	case JobState::TimedOut:
		return "timed_out";
	case JobState::Aborted:
		return "aborted";
	}
	return "unknown";
}

std::optional<JobState> jobStateFromName(std::string_view name)
{
	for (JobState state : kJobStates)
		if (name == stateName(state))
			return state;
	return std::nullopt;
}

bool isTerminal(JobState state)
{
	return state != JobState::Queued && state != JobState::Running;
}

JobState deriveJobState(const std::vector<RunState> &states, bool cancelRequested)
{
	auto all = [&](auto pred) { return std::all_of(states.begin(), states.end(), pred); };
	auto any = [&](RunState wanted) {
		return std::find(states.begin(), states.end(), wanted) != states.end();
	};

	if (all([](RunState s) { return s == RunState::Queued; }))
		return JobState::Queued;
	if (!all([](RunState s) { return isTerminal(s); }))
		return JobState::Running;
	if (all([](RunState s) { return s == RunState::Completed; }))
		return JobState::Completed;
	if (cancelRequested && any(RunState::Aborted))
		return JobState::Aborted;
	if (any(RunState::TimedOut) && !any(RunState::Failed))
		return JobState::TimedOut;
	return JobState::Failed;
}

} /* namespace benchd::store */
