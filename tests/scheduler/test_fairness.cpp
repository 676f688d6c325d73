/* SPDX-License-Identifier: MIT */
/* Who goes next: round-robin across users, FIFO within one. */
#include "helpers.hpp"

using namespace benchd::scheduler;
using namespace benchd::scheduler::test;

Test(scheduler, round_robin_across_users_then_fifo_within_a_user)
{
	/* One slot, so each run finishes before the next is picked. */
	Scheduler s(slots(1));
	add(s, { .id = 4, .uid = 3, .runs = 1 });	  /* user 3 arrives first */
	add(s, { .id = 1, .uid = 1, .runs = 3 });	  /* user 1: two jobs */
	add(s, { .id = 2, .uid = 1, .runs = 2 });
	add(s, { .id = 3, .uid = 2, .runs = 3 });	  /* user 2: one job */

	/* Users in arrival order, one run per turn; within user 1, job 1 then job 2. */
	expect_runs(drain(s), { runOf(4, 1), runOf(1, 1), runOf(3, 1), runOf(1, 2), runOf(3, 2),
				runOf(1, 3), runOf(3, 3), runOf(2, 1), runOf(2, 2) });
	cr_expect_eq(s.stats().queuedRuns, 0u);
	cr_expect_eq(s.stats().activeJobs, 0u);
}

Test(scheduler, a_newcomer_joins_the_back_of_the_round)
{
	Scheduler s(slots(1));
	add(s, { .id = 1, .uid = 1, .runs = 3, .parallel = 3 });
	add(s, { .id = 2, .uid = 2, .runs = 3, .parallel = 3 });
	auto r = s.pick(); /* user 1 */
	finish(s, *r);
	add(s, { .id = 3, .uid = 3, .runs = 2, .parallel = 2 });
	/* User 2 was waiting before user 3 arrived; then it is round-robin. */
	expect_runs(drain(s), { runOf(2, 1), runOf(1, 2), runOf(3, 1), runOf(2, 2), runOf(1, 3),
				runOf(3, 2), runOf(2, 3) });
}

Test(scheduler, a_user_with_1000_queued_runs_cannot_starve_a_user_with_one)
{
	Scheduler s(slots(2));
	add(s, { .id = 1, .uid = 1000, .runs = 1000, .parallel = 10 });
	add(s, { .id = 2, .uid = 2000, .runs = 1 });
	expect_runs(pickAll(s), { runOf(1, 1), runOf(2, 1) });
	finish(s, runOf(2, 1));

	/*
	 * The user with one run arrives again while user 1000 holds the host.
	 * It joins the back of the ring, behind the turn user 1000 already
	 * has: it starts within one round (here two users, so by the second
	 * slot that frees), however many runs user 1000 has queued.
	 */
	RunId busy[2] = { runOf(1, 1), *s.pick() };
	for (int round = 0; round < 300; round++) {
		finish(s, busy[round % 2]);
		auto next = s.pick();
		cr_assert(next && *next / 10000 == 1, "round %d: picked %s", round, str(next).c_str());
		busy[round % 2] = *next;
	}
	add(s, { .id = 3, .uid = 2000, .runs = 1 });
	finish(s, busy[0]);
	auto turn = s.pick(); /* user 1000's turn, queued before user 2000 came back */
	cr_assert(turn && *turn / 10000 == 1);
	finish(s, busy[1]);
	expect_pick(s, runOf(3, 1));
}

Test(scheduler, users_inside_a_capped_org_take_turns)
{
	/*
	 * The org's one run goes round its users even while a user outside
	 * it keeps taking other slots: a user skipped for the org cap keeps
	 * its place in the ring.
	 */
	Limits l = slots(3);
	l.orgCaps["acme"] = 1;
	Scheduler s(l);
	add(s, { .id = 1, .uid = 1, .runs = 9, .parallel = 9, .org = "acme" });
	add(s, { .id = 2, .uid = 2, .runs = 9, .parallel = 9, .org = "acme" });
	add(s, { .id = 3, .uid = 3, .runs = 9, .parallel = 9, .org = "acme" });
	add(s, { .id = 4, .uid = 4, .runs = 99, .parallel = 2 });

	std::vector<uint32_t> acmeUsers;
	RunId acmeRun = *s.pick();
	acmeUsers.push_back(uint32_t(acmeRun / 10000));
	auto others = pickAll(s);
	cr_assert_eq(others.size(), 2u);
	for (int i = 0; i < 5; i++) {
		/* User 4's runs churn first, so the ring moves on past the org... */
		for (RunId r : others)
			finish(s, r);
		others = pickAll(s);
		/* ...then the org's run ends and the next org user must get it. */
		finish(s, acmeRun);
		acmeRun = *s.pick();
		acmeUsers.push_back(uint32_t(acmeRun / 10000));
	}
	std::vector<uint32_t> want = { 1, 2, 3, 1, 2, 3 };
	cr_expect(acmeUsers == want, "org runs went to users %u %u %u %u %u %u", acmeUsers[0],
		  acmeUsers[1], acmeUsers[2], acmeUsers[3], acmeUsers[4], acmeUsers[5]);
}
