/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: which run starts next when a slot is free.
 *
 * A pure policy object. It does no I/O, reads no clock and makes no system
 * call: the daemon tells it about jobs, runs and limits, asks pick() when it
 * has room to start something, and reports each run's end with finished().
 * Everything is deterministic, so tests replay exact orders.
 *
 * Vocabulary:
 *  - A job has N runs (attempts of the same task). It is *queued* until one
 *    of its runs is picked, then *active* until every run of it has
 *    finished (or was cancelled); then the scheduler forgets it.
 *  - A run is *pending* until picked, then *running* until finished().
 *  - Capacity and every run's weight are in milli-slots (1000 = one slot),
 *    so classes weighing 0.5 or 2 slots need no change of units.
 *
 * Order: round-robin across users with startable work (least recently
 * served first, one run per turn; a newcomer joins at the back), then FIFO
 * within a user (oldest job first, a job's runs in order, retries in
 * front). A user skipped because its org is at its cap keeps its place. A run too heavy for the free capacity holds the
 * turn: nothing else starts until it fits, so a 2-slot run is never starved
 * by a stream of 1-slot runs (the price: up to its weight of capacity idles
 * while running runs drain). See policy.hpp for every constraint.
 *
 * Calls with ids the scheduler does not know return an Error and change
 * nothing: the daemon logs them and carries on.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace benchd::scheduler {

using JobId = int64_t;
using RunId = int64_t;

inline constexpr uint32_t kMilliPerSlot = 1000;

/* From the config; replaceable at any time with setLimits(). */
struct Limits {
	uint32_t slotsMilli = 4 * kMilliPerSlot; /* capacity of the host */
	uint32_t userActiveJobs = 1;		 /* jobs of one user running at once */
	uint32_t userQueuedJobs = 5;		 /* jobs of one user waiting (admit()) */
	uint32_t jobParallelRuns = 10;		 /* runs of one job at once */
	uint32_t orgActiveRuns = 0;		 /* runs of one org at once; 0 = no cap */
	/* Per-org caps, overriding orgActiveRuns for that org; 0 = no cap. */
	std::map<std::string, uint32_t> orgCaps;
};

struct JobInfo {
	JobId id = 0;
	uint32_t uid = 0;
	std::string org;	      /* "" = none: no org cap applies */
	uint32_t parallel = 1;	      /* asked for; capped by Limits::jobParallelRuns */
	uint32_t weightMilli = kMilliPerSlot; /* of each of its runs */
};

struct Stats {
	uint32_t slotsUsedMilli = 0; /* may exceed total after limits were lowered */
	uint32_t slotsTotalMilli = 0;
	size_t queuedRuns = 0; /* pending runs, of queued and active jobs */
	size_t queuedJobs = 0;
	size_t activeJobs = 0;
	size_t runningRuns = 0;
};

class Scheduler
{
public:
	explicit Scheduler(Limits limits = {});
	~Scheduler();
	Scheduler(Scheduler &&) noexcept;
	Scheduler &operator=(Scheduler &&) noexcept;

	/*
	 * New limits (SIGHUP). Running runs are never touched: when less is
	 * allowed than is in use, nothing new starts until enough finished.
	 * Costs O(jobs + users).
	 */
	void setLimits(Limits limits);
	const Limits &limits() const;

	/* Would one more job of this user fit under userQueuedJobs? */
	Status admit(uint32_t uid) const;

	/*
	 * A job admitted by the caller, or restored after a restart (no cap is
	 * checked here). Its runs start in the order given. Refused: a known
	 * job id, a run id the scheduler knows already, no runs, parallel or
	 * weight 0. Run ids must be unique across the scheduler.
	 */
	Status addJob(const JobInfo &job, const std::vector<RunId> &runs);

	/*
	 * An attempt replacing a failed one: it goes in front of its job's
	 * pending runs. Call it *before* finished() for the attempt it
	 * replaces: the job then stays active (keeping its user's active-job
	 * place). Once a job's last run finished, the scheduler has forgotten
	 * it and refuses the retry; add it again with addJob() if needed.
	 */
	Status addRetry(JobId job, RunId run);

	/* The run to start now (its capacity is taken), or nothing. */
	std::optional<RunId> pick();

	/* A running run ended; its capacity frees. Refused: not running. */
	Status finished(RunId run);

	/*
	 * Drop a job's pending runs (returned, next-to-start first). Running
	 * runs are left alone and finish normally; the job stays active until
	 * they did. Refused: an unknown (or already forgotten) job.
	 */
	Result<std::vector<RunId>> cancelJob(JobId job);

	Stats stats() const;
	/* One user's share; slotsTotalMilli is the host's. Zeros when unknown. */
	Stats statsOf(uint32_t uid) const;

private:
	struct State;
	std::unique_ptr<State> s_;
};

} /* namespace benchd::scheduler */
