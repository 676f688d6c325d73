/* SPDX-License-Identifier: MIT */
#include "policy.hpp"

#include <algorithm>

namespace benchd::scheduler {

uint32_t parallelCap(const Limits &limits, uint32_t jobParallel)
{
	return std::min(jobParallel, limits.jobParallelRuns);
}

bool userMayActivate(const Limits &limits, uint32_t activeJobs)
{
	return activeJobs < limits.userActiveJobs;
}

bool jobHasRoom(const Limits &limits, uint32_t running, uint32_t parallel, size_t pending)
{
	return pending > 0 && running < parallelCap(limits, parallel);
}

uint32_t orgCap(const Limits &limits, const std::string &org)
{
	auto it = limits.orgCaps.find(org);
	return it != limits.orgCaps.end() ? it->second : limits.orgActiveRuns;
}

Verdict judge(const Limits &limits, uint64_t usedMilli, const Candidate &c)
{
	/*
	 * Caps first: a capped candidate is skipped, so the next user's work
	 * can use the slot. Caps are counted, never reserved: lowering one
	 * below what is in use only stops new starts.
	 */
	if (c.jobRunning >= parallelCap(limits, c.jobParallel))
		return Verdict::Skip;
	if (!c.jobActive && !userMayActivate(limits, c.userActiveJobs))
		return Verdict::Skip;
	if (c.hasOrg && c.orgCap != 0 && c.orgRunning >= c.orgCap)
		return Verdict::Skip;
	/* Heavier than the whole host as configured now: it could wait forever. */
	if (c.weightMilli > limits.slotsMilli)
		return Verdict::Skip;

	/*
	 * Capacity last. A run that is next in fairness order but does not
	 * fit holds the turn: if lighter runs behind it could start, a steady
	 * stream of them would starve it. What is running drains, so the wait
	 * is bounded by the longest run.
	 */
	uint64_t freeMilli = usedMilli < limits.slotsMilli ? limits.slotsMilli - usedMilli : 0;
	if (c.weightMilli > freeMilli)
		return Verdict::Wait;
	return Verdict::Start;
}

} /* namespace benchd::scheduler */
