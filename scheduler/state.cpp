/* SPDX-License-Identifier: MIT */
#include "state.hpp"

namespace benchd::scheduler {

void Scheduler::State::placeJob(Job &job)
{
	User &user = *job.user;
	if (job.active && jobHasRoom(limits, job.running, job.info.parallel, job.pending.size()))
		user.startable.insert(&job);
	else
		user.startable.erase(&job);
}

void Scheduler::State::placeUser(User &user)
{
	bool startable = !user.startable.empty() ||
			 (!user.queued.empty() && userMayActivate(limits, user.activeJobs));
	if (startable)
		ready.emplace(user.turn, &user);
	else
		ready.erase(user.turn);
}

void Scheduler::State::placeAll()
{
	for (auto &[name, org] : orgs)
		org.cap = orgCap(limits, name);
	for (auto &[id, job] : jobs)
		placeJob(job);
	for (auto &[uid, user] : users)
		placeUser(user);
}

Candidate Scheduler::State::candidateOf(const Job &job) const
{
	return Candidate{
		.weightMilli = job.info.weightMilli,
		.jobActive = job.active,
		.jobRunning = job.running,
		.jobParallel = job.info.parallel,
		.userActiveJobs = job.user->activeJobs,
		.hasOrg = job.org != nullptr,
		.orgRunning = job.org ? job.org->running : 0,
		.orgCap = job.org ? job.org->cap : 0,
	};
}

/*
 * Walks the user's startable active jobs and, when the user may activate
 * one more, its queued jobs, merged oldest first. Cost: O(log J) to the
 * first candidate, plus one step per candidate that judge() skips; only
 * caps shared across users (orgs) skip here, since the index already
 * dropped jobs blocked by their own caps.
 */
std::pair<Verdict, Job *> Scheduler::State::chooseJob(const User &user) const
{
	auto a = user.startable.begin();
	auto q = user.queued.begin();
	bool mayActivate = userMayActivate(limits, user.activeJobs);
	for (;;) {
		bool haveA = a != user.startable.end();
		bool haveQ = mayActivate && q != user.queued.end();
		Job *job;
		if (haveA && (!haveQ || (*a)->seq < (*q)->seq))
			job = *a++;
		else if (haveQ)
			job = *q++;
		else
			return { Verdict::Skip, nullptr };
		Verdict v = judge(limits, usedMilli, candidateOf(*job));
		if (v != Verdict::Skip)
			return { v, job };
	}
}

RunId Scheduler::State::start(Job &job)
{
	User &user = *job.user;
	if (!job.active) {
		user.queued.erase(&job);
		job.active = true;
		user.activeJobs++;
		queuedJobs--;
		activeJobs++;
	}
	ready.erase(user.turn); /* to the back of the ring (placeUser below) */
	user.turn = ++clock;

	RunId run = job.pending.back();
	job.pending.pop_back();
	runs.at(run).running = true;

	uint32_t w = job.info.weightMilli;
	job.running++;
	user.pendingRuns--;
	user.runningRuns++;
	user.usedMilli += w;
	pendingRuns--;
	runningRuns++;
	usedMilli += w;
	if (job.org)
		job.org->running++;

	placeJob(job);
	placeUser(user);
	return run;
}

void Scheduler::State::finish(Job &job)
{
	User &user = *job.user;
	uint32_t w = job.info.weightMilli;
	job.running--;
	user.runningRuns--;
	user.usedMilli -= w;
	runningRuns--;
	usedMilli -= w;
	if (job.org)
		job.org->running--;

	if (job.pending.empty() && job.running == 0) {
		retire(job);
		return;
	}
	placeJob(job);
	placeUser(user);
}

void Scheduler::State::retire(Job &job)
{
	User &user = *job.user;
	user.startable.erase(&job);
	if (job.active) {
		user.activeJobs--;
		activeJobs--;
	} else {
		user.queued.erase(&job);
		queuedJobs--;
	}
	if (job.org && --job.org->jobs == 0)
		orgs.erase(job.info.org);
	JobId id = job.info.id; /* a key inside the element erase() destroys */
	jobs.erase(id);		/* job is gone from here on */

	if (user.activeJobs == 0 && user.queued.empty()) {
		ready.erase(user.turn);
		uint32_t uid = user.uid; /* a key inside the element erase() destroys */
		users.erase(uid);
	} else {
		placeUser(user); /* an active place freed: a queued job may start */
	}
}

Org *Scheduler::State::orgFor(const std::string &name)
{
	if (name.empty())
		return nullptr;
	auto [it, added] = orgs.try_emplace(name);
	if (added)
		it->second.cap = orgCap(limits, name);
	return &it->second;
}

} /* namespace benchd::scheduler */
