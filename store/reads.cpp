/* SPDX-License-Identifier: MIT */
/* Reads: one SQL text per shape, so each stays a cached statement using its index. */
#include "internal.hpp"

namespace benchd::store {

Result<JobRow> Store::job(int64_t id)
{
	const std::string what = "job " + std::to_string(id);
	auto rows = select<JobRow>(what, "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE id = ?1", id);
	if (!rows)
		return std::move(rows).error();
	if (rows->empty())
		return Error(ENOENT, "store: " + what + ": no such job");
	return std::move(rows->front());
}

Result<RunRow> Store::run(int64_t id)
{
	const std::string what = "run " + std::to_string(id);
	auto rows = select<RunRow>(what, "SELECT " STORE_RUN_COLUMNS " FROM runs WHERE id = ?1", id);
	if (!rows)
		return std::move(rows).error();
	if (rows->empty())
		return Error(ENOENT, "store: " + what + ": no such run");
	return std::move(rows->front());
}

Result<std::vector<RunRow>> Store::runsOf(int64_t jobId)
{
	return select<RunRow>("runs of job " + std::to_string(jobId),
			      "SELECT " STORE_RUN_COLUMNS " FROM runs WHERE job_id = ?1 "
			      "ORDER BY idx, attempt",
			      jobId);
}

Result<std::vector<RunRow>> Store::latestRunsOf(int64_t jobId)
{
	/* The (job_id, idx, attempt) index answers the max() per idx. */
	return select<RunRow>("latest runs of job " + std::to_string(jobId),
			      "SELECT " STORE_RUN_COLUMNS " FROM runs AS r WHERE job_id = ?1 "
			      "AND attempt = (SELECT max(attempt) FROM runs "
			      "WHERE job_id = r.job_id AND idx = r.idx) ORDER BY idx",
			      jobId);
}

Result<std::vector<JobRow>> Store::jobs(std::optional<uid_t> owner, std::optional<JobState> state,
					int64_t limit)
{
	const std::string what = "list jobs";
	if (limit < 1)
		return Error(EINVAL, "store: " + what + ": limit must be at least 1, not " +
					     std::to_string(limit));
	/*
	 * Four texts rather than "(?1 IS NULL OR uid = ?1)": SQLite plans a
	 * statement once, and that form would scan every job.
	 */
	if (owner && state)
		return select<JobRow>(what,
				      "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE uid = ?1 "
				      "AND state = ?2 ORDER BY id DESC LIMIT ?3",
				      *owner, stateName(*state), limit);
	if (owner)
		return select<JobRow>(what,
				      "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE uid = ?1 "
				      "ORDER BY id DESC LIMIT ?2",
				      *owner, limit);
	if (state)
		return select<JobRow>(what,
				      "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE state = ?1 "
				      "ORDER BY id DESC LIMIT ?2",
				      stateName(*state), limit);
	return select<JobRow>(what, "SELECT " STORE_JOB_COLUMNS " FROM jobs ORDER BY id DESC LIMIT ?1",
			      limit);
}

Result<std::vector<RunRow>> Store::unfinishedRuns()
{
	return select<RunRow>("unfinished runs",
			      "SELECT " STORE_RUN_COLUMNS " FROM runs WHERE state IN "
			      "('queued', 'preparing', 'running', 'parsing') ORDER BY id");
}

Result<std::vector<RunRow>> Store::activeRuns()
{
	return select<RunRow>("active runs", "SELECT " STORE_RUN_COLUMNS " FROM runs WHERE state IN "
					     "('preparing', 'running', 'parsing') ORDER BY id");
}

Result<std::vector<RunRow>> Store::queuedRuns()
{
	return select<RunRow>("queued runs", "SELECT " STORE_RUN_COLUMNS " FROM runs "
					     "WHERE state = 'queued' ORDER BY id");
}

Result<std::vector<TransitionRow>> Store::transitionsOf(int64_t runId)
{
	return select<TransitionRow>("transitions of run " + std::to_string(runId),
				     "SELECT " STORE_TRANSITION_COLUMNS " FROM transitions "
				     "WHERE run_id = ?1 ORDER BY id",
				     runId);
}

Result<int64_t> Store::countJobs(uid_t uid, JobState state)
{
	return scalar("count jobs of uid " + std::to_string(uid),
		      "SELECT count(*) FROM jobs WHERE uid = ?1 AND state = ?2", uid, stateName(state));
}

} /* namespace benchd::store */
