/* SPDX-License-Identifier: MIT */
/*
 * Random submits, picks, finishes, retries, cancels and limit changes,
 * replayed from fixed seeds against a plain model of the rules. Checked
 * after every step: no cap or slot is exceeded by a start, a run starts at
 * most once and in its job's order, nothing is refused or held back that
 * the rules allow, the counters agree; and at the end every admitted run
 * that was not cancelled has run.
 */
#include <deque>
#include <map>
#include <random>
#include <set>

#include "helpers.hpp"

using namespace benchd::scheduler;
using namespace benchd::scheduler::test;

namespace {

struct ModelJob {
	uint32_t uid;
	std::string org;
	uint32_t parallel, weight;
	std::deque<RunId> pending; /* front starts next */
	uint32_t running = 0;
	bool active = false;
};

class Replay
{
public:
	explicit Replay(uint64_t seed) : rng_(seed), seed_(seed), s_(limits_) {}

	void step();
	void drainAndCheck();

private:
	uint32_t pickIn(uint32_t lo, uint32_t hi) { return std::uniform_int_distribution<uint32_t>(lo, hi)(rng_); }
	bool chance(int percent) { return pickIn(1, 100) <= uint32_t(percent); }

	uint32_t orgCapOf(const std::string &org) const;
	uint32_t activeJobsOf(uint32_t uid) const;
	size_t queuedJobsOf(uint32_t uid) const;
	uint32_t orgRunning(const std::string &org) const;
	uint64_t used() const;
	bool capsAllow(const ModelJob &job) const;

	void submit();
	void pick();
	void finishOne();
	void cancelOne();
	void newLimits(bool forDrain);
	void checkCounters();

