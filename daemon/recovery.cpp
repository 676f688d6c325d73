/* SPDX-License-Identifier: MIT */
/*
 * After a restart, clean or kill -9: make the store and the cgroup tree
 * agree before anything new starts.
 *
 *  - Every run-N leaf under our sub-tree is a leftover (nothing is live
 *    yet): killed and removed. Other leaves (oneshot-PID) are not ours. The sandboxes died with the old daemon (their
 *    init has PDEATHSIG), this only sweeps up.
 *  - A run the store says was preparing, running or parsing ended with
 *    the old daemon: it becomes failed with the reason, and since the
 *    daemon (not the job) cut it short it gets a new attempt, within
 *    auto_retries. Its old leaf is gone before the new attempt can start,
 *    so no run ever runs twice at once.
 *  - Queued runs go back into the scheduler, in the order they came.
 */
#include <map>
#include <set>

#include "log.hpp"
#include "supervisor.hpp"

namespace benchd::daemon {

using store::RunState;

Status Supervisor::recover()
{
	auto leaves = host_.cgroups.listLeaves();
	if (!leaves)
		return std::move(leaves).error().wrap("recover: list leftover sandboxes");
	for (const auto &leaf : *leaves) {
		/* Ours are run-N; `benchd oneshot` may share the sub-tree with its own. */
		if (leaf.rfind("run-", 0) != 0)
			continue;
		if (auto s = host_.cgroups.removeLeaf(leaf); !s)
			log(Level::Warning, "recover: " + s.error().message());
		else
			log(Level::Info, "recover: removed leftover sandbox " + leaf);
	}

	auto unfinished = store().unfinishedRuns();
	if (!unfinished)
		return std::move(unfinished).error().wrap("recover");
	if (!ensureTransaction())
		return Error(EIO, "recover: cannot open a transaction");

	std::set<int64_t> touched;
	int64_t at = now();
	for (const auto &run : *unfinished) {
		touched.insert(run.jobId);
		if (run.state == RunState::Queued)
			continue;
		std::string since = run.heartbeatAt ? " (last heartbeat " +
							      std::to_string((at - *run.heartbeatAt) / 1000) + "s ago)"
						    : "";
		std::string reason = std::string("the daemon restarted while the run was ") +
				     store::stateName(run.state) + since;
		if (!transition(run.id, run.state, RunState::Failed, reason))
			continue;
		(void)store().setLeaf(run.id, std::nullopt);
		if (run.attempt <= static_cast<int64_t>(config_.autoRetries)) {
			auto retry = store().insertRetry(run.id, at);
			if (!retry) {
				log(Level::Error, "recover: " + retry.error().message());
				continue;
			}
			counters_.runsAutoRetried++;
			log(Level::Info, "run " + std::to_string(run.id) + ": retried as run " + std::to_string(*retry));
		}
	}

	/* Queued runs (including the retries just made), grouped by job, in order. */
	auto queued = store().queuedRuns();
	if (!queued)
		return std::move(queued).error().wrap("recover");
	std::map<int64_t, std::vector<int64_t>> byJob;
	for (const auto &run : *queued) {
		byJob[run.jobId].push_back(run.id);
		touched.insert(run.jobId);
	}

	size_t restored = 0;
	for (int64_t jobId : touched) {
		auto row = store().job(jobId);
		auto mem = row ? loadJob(*row) : Result<JobMem>(row.error());
		if (!mem) {
			log(Level::Error, "recover: job " + std::to_string(jobId) + ": " + mem.error().message());
			continue;
		}
		auto q = byJob.find(jobId);
		if (q == byJob.end()) {
			/* Nothing left to run: record how the job ended. */
			JobMem job = std::move(*mem);
			for (const auto &[runId, st] : job.states)
				runJob_[runId] = jobId;
			jobs_[jobId] = std::move(job);
			updateJobState(jobId);
			continue;
		}
		if (auto s = admitJob(jobId, std::move(*mem), q->second); !s) {
			log(Level::Error, "recover: job " + std::to_string(jobId) + ": " + s.error().message());
			continue;
		}
		restored++;
		updateJobState(jobId);
	}
	if (!unfinished->empty() || !leaves->empty())
		log(Level::Info, "recover: " + std::to_string(unfinished->size()) + " unfinished runs, " +
					 std::to_string(restored) + " jobs back in the queue");
	return {};
}

} /* namespace benchd::daemon */
