/* SPDX-License-Identifier: MIT */
/* Caps: per user, per job, per org, the host's slots and runs' weights. */
#include "helpers.hpp"

using namespace benchd::scheduler;
using namespace benchd::scheduler::test;

Test(scheduler, per_user_active_job_cap_holds_back_the_next_job)
{
	Scheduler s(slots(4)); /* userActiveJobs = 1 */
	add(s, { .id = 1, .uid = 1, .runs = 2, .parallel = 1 });
	add(s, { .id = 2, .uid = 1, .runs = 1 });

	expect_pick(s, runOf(1, 1));
	/* Three slots free, but job 2 waits for job 1 to finish entirely. */
	expect_pick(s, std::nullopt);
	cr_expect_eq(s.statsOf(1).activeJobs, 1u);
	cr_expect_eq(s.statsOf(1).queuedJobs, 1u);

	finish(s, runOf(1, 1));
	expect_pick(s, runOf(1, 2)); /* job 1 is still active: its next run */
	expect_pick(s, std::nullopt);
	finish(s, runOf(1, 2));
	expect_pick(s, runOf(2, 1));

	/* With a cap of two, both of a user's jobs run side by side. */
	Limits two = slots(4);
	two.userActiveJobs = 2;
	Scheduler t(two);
	add(t, { .id = 1, .uid = 1, .runs = 2, .parallel = 1 });
	add(t, { .id = 2, .uid = 1, .runs = 1 });
	add(t, { .id = 3, .uid = 1, .runs = 1 });
	expect_runs(pickAll(t), { runOf(1, 1), runOf(2, 1) });
}

Test(scheduler, queued_jobs_cap_refuses_naming_the_cap)
{
	Scheduler s(slots(4)); /* userQueuedJobs = 5 */
	for (JobId id = 1; id <= 5; id++) {
		cr_assert(s.admit(1001).ok(), "job %lld should be admitted", (long long)id);
		add(s, { .id = id, .uid = 1001 });
	}
	benchd::Status full = s.admit(1001);
	cr_assert(!full.ok());
	std::string message = full.error().message();
	cr_expect_str_eq(message.c_str(),
			 "queue full: user 1001 already has 5 queued jobs (limit user_queued_jobs = 5)");
	cr_expect(s.admit(1002).ok(), "another user's queue is its own");

	/* Once a job starts it is active, not queued: there is room again. */
	cr_assert(s.pick());
	cr_expect(s.admit(1001).ok());
}

Test(scheduler, job_parallelism_is_capped)
{
	Limits l = slots(20);
	l.jobParallelRuns = 3;
	Scheduler s(l);
	add(s, { .id = 1, .uid = 1, .runs = 10, .parallel = 8 }); /* asks more than the cap */
	add(s, { .id = 2, .uid = 2, .runs = 10, .parallel = 2 });

	expect_runs(pickAll(s), { runOf(1, 1), runOf(2, 1), runOf(1, 2), runOf(2, 2), runOf(1, 3) });
	cr_expect_eq(s.stats().runningRuns, 5u); /* 15 slots stay free */

	finish(s, runOf(2, 1));
	expect_pick(s, runOf(2, 3));
	expect_pick(s, std::nullopt);
}

Test(scheduler, org_cap_limits_runs_across_its_users)
{
	Limits l = slots(20);
	l.orgActiveRuns = 1;	  /* every org's default */
	l.orgCaps["acme"] = 2;	  /* acme's own */
	l.orgCaps["free"] = 0;	  /* no cap for this one */
	Scheduler s(l);
	for (uint32_t uid = 1; uid <= 3; uid++)
		add(s, { .id = uid, .uid = uid, .runs = 3, .parallel = 3, .org = "acme" });
	add(s, { .id = 4, .uid = 4, .runs = 3, .parallel = 3 }); /* no org */
	add(s, { .id = 5, .uid = 5, .runs = 3, .parallel = 3, .org = "other" });
	add(s, { .id = 6, .uid = 6, .runs = 2, .parallel = 2, .org = "free" });

	auto started = pickAll(s);
	int acme = 0, none = 0, other = 0, freeOrg = 0;
	for (RunId r : started) {
		JobId job = r / 10000;
		acme += job <= 3;
		none += job == 4;
		other += job == 5;
		freeOrg += job == 6;
	}
	cr_expect_eq(acme, 2, "acme runs: %d", acme);
	cr_expect_eq(none, 3);
	cr_expect_eq(other, 1);
	cr_expect_eq(freeOrg, 2);
	expect_runs(started, { runOf(1, 1), runOf(2, 1), runOf(4, 1), runOf(5, 1), runOf(6, 1),
			       runOf(4, 2), runOf(6, 2), runOf(4, 3) });

	/* An acme run ends: the acme user who has waited longest gets it. */
	finish(s, runOf(1, 1));
	expect_pick(s, runOf(3, 1));
	expect_pick(s, std::nullopt);
}

