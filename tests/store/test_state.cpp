/* SPDX-License-Identifier: MIT */
/* The run state machine and how a job's state follows its runs: pure functions. */
#include <set>
#include <utility>

#include <criterion/criterion.h>

#include "store/state.hpp"

using namespace benchd::store;
using S = RunState;

TestSuite(state);

Test(state, state_machine_allows_only_forward_edges)
{
	const std::set<std::pair<S, S>> edges = {
		{ S::Queued, S::Preparing },	{ S::Queued, S::Aborted },
		{ S::Preparing, S::Running },	{ S::Preparing, S::Failed },
		{ S::Preparing, S::Aborted },	{ S::Running, S::Parsing },
		{ S::Running, S::Failed },	{ S::Parsing, S::Completed },
		{ S::Parsing, S::Failed },	{ S::Parsing, S::TimedOut },
		{ S::Parsing, S::Aborted },
	};
	int allowed = 0;
	for (S from : kRunStates) {
		for (S to : kRunStates) {
			bool want = edges.count({ from, to }) == 1;
			cr_expect_eq(transitionAllowed(from, to), want, "%s -> %s: %s, wanted %s",
				     stateName(from), stateName(to),
				     transitionAllowed(from, to) ? "allowed" : "refused",
				     want ? "allowed" : "refused");
			if (!transitionAllowed(from, to))
				continue;
			allowed++;
			/* kRunStates is in life order: an edge never points back. */
			cr_expect_gt(int(to), int(from), "%s -> %s goes backwards", stateName(from),
				     stateName(to));
			cr_expect(!isTerminal(from), "terminal %s has an edge", stateName(from));
		}
	}
	cr_expect_eq(allowed, 11);
}

Test(state, preparing_never_goes_back_to_queued)
{
	cr_expect(!transitionAllowed(S::Preparing, S::Queued));
	for (S state : kRunStates)
		cr_expect(!transitionAllowed(state, S::Queued), "%s -> queued", stateName(state));
}

Test(state, names_round_trip_and_unknown_names_are_refused)
{
	for (S state : kRunStates)
		cr_expect(stateFromName(stateName(state)) == state, "%s", stateName(state));
	for (JobState state : kJobStates)
		cr_expect(jobStateFromName(stateName(state)) == state, "%s", stateName(state));
	cr_expect_str_eq(stateName(S::TimedOut), "timed_out");
	cr_expect(!stateFromName("Queued"));
	cr_expect(!stateFromName(""));
	/* A job is never "preparing" or "parsing": those are a run's moments. */
	cr_expect(!jobStateFromName("preparing"));
	cr_expect(!jobStateFromName("parsing"));
}

Test(state, job_state_is_derived_from_its_runs)
{
	struct Case {
		std::vector<S> runs;
		bool cancel;
		JobState want;
	} cases[] = {
		{ {}, false, JobState::Queued },
		{ { S::Queued, S::Queued }, false, JobState::Queued },
		{ { S::Queued, S::Queued }, true, JobState::Queued },
		{ { S::Preparing, S::Queued }, false, JobState::Running },
		{ { S::Parsing }, false, JobState::Running },
		/* Some finished, some still waiting for a slot. */
		{ { S::Completed, S::Queued }, false, JobState::Running },
		{ { S::Failed, S::Running }, false, JobState::Running },
		{ { S::Completed, S::Completed }, false, JobState::Completed },
		/* The cancel came after the last run completed. */
		{ { S::Completed, S::Completed }, true, JobState::Completed },
		{ { S::Completed, S::Aborted }, true, JobState::Aborted },
		{ { S::Failed, S::Aborted }, true, JobState::Aborted },
		{ { S::Completed, S::TimedOut }, false, JobState::TimedOut },
		{ { S::TimedOut, S::Aborted }, false, JobState::TimedOut },
		{ { S::TimedOut, S::Failed }, false, JobState::Failed },
		{ { S::Completed, S::Failed }, false, JobState::Failed },
		/* Aborted without a cancel (an operator, a shutdown) counts as failed. */
		{ { S::Completed, S::Aborted }, false, JobState::Failed },
	};
	for (const Case &c : cases) {
		std::string runs;
		for (S state : c.runs)
			runs += std::string(stateName(state)) + " ";
		JobState got = deriveJobState(c.runs, c.cancel);
		cr_expect_eq(got, c.want, "runs [%s] cancel=%d: %s, wanted %s", runs.c_str(), c.cancel,
			     stateName(got), stateName(c.want));
	}
}
