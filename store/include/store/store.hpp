/* SPDX-License-Identifier: MIT */
/*
 * benchd's durable state: users and orgs, jobs, their runs (every attempt)
 * and each run's state transitions, in one SQLite file.
 *
 * The daemon opens it once and owns it from its loop thread. Writes are
 * batched by the caller: begin() a transaction, make the loop iteration's
 * changes, commit; a submit is acknowledged only after its commit, which
 * synchronous=FULL makes durable. Each multi-row write (insertJob,
 * transition, insertRetry, heartbeat) is all-or-nothing on its own, inside
 * the caller's transaction or without one.
 *
 * Timestamps are unix milliseconds passed in by the caller. Errors read
 * "store: <operation>: <SQLite's message or the reason>", with EIO for
 * SQLite failures (EBUSY when locked, ENOSPC when full), ENOENT for a
 * missing row and EINVAL for data the schema or the state machine refuses.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "base/error.hpp"
#include "store/sqlite.hpp"
#include "store/state.hpp"

namespace benchd::store {

struct JobRow {
	int64_t id = 0;
	uid_t uid = 0;
	JobState state = JobState::Queued;
	std::string specJson; /* argv, env, meta, limits */
	int64_t runs = 0;     /* parallel runs (attempt sets) */
	int64_t parallel = 0; /* how many may run at once */
	int64_t createdAt = 0;
	std::optional<int64_t> finishedAt;
	bool cancelRequested = false;
};

struct RunRow {
	int64_t id = 0;
	int64_t jobId = 0;
	int64_t idx = 0;     /* which of the job's runs, 0..runs-1 */
	int64_t attempt = 1; /* 1, 2, ... */
	std::optional<int64_t> replacesRunId;
	RunState state = RunState::Queued;
	std::optional<std::string> reason; /* why it entered its current state */
	int64_t createdAt = 0;
	std::optional<int64_t> startedAt;  /* entered running */
	std::optional<int64_t> finishedAt; /* entered a terminal state */
	std::optional<int64_t> heartbeatAt;
	std::optional<std::string> resultJson; /* runner::RunResult as JSON */
	int64_t stdoutBytes = 0;
	int64_t stderrBytes = 0;
	bool logTruncated = false;
	std::optional<std::string> leaf; /* cgroup leaf name while live */
};

struct TransitionRow {
	int64_t id = 0;
	int64_t runId = 0;
	RunState from = RunState::Queued;
	RunState to = RunState::Queued;
	int64_t at = 0;
	std::optional<std::string> reason;
};

struct UserRow {
	uid_t uid = 0;
	std::string name;
	std::optional<std::string> org;
	std::optional<int64_t> orgActiveRunsCap; /* the org's cap, when in one */
};

struct Options {
	/* How long a statement waits for another connection's lock. */
	int busyTimeoutMs = 5000;
};

class Store
{
public:
	/*
	 * Open or create the database: WAL journal, synchronous=FULL, foreign
	 * keys on, then the schema migrations it lacks. A file written by a
	 * newer benchd (higher schema version) is refused.
	 */
	static Result<Store> open(const std::string &path, const Options &options = {});

	/* The schema version this code writes (PRAGMA user_version). */
	static int schemaVersion();

	/* BEGIN IMMEDIATE; rolled back unless committed. */
	Result<Transaction> begin();

	/* Jobs and runs */

	/* A queued job with `runs` queued runs (idx 0..runs-1, attempt 1). */
	Result<int64_t> insertJob(uid_t uid, std::string_view specJson, int64_t runs,
				  int64_t parallel, int64_t nowMs);

	/*
	 * Compare-and-set: move the run from `from` to `to` and log it. EINVAL
	 * when the edge is not allowed, ENOENT when the run does not exist,
	 * false when it was not in `from` (a late or repeated event).
	 */
	Result<bool> transition(int64_t runId, RunState from, RunState to,
				std::optional<std::string_view> reason, int64_t nowMs);

	Status setLeaf(int64_t runId, std::optional<std::string_view> leaf);
	Status setResult(int64_t runId, std::string_view resultJson, uint64_t stdoutBytes,
			 uint64_t stderrBytes, bool logTruncated);

	/*
	 * A queued new attempt of a finished run: same job and idx, attempt+1,
	 * linked to the run it replaces. EINVAL when the old run is not
	 * terminal or was already retried.
	 */
	Result<int64_t> insertRetry(int64_t oldRunId, int64_t nowMs);

	Status heartbeat(const std::vector<int64_t> &runIds, int64_t nowMs);

	Status setJobState(int64_t jobId, JobState state, std::optional<int64_t> finishedAtMs);
	Status requestCancel(int64_t jobId);
	/* Set or clear the flag: a job retried after a cancel starts clean. */
	Status setCancelRequested(int64_t jobId, bool requested);

	/* Reads */

	/* ENOENT when missing. */
	Result<JobRow> job(int64_t id);
	Result<RunRow> run(int64_t id);
	/* Every attempt, ordered by idx, attempt. */
	Result<std::vector<RunRow>> runsOf(int64_t jobId);
	/* The latest attempt of each idx, ordered by idx. */
	Result<std::vector<RunRow>> latestRunsOf(int64_t jobId);
	/* Newest first, optionally only one owner's or one state's. */
	Result<std::vector<JobRow>> jobs(std::optional<uid_t> owner, std::optional<JobState> state,
					 int64_t limit);
	/* Runs not in a terminal state, by id: what a restart must reconcile. */
	Result<std::vector<RunRow>> unfinishedRuns();
	/* Runs with a sandbox (preparing, running, parsing), by id: what the watchdog checks. */
	Result<std::vector<RunRow>> activeRuns();
	/* Queued runs by id: the scheduler's queue after a restart. */
	Result<std::vector<RunRow>> queuedRuns();
	Result<std::vector<TransitionRow>> transitionsOf(int64_t runId);
	Result<int64_t> countJobs(uid_t uid, JobState state);

	/* Users and orgs */

	Status upsertOrg(std::string_view name, int64_t activeRunsCap);
	/* EINVAL when the org does not exist. */
	Status upsertUser(uid_t uid, std::string_view name, std::optional<std::string_view> org);
	Result<UserRow> user(uid_t uid);

	/* The connection, for tests and diagnostics. */
	Database &database() { return db_; }

private:
	explicit Store(Database db) : db_(std::move(db)) {}

	/* Run one statement that returns no rows; errors name `what`. */
	template<typename... Args>
	Status execute(std::string_view what, std::string_view sql, const Args &...args);

	/* Run an UPDATE of one row by id; ENOENT when no row matched. */
	template<typename... Args>
	Status updateOne(std::string_view what, std::string_view sql, const Args &...args);

	/* The first column of the first row. */
	template<typename... Args>
	Result<int64_t> scalar(std::string_view what, std::string_view sql, const Args &...args);

	template<typename Row, typename... Args>
	Result<std::vector<Row>> select(std::string_view what, std::string_view sql,
					const Args &...args);

	Database db_;
};

} /* namespace benchd::store */
