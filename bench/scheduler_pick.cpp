/* SPDX-License-Identifier: MIT */
/*
 * What pick() and finished() cost with many queued runs, and what a queued
 * run costs in memory. Prints figures; asserts nothing (tests do that).
 *
 * Steady state: the host is kept full; each round picks until nothing
 * fits, then finishes everything running, then tops the queue back up to
 * its size outside the timed parts. Times are per call, from batches
 * (one clock read per batch, not per call).
 */
#include <chrono>
#include <cstdio>
#include <malloc.h>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/scheduler.hpp"

using namespace benchd::scheduler;
using Clock = std::chrono::steady_clock;

namespace {

struct Feed {
	Feed(Scheduler &sched, uint32_t nUsers, uint32_t perJob, std::string orgName = "")
		: s(sched), users(nUsers), runsPerJob(perJob), org(std::move(orgName))
	{
	}

	Scheduler &s;
	uint32_t users;
	uint32_t runsPerJob;
	std::string org;
	JobId nextJob = 1;
	RunId nextRun = 1;
	uint32_t nextUser = 0;

	void addJob(uint32_t uid)
	{
		std::vector<RunId> runs(runsPerJob);
		for (auto &r : runs)
			r = nextRun++;
		JobInfo info;
		info.id = nextJob++;
		info.uid = uid;
		info.org = org;
		info.parallel = 10;
		(void)s.addJob(info, runs);
	}
	void fillTo(size_t queued)
	{
		while (s.stats().queuedRuns < queued) {
			addJob(1 + nextUser);
			nextUser = (nextUser + 1) % users;
		}
	}
};

double nsPer(Clock::duration d, uint64_t n)
{
	return n ? double(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / double(n) : 0.0;
}

void steadyState(size_t queued, uint32_t users)
{
	Limits limits;
	limits.slotsMilli = 64 * kMilliPerSlot;
	size_t before = mallinfo2().uordblks;
	Scheduler s(limits);
	uint32_t perJob = users == 1 ? 10 : uint32_t(std::max<size_t>(1, queued / users));
	Feed feed(s, users, perJob);
	feed.fillTo(queued);
	size_t after = mallinfo2().uordblks;

	Clock::duration pickTime{}, finishTime{};
	uint64_t picks = 0, finishes = 0;
	std::vector<RunId> running;
	while (picks < 300000) {
		auto t0 = Clock::now();
		for (;;) {
			picks++;
			auto r = s.pick();
			if (!r)
				break;
			running.push_back(*r);
		}
		auto t1 = Clock::now();
		for (RunId r : running)
			(void)s.finished(r);
		auto t2 = Clock::now();
		pickTime += t1 - t0;
		finishTime += t2 - t1;
		finishes += running.size();
		running.clear();
		feed.fillTo(queued);
	}
	std::printf("%7zu queued over %5u user(s): pick %6.0f ns  finished %6.0f ns  memory %5.1f bytes/queued run\n",
		    queued, users, nsPer(pickTime, picks), nsPer(finishTime, finishes),
		    double(after - before) / double(queued));
}

/*
 * The honest worst case: every waiting user but one is in an org at its
 * cap, and the one is last in the ring, so each pick passes over all the
 * others (caps shared across users are checked per pick, not indexed).
 */
void orgBlockedWorstCase(uint32_t blockedUsers)
{
	Limits limits;
	limits.slotsMilli = 64 * kMilliPerSlot;
	limits.orgCaps["big"] = 1;
	Scheduler s(limits);
	Feed blocked(s, blockedUsers, 10, "big");
	blocked.fillTo(size_t(blockedUsers) * 10);
	(void)s.pick(); /* the org's one run: now every other user of it is blocked */
	Feed outsider(s, 1, 1000);
	outsider.nextJob = 1u << 30;
	outsider.nextRun = 1ll << 40;
	outsider.addJob(UINT32_MAX);

	Clock::duration t{};
	const int n = 1000;
	for (int i = 0; i < n; i++) {
		auto t0 = Clock::now();
		auto r = s.pick();
		t += Clock::now() - t0;
		if (r)
			(void)s.finished(*r);
	}
	std::printf("worst case: pick passing over %u org-capped users: %.0f ns\n", blockedUsers,
		    nsPer(t, n));
}

} /* namespace */

int main()
{
	for (size_t queued : { 1000, 10000, 100000 })
		for (uint32_t users : { 1u, 10000u })
			steadyState(queued, std::min<uint32_t>(users, uint32_t(queued)));
	orgBlockedWorstCase(10000);
	return 0;
}
