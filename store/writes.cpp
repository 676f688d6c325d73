/* SPDX-License-Identifier: MIT */
/* Writes to jobs and runs. */
#include "internal.hpp"

namespace benchd::store {

namespace {

std::string runWhat(std::string_view verb, int64_t runId)
{
	return std::string(verb) + " run " + std::to_string(runId);
}

} /* namespace */

Result<int64_t> Store::insertJob(uid_t uid, std::string_view specJson, int64_t runs,
				 int64_t parallel, int64_t nowMs)
{
	const std::string what = "insert job for uid " + std::to_string(uid);
	if (runs < 1 || parallel < 1)
		return Error(EINVAL, "store: " + what + ": runs and parallel must be at least 1, not " +
					     std::to_string(runs) + " and " + std::to_string(parallel));
	auto savepoint = db_.savepoint();
	if (!savepoint)
		return storeError(std::move(savepoint).error(), what);
	if (auto status = execute(what,
				  "INSERT INTO jobs (uid, state, spec_json, runs, parallel, created_at) "
				  "VALUES (?1, 'queued', ?2, ?3, ?4, ?5)",
				  uid, specJson, runs, parallel, nowMs);
	    !status)
		return std::move(status).error();
	int64_t jobId = db_.lastInsertId();
	for (int64_t idx = 0; idx < runs; idx++) {
		if (auto status = execute(what,
					  "INSERT INTO runs (job_id, idx, attempt, state, created_at) "
					  "VALUES (?1, ?2, 1, 'queued', ?3)",
					  jobId, idx, nowMs);
		    !status)
			return std::move(status).error();
	}
	if (auto status = savepoint->release(); !status)
		return storeError(std::move(status).error(), what);
	return jobId;
}

Result<bool> Store::transition(int64_t runId, RunState from, RunState to,
			       std::optional<std::string_view> reason, int64_t nowMs)
{
	const std::string what = "run " + std::to_string(runId) + " " + stateName(from) + " -> " +
				 stateName(to);
	if (!transitionAllowed(from, to))
		return Error(EINVAL, "store: " + what + ": not an allowed transition");
	auto savepoint = db_.savepoint();
	if (!savepoint)
		return storeError(std::move(savepoint).error(), what);
	/* The WHERE on state is the compare-and-set: only one of two racing events moves it. */
	if (auto status = execute(what,
				  "UPDATE runs SET state = ?3, reason = ?4, "
				  "started_at = CASE WHEN ?3 = 'running' THEN ?5 ELSE started_at END, "
				  "finished_at = CASE WHEN ?6 THEN ?5 ELSE finished_at END "
				  "WHERE id = ?1 AND state = ?2",
				  runId, stateName(from), stateName(to), reason, nowMs, isTerminal(to));
	    !status)
		return std::move(status).error();
	if (db_.changes() == 0) {
		auto exists = scalar(what, "SELECT count(*) FROM runs WHERE id = ?1", runId);
		if (!exists)
			return std::move(exists).error();
		if (*exists == 0)
			return Error(ENOENT, "store: " + what + ": no such run");
		return false;
	}
	if (auto status = execute(what,
				  "INSERT INTO transitions (run_id, from_state, to_state, at, reason) "
				  "VALUES (?1, ?2, ?3, ?4, ?5)",
				  runId, stateName(from), stateName(to), nowMs, reason);
	    !status)
		return std::move(status).error();
	if (auto status = savepoint->release(); !status)
		return storeError(std::move(status).error(), what);
	return true;
}

Status Store::setLeaf(int64_t runId, std::optional<std::string_view> leaf)
{
	return updateOne(runWhat("set leaf of", runId), "UPDATE runs SET leaf = ?2 WHERE id = ?1",
			 runId, leaf);
}

Status Store::setResult(int64_t runId, std::string_view resultJson, uint64_t stdoutBytes,
			uint64_t stderrBytes, bool logTruncated)
{
	return updateOne(runWhat("set result of", runId),
			 "UPDATE runs SET result_json = ?2, stdout_bytes = ?3, stderr_bytes = ?4, "
			 "log_truncated = ?5 WHERE id = ?1",
			 runId, resultJson, stdoutBytes, stderrBytes, logTruncated);
}

Result<int64_t> Store::insertRetry(int64_t oldRunId, int64_t nowMs)
{
	const std::string what = runWhat("retry", oldRunId);
	auto rows = select<RunRow>(what, "SELECT " STORE_RUN_COLUMNS " FROM runs WHERE id = ?1",
				   oldRunId);
	if (!rows)
		return std::move(rows).error();
	if (rows->empty())
		return Error(ENOENT, "store: " + what + ": no such run");
	const RunRow *old = &rows->front();
	if (!isTerminal(old->state))
		return Error(EINVAL, "store: " + what + ": it is still " + stateName(old->state));
	/* Checked for the message; the unique index on replaces_run_id is the guarantee. */
	auto retries = scalar(what, "SELECT count(*) FROM runs WHERE replaces_run_id = ?1", oldRunId);
	if (!retries)
		return std::move(retries).error();
	if (*retries != 0)
		return Error(EINVAL, "store: " + what + ": it was already retried");
	if (auto status = execute(what,
				  "INSERT INTO runs (job_id, idx, attempt, replaces_run_id, state, "
				  "created_at) VALUES (?1, ?2, ?3, ?4, 'queued', ?5)",
				  old->jobId, old->idx, old->attempt + 1, oldRunId, nowMs);
	    !status)
		return std::move(status).error();
	return db_.lastInsertId();
}

Status Store::heartbeat(const std::vector<int64_t> &runIds, int64_t nowMs)
{
	const std::string what = "heartbeat of " + std::to_string(runIds.size()) + " runs";
	auto savepoint = db_.savepoint();
	if (!savepoint)
		return storeError(std::move(savepoint).error(), what);
	/* A run that is gone is no error: heartbeats race with cleanup. */
	for (int64_t runId : runIds)
		if (auto status = execute(what, "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1",
					  runId, nowMs);
		    !status)
			return status;
	if (auto status = savepoint->release(); !status)
		return storeError(std::move(status).error(), what);
	return {};
}

Status Store::setJobState(int64_t jobId, JobState state, std::optional<int64_t> finishedAtMs)
{
	return updateOne("set state of job " + std::to_string(jobId) + " to " + stateName(state),
			 "UPDATE jobs SET state = ?2, finished_at = ?3 WHERE id = ?1", jobId,
			 stateName(state), finishedAtMs);
}

Status Store::requestCancel(int64_t jobId)
{
	return setCancelRequested(jobId, true);
}

Status Store::setCancelRequested(int64_t jobId, bool requested)
{
	return updateOne((requested ? "cancel job " : "clear cancel of job ") + std::to_string(jobId),
			 "UPDATE jobs SET cancel_requested = ?2 WHERE id = ?1", jobId, requested);
}

} /* namespace benchd::store */
