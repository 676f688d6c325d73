/* SPDX-License-Identifier: MIT */
/* Retries, cancels and bad input. */
#include "helpers.hpp"

using namespace benchd::scheduler;
using namespace benchd::scheduler::test;

Test(scheduler, retry_goes_to_the_front_of_its_job)
{
	Scheduler s(slots(1));
	add(s, { .id = 1, .uid = 1, .runs = 3 });
	add(s, { .id = 2, .uid = 1, .runs = 1 });
	expect_pick(s, runOf(1, 1));

	/* Run 1 failed for an infrastructure reason: attempt 9 replaces it. */
	cr_assert(s.addRetry(1, runOf(1, 9)).ok());
	finish(s, runOf(1, 1));
	expect_runs(drain(s), { runOf(1, 9), runOf(1, 2), runOf(1, 3), runOf(2, 1) });
}

Test(scheduler, a_retry_of_a_jobs_last_run_keeps_the_job_active)
{
	Scheduler s(slots(2));
	add(s, { .id = 1, .uid = 1, .runs = 1 });
	add(s, { .id = 2, .uid = 1, .runs = 1 });
	expect_pick(s, runOf(1, 1));

	/* Retry first, then finish: the user's next job does not take the place. */
	cr_assert(s.addRetry(1, runOf(1, 2)).ok());
	finish(s, runOf(1, 1));
	expect_pick(s, runOf(1, 2));
	expect_pick(s, std::nullopt);
	finish(s, runOf(1, 2));
	expect_pick(s, runOf(2, 1));

	/* Once a job is over the scheduler has forgotten it. */
	benchd::Status late = s.addRetry(1, runOf(1, 3));
	cr_assert(!late.ok());
	std::string message = late.error().message();
	cr_expect(message.find("job 1") != std::string::npos, "%s", message.c_str());
}

Test(scheduler, cancel_removes_pending_runs_and_running_ones_finish)
{
	Scheduler s(slots(4));
	add(s, { .id = 1, .uid = 1, .runs = 5, .parallel = 2 });
	add(s, { .id = 2, .uid = 1, .runs = 1 });
	add(s, { .id = 3, .uid = 2, .runs = 2 });
	add(s, { .id = 4, .uid = 2, .runs = 1 });
	expect_runs(pickAll(s), { runOf(1, 1), runOf(3, 1), runOf(1, 2) });

	auto dropped = s.cancelJob(1);
	cr_assert(dropped.ok());
	expect_runs(*dropped, { runOf(1, 3), runOf(1, 4), runOf(1, 5) });
	Stats mine = s.statsOf(1);
	cr_expect_eq(mine.runningRuns, 2u, "running runs are left alone");
	cr_expect_eq(mine.queuedRuns, 1u); /* job 2's */
	cr_expect_eq(mine.activeJobs, 1u, "job 1 stays active until its runs end");
	expect_pick(s, std::nullopt);

	/* Cancelling again drops nothing more; a cancelled run cannot finish. */
	auto again = s.cancelJob(1);
	cr_assert(again.ok());
	cr_expect(again->empty());
	cr_expect(!s.finished(runOf(1, 3)).ok());

	finish(s, runOf(1, 1));
	expect_pick(s, std::nullopt); /* job 1 still has a run */
	finish(s, runOf(1, 2));
	expect_pick(s, runOf(2, 1)); /* job 1 is over: job 2 starts */

	/* A queued job goes at once, with all its runs, freeing its queue place. */
	auto queued = s.cancelJob(4);
	cr_assert(queued.ok());
	expect_runs(*queued, { runOf(4, 1) });
	cr_expect_eq(s.statsOf(2).queuedJobs, 0u);
	cr_expect(!s.cancelJob(4).ok(), "a job that is gone is unknown");
}

Test(scheduler, unknown_ids_are_harmless)
{
	Scheduler s(slots(2));
	add(s, { .id = 1, .uid = 1, .runs = 2 });
	auto running = s.pick();
	cr_assert(running);
	Stats before = s.stats();

	benchd::Status st = s.finished(424242);
	cr_assert(!st.ok());
	std::string message = st.error().message();
	cr_expect_str_eq(message.c_str(), "finished run 424242: not in the scheduler");
	cr_expect(!s.finished(runOf(1, 2)).ok(), "a pending run has not started");
	cr_expect(!s.cancelJob(77).ok());
	cr_expect(!s.addRetry(77, 1).ok());
	cr_expect(!s.addRetry(1, *running).ok(), "a run id already known");

	JobInfo dup;
	dup.id = 1;
	dup.uid = 9;
	cr_expect(!s.addJob(dup, { 5 }).ok(), "a job id already known");
	dup.id = 2;
	cr_expect(!s.addJob(dup, { 5, runOf(1, 2) }).ok(), "a run id of another job");
	cr_expect(!s.addJob(dup, {}).ok(), "no runs");
	dup.parallel = 0;
	cr_expect(!s.addJob(dup, { 6 }).ok(), "parallel 0");
	dup.parallel = 1;
	dup.weightMilli = 0;
	cr_expect(!s.addJob(dup, { 6 }).ok(), "weight 0");
	cr_expect(s.statsOf(9).queuedJobs == 0 && s.statsOf(9).queuedRuns == 0);

	Stats after = s.stats();
	cr_expect_eq(after.queuedRuns, before.queuedRuns);
	cr_expect_eq(after.runningRuns, before.runningRuns);
	cr_expect_eq(after.queuedJobs, before.queuedJobs);
	cr_expect_eq(after.activeJobs, before.activeJobs);
	cr_expect_eq(after.slotsUsedMilli, before.slotsUsedMilli);

	/* Nothing refused left a trace: run 5 can be used by a real job. */
	dup.weightMilli = 1000;
	cr_expect(s.addJob(dup, { 5 }).ok());
	finish(s, *running);
	expect_runs(drain(s), { runOf(1, 2), 5 });
}
