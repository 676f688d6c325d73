/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's bookkeeping (private to scheduler/).
 *
 * Sizes: R runs known, J jobs, U users with jobs, O orgs with jobs.
 *  - runs:     RunId -> job, hashed. A pending run costs one index entry
 *              plus 8 bytes in its job's pending vector.
 *  - job:      pending runs stored reversed (back() starts next), so a
 *              pick is pop_back() and a retry is push_back(): O(1).
 *  - user:     two seq-ordered sets: active jobs with room to start a run
 *              (`startable`), and jobs not started yet (`queued`).
 *  - ready:    the round-robin ring: users whose own caps (active jobs,
 *              job parallelism) let something start now, least recently
 *              served first (by `turn`). Serving a user moves it to the
 *              back; a user new to the scheduler joins at the back. A user
 *              skipped for a cap shared with others (an org) keeps its
 *              place, so it is first when the org has room again: users
 *              inside one capped org are served round-robin too. Users
 *              blocked only by themselves are not in the ring, so they cost
 *              pick() nothing.
 */
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "policy.hpp"
#include "scheduler/scheduler.hpp"

namespace benchd::scheduler {

struct Org {
	uint32_t running = 0;
	uint32_t cap = 0; /* orgCap() of the current limits */
	uint32_t jobs = 0; /* jobs referring to it; forgotten at 0 */
};

struct User;

struct Job {
	JobInfo info;
	uint64_t seq = 0; /* submission order: FIFO within a user */
	User *user = nullptr;
	Org *org = nullptr; /* null: no org */
	std::vector<RunId> pending; /* reversed: back() is next */
	uint32_t running = 0;
	bool active = false;
};

struct BySeq {
	bool operator()(const Job *a, const Job *b) const { return a->seq < b->seq; }
};

struct User {
	uint32_t uid = 0;
	uint64_t turn = 0; /* when last served (or arrived); the ring's key */
	std::set<Job *, BySeq> startable; /* active, with room for a run */
	std::set<Job *, BySeq> queued;	  /* not started; all have pending runs */
	uint32_t activeJobs = 0;
	size_t pendingRuns = 0;
	size_t runningRuns = 0;
	uint64_t usedMilli = 0;
};

struct RunRef {
	Job *job;
	bool running;
};

struct Scheduler::State {
	Limits limits;

	std::unordered_map<JobId, Job> jobs; /* node-based: Job* stay valid */
	std::unordered_map<uint32_t, User> users;
	std::unordered_map<std::string, Org> orgs;
	std::unordered_map<RunId, RunRef> runs;
	std::map<uint64_t, User *> ready; /* by User::turn */

	uint64_t clock = 0; /* for User::turn */
	uint64_t nextSeq = 0;

	/* Totals over every user, kept as they change. */
	uint64_t usedMilli = 0;
	size_t pendingRuns = 0;
	size_t queuedJobs = 0;
	size_t activeJobs = 0;
	size_t runningRuns = 0;

	explicit State(Limits l) : limits(std::move(l)) {}

	/* Re-file a job / a user in the index after any of its counters changed. */
	void placeJob(Job &job);
	void placeUser(User &user);
	/* Re-file everything (new limits). */
	void placeAll();

	/* The user's first job in FIFO order that judge() does not skip. */
	std::pair<Verdict, Job *> chooseJob(const User &user) const;
	Candidate candidateOf(const Job &job) const;

	RunId start(Job &job);
	void finish(Job &job);
	/* Forget a job with nothing pending or running (and its user, its org). */
	void retire(Job &job);

	Org *orgFor(const std::string &name);
};

} /* namespace benchd::scheduler */
