/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's policy: may this run start now? One function, judge(),
 * lists every constraint; new ones (job classes, tiers) are added there.
 *
 * The bookkeeping in state.cpp keeps an index of users and jobs that pass
 * the constraints local to one user (userMayActivate, jobHasRoom) so that
 * pick() does not scan runs; judge() still checks them, so the index is an
 * optimisation and never the rule.
 */
#pragma once

#include <cstdint>
#include <string>

#include "scheduler/scheduler.hpp"

namespace benchd::scheduler {

enum class Verdict {
	Start, /* start this run now */
	Skip,  /* not this one; try the next candidate in fairness order */
	Wait,  /* this one is next but does not fit yet: start nothing */
};

/* The next pending run of one job, and the counters it is judged against. */
struct Candidate {
	uint32_t weightMilli;
	bool jobActive;
	uint32_t jobRunning;
	uint32_t jobParallel; /* as the job asked */
	uint32_t userActiveJobs;
	bool hasOrg;
	uint32_t orgRunning;
	uint32_t orgCap; /* 0 = none */
};

Verdict judge(const Limits &limits, uint64_t usedMilli, const Candidate &c);

/* Runs of one job allowed at once. */
uint32_t parallelCap(const Limits &limits, uint32_t jobParallel);

/* May a user with this many active jobs start (activate) one more? */
bool userMayActivate(const Limits &limits, uint32_t activeJobs);

/* A job with a pending run and room under its parallel cap. */
bool jobHasRoom(const Limits &limits, uint32_t running, uint32_t parallel, size_t pending);

/* The cap for an org: its own entry, else the default; 0 = none. */
uint32_t orgCap(const Limits &limits, const std::string &org);

} /* namespace benchd::scheduler */
