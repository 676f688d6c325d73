/* SPDX-License-Identifier: MIT */
#include "scheduler/scheduler.hpp"

#include "state.hpp"

namespace benchd::scheduler {

namespace {

std::string runName(RunId run)
{
	return "run " + std::to_string(run);
}

std::string jobName(JobId job)
{
	return "job " + std::to_string(job);
}

} /* namespace */

Scheduler::Scheduler(Limits limits) : s_(std::make_unique<State>(std::move(limits))) {}
Scheduler::~Scheduler() = default;
Scheduler::Scheduler(Scheduler &&) noexcept = default;
Scheduler &Scheduler::operator=(Scheduler &&) noexcept = default;

void Scheduler::setLimits(Limits limits)
{
	s_->limits = std::move(limits);
	s_->placeAll();
}

const Limits &Scheduler::limits() const
{
	return s_->limits;
}

Status Scheduler::admit(uint32_t uid) const
{
	auto it = s_->users.find(uid);
	size_t queued = it != s_->users.end() ? it->second.queued.size() : 0;
	uint32_t cap = s_->limits.userQueuedJobs;
	if (queued < cap)
		return {};
	return Error::invalid("queue full: user " + std::to_string(uid) + " already has " +
			      std::to_string(queued) + " queued jobs (limit user_queued_jobs = " +
			      std::to_string(cap) + ")");
}

Status Scheduler::addJob(const JobInfo &info, const std::vector<RunId> &runs)
{
	State &s = *s_;
	std::string what = "add " + jobName(info.id);
	if (s.jobs.contains(info.id))
		return Error::invalid(what + ": the scheduler has it already");
	if (runs.empty())
		return Error::invalid(what + ": it has no runs");
	if (info.parallel == 0)
		return Error::invalid(what + ": parallel is 0");
	if (info.weightMilli == 0)
		return Error::invalid(what + ": weight is 0 milli-slots");

	Job &job = s.jobs[info.id];
	/* Index the runs first: a duplicate undoes only what was added. */
	for (size_t i = 0; i < runs.size(); i++) {
		if (s.runs.try_emplace(runs[i], RunRef{ &job, false }).second)
			continue;
		for (size_t k = 0; k < i; k++)
			s.runs.erase(runs[k]);
		s.jobs.erase(info.id);
		return Error::invalid(what + ": " + runName(runs[i]) + " is known already");
	}

	job.info = info;
	job.seq = s.nextSeq++;
	job.pending.assign(runs.rbegin(), runs.rend());
	job.org = s.orgFor(info.org);
	if (job.org)
		job.org->jobs++;
	auto [uit, newUser] = s.users.try_emplace(info.uid);
	User &user = uit->second;
	if (newUser) {
		user.uid = info.uid;
		user.turn = ++s.clock; /* joins at the back of the ring */
	}
	job.user = &user;

	user.queued.insert(&job);
	user.pendingRuns += runs.size();
	s.pendingRuns += runs.size();
	s.queuedJobs++;
	s.placeUser(user);
	return {};
}

Status Scheduler::addRetry(JobId jobId, RunId run)
{
	State &s = *s_;
	std::string what = "retry " + runName(run) + " of " + jobName(jobId);
	auto it = s.jobs.find(jobId);
	if (it == s.jobs.end())
		return Error::invalid(what + ": the job is not in the scheduler (finished or cancelled)");
	Job &job = it->second;
	if (!s.runs.try_emplace(run, RunRef{ &job, false }).second)
		return Error::invalid(what + ": the run is known already");

	job.pending.push_back(run); /* back() starts next */
	job.user->pendingRuns++;
	s.pendingRuns++;
	s.placeJob(job);
	s.placeUser(*job.user);
	return {};
}

/*
 * Cost: O(1) when the host is full. Otherwise one step per user passed
 * over, then O(log U + log J) to start the run. Users blocked by their own
 * caps are not in the ring, so only caps shared across users (orgs), or a
 * run heavier than the whole host, make pick() pass over anyone. Worst
 * case O(U) users, plus their skipped jobs, when nearly every waiting user
 * sits in an org at its cap: skipped users keep their place at the front
 * of the ring (bench/scheduler-pick measures it). Never O(runs).
 */
std::optional<RunId> Scheduler::pick()
{
	State &s = *s_;
	if (s.ready.empty() || s.usedMilli >= s.limits.slotsMilli)
		return std::nullopt;

	for (auto &[turn, user] : s.ready) {
		auto [verdict, job] = s.chooseJob(*user);
		if (verdict == Verdict::Start)
			return s.start(*job); /* changes the ring: return at once */
		if (verdict == Verdict::Wait)
			return std::nullopt; /* this user keeps the front */
	}
	return std::nullopt;
}

Status Scheduler::finished(RunId run)
{
	State &s = *s_;
	auto it = s.runs.find(run);
	if (it == s.runs.end())
		return Error::invalid("finished " + runName(run) + ": not in the scheduler");
	if (!it->second.running)
		return Error::invalid("finished " + runName(run) + ": it has not started");
	Job &job = *it->second.job;
	s.runs.erase(it);
	s.finish(job);
	return {};
}

Result<std::vector<RunId>> Scheduler::cancelJob(JobId jobId)
{
	State &s = *s_;
	auto it = s.jobs.find(jobId);
	if (it == s.jobs.end())
		return Error::invalid("cancel " + jobName(jobId) + ": not in the scheduler");
	Job &job = it->second;
	std::vector<RunId> dropped(job.pending.rbegin(), job.pending.rend());
	for (RunId run : dropped)
		s.runs.erase(run);
	job.pending.clear();
	job.user->pendingRuns -= dropped.size();
	s.pendingRuns -= dropped.size();

	if (job.running == 0) {
		s.retire(job);
	} else {
		s.placeJob(job);
		s.placeUser(*job.user);
	}
	return dropped;
}

Stats Scheduler::stats() const
{
	const State &s = *s_;
	return Stats{
		.slotsUsedMilli = uint32_t(s.usedMilli),
		.slotsTotalMilli = s.limits.slotsMilli,
		.queuedRuns = s.pendingRuns,
		.queuedJobs = s.queuedJobs,
		.activeJobs = s.activeJobs,
		.runningRuns = s.runningRuns,
	};
}

Stats Scheduler::statsOf(uint32_t uid) const
{
	const State &s = *s_;
	Stats out;
	out.slotsTotalMilli = s.limits.slotsMilli;
	auto it = s.users.find(uid);
	if (it == s.users.end())
		return out;
	const User &user = it->second;
	out.slotsUsedMilli = uint32_t(user.usedMilli);
	out.queuedRuns = user.pendingRuns;
	out.queuedJobs = user.queued.size();
	out.activeJobs = user.activeJobs;
	out.runningRuns = user.runningRuns;
	return out;
}

} /* namespace benchd::scheduler */