	std::mt19937_64 rng_;
	uint64_t seed_;
	Limits limits_;
	Scheduler s_;
	std::map<JobId, ModelJob> jobs_;
	std::map<RunId, JobId> running_;
	std::set<RunId> added_, started_, cancelled_;
	JobId nextJob_ = 1;
	RunId nextRun_ = 1;
};

uint32_t Replay::orgCapOf(const std::string &org) const
{
	if (org.empty())
		return 0;
	auto it = limits_.orgCaps.find(org);
	return it != limits_.orgCaps.end() ? it->second : limits_.orgActiveRuns;
}

uint32_t Replay::activeJobsOf(uint32_t uid) const
{
	uint32_t n = 0;
	for (auto &[id, j] : jobs_)
		n += j.uid == uid && j.active;
	return n;
}

size_t Replay::queuedJobsOf(uint32_t uid) const
{
	size_t n = 0;
	for (auto &[id, j] : jobs_)
		n += j.uid == uid && !j.active;
	return n;
}

uint32_t Replay::orgRunning(const std::string &org) const
{
	uint32_t n = 0;
	for (auto &[id, j] : jobs_)
		n += j.org == org ? j.running : 0;
	return n;
}

uint64_t Replay::used() const
{
	uint64_t n = 0;
	for (auto &[id, j] : jobs_)
		n += uint64_t(j.running) * j.weight;
	return n;
}

/* Every rule but free capacity: could this job's next run start now? */
bool Replay::capsAllow(const ModelJob &j) const
{
	uint32_t cap = orgCapOf(j.org);
	return !j.pending.empty() && j.running < std::min(j.parallel, limits_.jobParallelRuns) &&
	       (j.active || activeJobsOf(j.uid) < limits_.userActiveJobs) &&
	       (cap == 0 || orgRunning(j.org) < cap) && j.weight <= limits_.slotsMilli;
}

void Replay::submit()
{
	uint32_t uid = pickIn(1, 6);
	benchd::Status ok = s_.admit(uid);
	bool fits = queuedJobsOf(uid) < limits_.userQueuedJobs;
	cr_assert_eq(ok.ok(), fits, "seed %llu: admit(%u) = %d with %zu queued of %u", (unsigned long long)seed_,
		     uid, ok.ok(), queuedJobsOf(uid), limits_.userQueuedJobs);
	if (!ok)
		return;
	static const char *const orgs[] = { "", "a", "b" };
	static const uint32_t weights[] = { 500, 1000, 2000 };
	JobInfo info;
	info.id = nextJob_++;
	info.uid = uid;
	info.org = orgs[pickIn(0, 2)];
	info.parallel = pickIn(1, 4);
	info.weightMilli = weights[pickIn(0, 2)];
	std::vector<RunId> runs(pickIn(1, 5));
	for (auto &r : runs) {
		r = nextRun_++;
		added_.insert(r);
	}
	cr_assert(s_.addJob(info, runs).ok());
	jobs_[info.id] = ModelJob{ .uid = uid, .org = info.org, .parallel = info.parallel,
				   .weight = info.weightMilli, .pending = { runs.begin(), runs.end() } };
}

void Replay::pick()
{
	auto r = s_.pick();
	uint64_t freeMilli = limits_.slotsMilli > used() ? limits_.slotsMilli - used() : 0;
	if (!r) {
		/*
		 * Nothing started: allowed when nothing is allowed to start,
		 * or when a run that is allowed but too heavy holds the turn.
		 */
		bool fitting = false, heavy = false;
		for (auto &[id, j] : jobs_) {
			if (!capsAllow(j))
				continue;
			(j.weight <= freeMilli ? fitting : heavy) = true;
		}
		cr_assert(!fitting || heavy, "seed %llu: nothing picked though a run fits",
			  (unsigned long long)seed_);
		return;
	}
	cr_assert(started_.insert(*r).second, "seed %llu: run %lld started twice", (unsigned long long)seed_,
		  (long long)*r);
	JobId id = 0;
	for (auto &[jid, j] : jobs_)
		if (!j.pending.empty() && j.pending.front() == *r)
			id = jid;
	cr_assert(id != 0, "seed %llu: run %lld is not next in any job", (unsigned long long)seed_,
		  (long long)*r);
	ModelJob &j = jobs_[id];
	cr_assert(capsAllow(j), "seed %llu: run %lld started against a cap", (unsigned long long)seed_,
		  (long long)*r);
	cr_assert(j.weight <= freeMilli, "seed %llu: run %lld started without room", (unsigned long long)seed_,
		  (long long)*r);
	j.pending.pop_front();
	j.running++;
	j.active = true;
	running_[*r] = id;
}

void Replay::finishOne()
{
	if (running_.empty())
		return;
	auto it = running_.begin();
	std::advance(it, pickIn(0, uint32_t(running_.size() - 1)));
	RunId run = it->first;
	JobId id = it->second;
	ModelJob &j = jobs_[id];
	if (chance(25)) { /* an infrastructure failure: retried first */
		RunId retry = nextRun_++;
		added_.insert(retry);
		cr_assert(s_.addRetry(id, retry).ok());
		j.pending.push_front(retry);
	}
	cr_assert(s_.finished(run).ok(), "seed %llu: finished(%lld)", (unsigned long long)seed_, (long long)run);
	running_.erase(it);
	j.running--;
	if (j.pending.empty() && j.running == 0)
		jobs_.erase(id);
}

void Replay::cancelOne()
{
	if (jobs_.empty() || chance(10)) {
		cr_assert(!s_.cancelJob(nextJob_ + 1000).ok());
		cr_assert(!s_.finished(nextRun_ + 1000).ok());
		return;
	}
	auto it = jobs_.begin();
	std::advance(it, pickIn(0, uint32_t(jobs_.size() - 1)));
	auto dropped = s_.cancelJob(it->first);
	cr_assert(dropped.ok());
	std::vector<RunId> want(it->second.pending.begin(), it->second.pending.end());
	cr_assert(*dropped == want, "seed %llu: cancel dropped %s, wanted %s", (unsigned long long)seed_,
		  str(*dropped).c_str(), str(want).c_str());
	cancelled_.insert(want.begin(), want.end());
	it->second.pending.clear();
	if (it->second.running == 0)
		jobs_.erase(it);
}

void Replay::newLimits(bool forDrain)
{
	Limits l;
	l.slotsMilli = 500 * pickIn(forDrain ? 4 : 1, 12);
	l.userActiveJobs = pickIn(forDrain ? 1 : 0, 3);
	l.userQueuedJobs = pickIn(1, 6);
	l.jobParallelRuns = pickIn(forDrain ? 1 : 0, 4);
	l.orgActiveRuns = pickIn(0, 2);
	if (chance(50))
		l.orgCaps["a"] = pickIn(forDrain ? 1 : 0, 3);
	limits_ = l;
	s_.setLimits(l);
}

void Replay::checkCounters()
{
	Stats st = s_.stats();
	size_t pending = 0, queued = 0, active = 0;
	for (auto &[id, j] : jobs_) {
		pending += j.pending.size();
		(j.active ? active : queued)++;
	}
	cr_assert_eq(st.slotsUsedMilli, used(), "seed %llu", (unsigned long long)seed_);
	cr_assert_eq(st.slotsTotalMilli, limits_.slotsMilli);
	cr_assert_eq(st.runningRuns, running_.size());
	cr_assert_eq(st.queuedRuns, pending);
	cr_assert_eq(st.queuedJobs, queued);
	cr_assert_eq(st.activeJobs, active);

	uint32_t uid = pickIn(1, 6);
	Stats mine = s_.statsOf(uid);
	cr_assert_eq(mine.activeJobs, activeJobsOf(uid));
	cr_assert_eq(mine.queuedJobs, queuedJobsOf(uid));
}

void Replay::step()
{
	uint32_t dice = pickIn(1, 100);
	if (dice <= 25)
		submit();
	else if (dice <= 65)
		pick();
	else if (dice <= 92)
		finishOne();
	else if (dice <= 97)
		cancelOne();
	else
		newLimits(false);
	checkCounters();
}

void Replay::drainAndCheck()
{
	newLimits(true); /* every weight fits, every cap lets something through */
	for (;;) {
		bool started = false;
		while (running_.size() < 1000) {
			size_t before = started_.size();
			pick();
			if (started_.size() == before)
				break;
			started = true;
		}
		if (!started && running_.empty())
			break;
		while (!running_.empty()) {
			auto it = running_.begin();
			cr_assert(s_.finished(it->first).ok());
			jobs_[it->second].running--;
			if (jobs_[it->second].pending.empty() && jobs_[it->second].running == 0)
				jobs_.erase(it->second);
			running_.erase(it);
		}
		checkCounters();
	}
	for (RunId r : added_)
		cr_assert(started_.count(r) + cancelled_.count(r) == 1,
			  "seed %llu: run %lld neither ran nor was cancelled", (unsigned long long)seed_,
			  (long long)r);
	cr_assert(jobs_.empty(), "seed %llu: %zu jobs left", (unsigned long long)seed_, jobs_.size());
	Stats st = s_.stats();
	cr_assert(st.queuedRuns == 0 && st.runningRuns == 0 && st.queuedJobs == 0 && st.activeJobs == 0);
}

} /* namespace */

Test(scheduler, random_operations_keep_every_invariant)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		Replay replay(seed);
		for (int i = 0; i < 2000; i++)
			replay.step();
		replay.drainAndCheck();
	}
}
