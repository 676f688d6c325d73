/* SPDX-License-Identifier: MIT */
#include "schema.hpp"

#include <string>

namespace benchd::store {

namespace {

/* "benc": marks the file as benchd's, so we never migrate someone else's. */
constexpr int kApplicationId = 0x62656e63;

/*
 * Ids use AUTOINCREMENT so they are never reused, even after the newest
 * rows are deleted: users see job ids, and run ids name cgroup leaves that
 * may outlive a crash. States are closed lists on purpose: a new state is a
 * schema change. Timestamps are unix milliseconds.
 */
const char kInitialSchema[] = R"sql(
CREATE TABLE orgs (
	name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
	active_runs_cap INTEGER NOT NULL CHECK (active_runs_cap >= 0)
);

CREATE TABLE users (
	uid INTEGER PRIMARY KEY CHECK (uid >= 0),
	name TEXT NOT NULL,
	org TEXT REFERENCES orgs (name)
);
CREATE INDEX users_by_org ON users (org);

CREATE TABLE jobs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uid INTEGER NOT NULL CHECK (uid >= 0),
	state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
		('queued', 'running', 'completed', 'failed', 'timed_out', 'aborted')),
	spec_json TEXT NOT NULL CHECK (json_valid(spec_json)),
	runs INTEGER NOT NULL CHECK (runs >= 1),
	parallel INTEGER NOT NULL CHECK (parallel >= 1),
	created_at INTEGER NOT NULL,
	finished_at INTEGER,
	cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1))
);
CREATE INDEX jobs_by_uid ON jobs (uid, id);
CREATE INDEX jobs_by_state ON jobs (state);

CREATE TABLE runs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id INTEGER NOT NULL REFERENCES jobs (id),
	idx INTEGER NOT NULL CHECK (idx >= 0),
	attempt INTEGER NOT NULL CHECK (attempt >= 1),
	replaces_run_id INTEGER REFERENCES runs (id),
	state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'preparing',
		'running', 'parsing', 'completed', 'failed', 'timed_out', 'aborted')),
	reason TEXT,
	created_at INTEGER NOT NULL,
	started_at INTEGER,
	finished_at INTEGER,
	heartbeat_at INTEGER,
	result_json TEXT CHECK (result_json IS NULL OR json_valid(result_json)),
	stdout_bytes INTEGER NOT NULL DEFAULT 0 CHECK (stdout_bytes >= 0),
	stderr_bytes INTEGER NOT NULL DEFAULT 0 CHECK (stderr_bytes >= 0),
	log_truncated INTEGER NOT NULL DEFAULT 0 CHECK (log_truncated IN (0, 1)),
	leaf TEXT,
	CHECK ((attempt = 1) = (replaces_run_id IS NULL))
);
-- Also the index on job_id; one row per (job, idx, attempt).
CREATE UNIQUE INDEX runs_by_job ON runs (job_id, idx, attempt);
-- A run is replaced at most once: a repeated retry cannot fork two attempts.
CREATE UNIQUE INDEX runs_by_replaced ON runs (replaces_run_id);
CREATE INDEX runs_by_state ON runs (state);

CREATE TABLE transitions (
	id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs (id),
	from_state TEXT NOT NULL,
	to_state TEXT NOT NULL,
	at INTEGER NOT NULL,
	reason TEXT
);
CREATE INDEX transitions_by_run ON transitions (run_id);
)sql";

const Migration kMigrations[] = {
	{ 1, "initial schema", kInitialSchema },
};

Result<int64_t> pragmaInt(Database &db, const char *sql)
{
	auto query = db.query(sql);
	if (!query)
		return std::move(query).error();
	auto row = (*query)->step();
	if (!row)
		return std::move(row).error();
	if (!*row)
		return Error(EIO, std::string(sql) + " returned no row");
	return (*query)->int64(0);
}

Status checkList(std::span<const Migration> list)
{
	for (size_t i = 0; i < list.size(); i++)
		if (list[i].version != int(i) + 1)
			return Error(EINVAL, "migration list: entry " + std::to_string(i) +
						     " is version " + std::to_string(list[i].version) +
						     ", wanted " + std::to_string(i + 1));
	return {};
}

Status checkOwner(Database &db)
{
	auto id = pragmaInt(db, "PRAGMA application_id");
	if (!id)
		return std::move(id).error();
	if (*id != 0 && *id != kApplicationId)
		return Error(EINVAL, "application_id " + std::to_string(*id) +
					     " is not benchd's: this is another program's database");
	return {};
}

Error tooNew(int found, int known)
{
	return Error(ENOTSUP, "schema version " + std::to_string(found) +
				      " is newer than this benchd knows (" + std::to_string(known) +
				      "); refusing to open it");
}

/* One migration in its own transaction, unless another process got there first. */
Status apply(Database &db, const Migration &migration, int latest)
{
	std::string name = "migration " + std::to_string(migration.version) + " (" +
			   migration.what + ")";
	auto tx = db.begin();
	if (!tx)
		return std::move(tx).error().wrap(name);
	/* Read again under the write lock: the version may have moved. */
	auto version = userVersion(db);
	if (!version)
		return std::move(version).error().wrap(name);
	if (*version > latest)
		return tooNew(*version, latest);
	if (*version >= migration.version)
		return tx->commit();
	if (auto status = db.exec(migration.sql); !status)
		return std::move(status).error().wrap(name);
	/* Part of the transaction: the version moves with the schema or not at all. */
	if (auto status = db.exec("PRAGMA application_id = " + std::to_string(kApplicationId) +
				  "; PRAGMA user_version = " + std::to_string(migration.version));
	    !status)
		return std::move(status).error().wrap(name);
	if (auto status = tx->commit(); !status)
		return std::move(status).error().wrap(name);
	return {};
}

} /* namespace */

std::span<const Migration> migrations()
{
	return kMigrations;
}

Result<int> userVersion(Database &db)
{
	auto version = pragmaInt(db, "PRAGMA user_version");
	if (!version)
		return std::move(version).error();
	return int(*version);
}

Status migrate(Database &db, std::span<const Migration> list)
{
	if (auto status = checkList(list); !status)
		return status;
	if (auto status = checkOwner(db); !status)
		return status;
	int latest = int(list.size());
	auto version = userVersion(db);
	if (!version)
		return std::move(version).error();
	if (*version > latest)
		return tooNew(*version, latest);
	for (const Migration &migration : list) {
		if (migration.version <= *version)
			continue;
		if (auto status = apply(db, migration, latest); !status)
			return status;
	}
	return {};
}

} /* namespace benchd::store */
