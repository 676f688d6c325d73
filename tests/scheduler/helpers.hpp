/* SPDX-License-Identifier: MIT */
/*
 * Small words for the scheduler's tests: a job is `job(id, uid)` with
 * options, its runs are numbered id*10000+1, +2, ..., so an expected order
 * reads as "job 1's first run, job 3's first run, ...".
 */
#pragma once

#include <criterion/criterion.h>

#include <optional>
#include <string>
#include <vector>

#include "scheduler/scheduler.hpp"

namespace benchd::scheduler::test {

struct JobSpec {
	JobId id;
	uint32_t uid;
	int runs = 1;
	uint32_t parallel = 1;
	uint32_t weightMilli = kMilliPerSlot;
	std::string org = "";
};

inline RunId runOf(JobId job, int n)
{
	return job * 10000 + n;
}

inline std::vector<RunId> runsOf(JobId job, int count)
{
	std::vector<RunId> runs;
	for (int n = 1; n <= count; n++)
		runs.push_back(runOf(job, n));
	return runs;
}

inline void add(Scheduler &s, const JobSpec &spec)
{
	JobInfo info;
	info.id = spec.id;
	info.uid = spec.uid;
	info.org = spec.org;
	info.parallel = spec.parallel;
	info.weightMilli = spec.weightMilli;
	Status st = s.addJob(info, runsOf(spec.id, spec.runs));
	cr_assert(st.ok(), "addJob %lld: %s", (long long)spec.id, st.error().message().c_str());
}

inline Limits slots(uint32_t count)
{
	Limits l;
	l.slotsMilli = count * kMilliPerSlot;
	return l;
}

/* Pick until nothing starts; the runs started, in order. */
inline std::vector<RunId> pickAll(Scheduler &s)
{
	std::vector<RunId> out;
	while (auto r = s.pick())
		out.push_back(*r);
	return out;
}

/* Pick one run and finish it at once, until nothing starts: the order runs go in. */
inline std::vector<RunId> drain(Scheduler &s)
{
	std::vector<RunId> out;
	while (auto r = s.pick()) {
		out.push_back(*r);
		cr_assert(s.finished(*r).ok());
	}
	return out;
}

inline void finish(Scheduler &s, RunId run)
{
	Status st = s.finished(run);
	cr_assert(st.ok(), "finished %lld: %s", (long long)run, st.error().message().c_str());
}

inline std::string str(const std::vector<RunId> &runs)
{
	std::string out = "[";
	for (RunId r : runs)
		out += (out.size() > 1 ? ", " : "") + std::to_string(r);
	return out + "]";
}

inline std::string str(std::optional<RunId> run)
{
	return run ? std::to_string(*run) : "nothing";
}

} /* namespace benchd::scheduler::test */

#define expect_runs(got, ...)                                                                  \
	do {                                                                                   \
		std::vector<benchd::scheduler::RunId> want_ = __VA_ARGS__;                      \
		auto got_ = (got);                                                             \
		cr_assert(got_ == want_, "got %s, wanted %s", benchd::scheduler::test::str(got_).c_str(), \
			  benchd::scheduler::test::str(want_).c_str());                        \
	} while (0)

#define expect_pick(s, want)                                                                   \
	do {                                                                                   \
		std::optional<benchd::scheduler::RunId> want_ = (want);                         \
		auto got_ = (s).pick();                                                        \
		cr_assert(got_ == want_, "picked %s, wanted %s",                               \
			  benchd::scheduler::test::str(got_).c_str(),                          \
			  benchd::scheduler::test::str(want_).c_str());                        \
	} while (0)