Test(scheduler, saturation_queues_instead_of_starting)
{
	Scheduler s(slots(2));
	for (uint32_t uid = 1; uid <= 5; uid++)
		add(s, { .id = uid, .uid = uid });
	expect_runs(pickAll(s), { runOf(1, 1), runOf(2, 1) });
	expect_pick(s, std::nullopt);

	Stats st = s.stats();
	cr_expect_eq(st.slotsUsedMilli, 2000u);
	cr_expect_eq(st.slotsTotalMilli, 2000u);
	cr_expect_eq(st.runningRuns, 2u);
	cr_expect_eq(st.queuedRuns, 3u);
	cr_expect_eq(st.queuedJobs, 3u);
	cr_expect_eq(st.activeJobs, 2u);

	finish(s, runOf(1, 1));
	expect_pick(s, runOf(3, 1));
	expect_pick(s, std::nullopt);
}

Test(scheduler, weights_use_fixed_point_slots)
{
	/* Two half-slot runs share one slot. */
	Scheduler half(slots(1));
	add(half, { .id = 1, .uid = 1, .runs = 3, .parallel = 3, .weightMilli = 500 });
	expect_runs(pickAll(half), { runOf(1, 1), runOf(1, 2) });
	cr_expect_eq(half.stats().slotsUsedMilli, 1000u);

	/*
	 * A two-slot run waits until two slots are free, and holds its turn
	 * meanwhile: the half-slot run behind it does not slip in, or a
	 * stream of small runs could starve it.
	 */
	Scheduler s(slots(2));
	add(s, { .id = 1, .uid = 1, .runs = 2, .parallel = 2, .weightMilli = 500 });
	add(s, { .id = 2, .uid = 2, .runs = 1, .weightMilli = 1000 });
	add(s, { .id = 3, .uid = 3, .runs = 1, .weightMilli = 2000 });
	expect_runs(pickAll(s), { runOf(1, 1), runOf(2, 1) }); /* 1500 used */
	cr_expect_eq(s.stats().slotsUsedMilli, 1500u);
	finish(s, runOf(2, 1));
	expect_pick(s, std::nullopt); /* 1500 free: not enough for 2000 */
	finish(s, runOf(1, 1));
	expect_pick(s, runOf(3, 1)); /* two slots free */
	expect_pick(s, std::nullopt);
	finish(s, runOf(3, 1));
	expect_pick(s, runOf(1, 2));

	/* A run heavier than the whole host never blocks the others. */
	Scheduler small(slots(1));
	add(small, { .id = 1, .uid = 1, .runs = 1, .weightMilli = 2000 });
	add(small, { .id = 2, .uid = 2, .runs = 1 });
	expect_pick(small, runOf(2, 1));
	finish(small, runOf(2, 1));
	expect_pick(small, std::nullopt);
	small.setLimits(slots(2));
	expect_pick(small, runOf(1, 1));
}

Test(scheduler, lowering_limits_at_runtime_touches_nothing_running)
{
	Limits l = slots(4);
	l.userActiveJobs = 4;
	Scheduler s(l);
	for (uint32_t uid = 1; uid <= 4; uid++)
		add(s, { .id = uid, .uid = uid, .runs = 3, .parallel = 3 });
	cr_assert_eq(pickAll(s).size(), 4u);

	Limits lower = slots(2);
	lower.jobParallelRuns = 1;
	s.setLimits(lower);
	Stats st = s.stats();
	cr_expect_eq(st.runningRuns, 4u, "running runs stay running");
	cr_expect_eq(st.slotsUsedMilli, 4000u);
	cr_expect_eq(st.slotsTotalMilli, 2000u);

	expect_pick(s, std::nullopt);
	finish(s, runOf(1, 1));
	expect_pick(s, std::nullopt); /* 3000 used of 2000 */
	finish(s, runOf(2, 1));
	expect_pick(s, std::nullopt); /* 2000 of 2000 */
	finish(s, runOf(3, 1));
	/* 1000 used: one slot free. Job 4 still runs its one allowed run. */
	expect_pick(s, runOf(1, 2));
	expect_pick(s, std::nullopt);

	/* Raising them again starts work at once. */
	s.setLimits(l);
	expect_runs(pickAll(s), { runOf(2, 2), runOf(3, 2) });
}
