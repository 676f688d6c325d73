/* SPDX-License-Identifier: MIT */
/* Opening the store, transactions, users and orgs. */
#include "internal.hpp"
#include "schema.hpp"

namespace benchd::store {

namespace {

/*
 * Connection settings, before any migration. WAL lets readers (ctl status)
 * run beside the writer; synchronous=FULL syncs the WAL at every commit,
 * so an acknowledged submit survives a power cut, not only a crash.
 * foreign_keys is per connection and off by default.
 */
Status configure(Database &db, const Options &options)
{
	if (db.readOnly())
		return Error(EACCES, "the file is not writable by us");
	if (auto status = db.exec("PRAGMA busy_timeout = " + std::to_string(options.busyTimeoutMs));
	    !status)
		return std::move(status).error().wrap("set busy_timeout");
	/* The first statement that reads the file: a non-database fails here. */
	auto statement = db.prepare("PRAGMA journal_mode = WAL");
	if (!statement)
		return std::move(statement).error().wrap("set WAL journal");
	auto row = statement->step();
	if (!row)
		return std::move(row).error().wrap("set WAL journal");
	std::string mode = *row ? statement->text(0) : "?";
	if (mode != "wal")
		return Error(EIO, "set WAL journal: the file stays in journal mode '" + mode + "'");
	if (auto status = db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"); !status)
		return std::move(status).error().wrap("set synchronous and foreign_keys");
	return {};
}

} /* namespace */

Result<Store> Store::open(const std::string &path, const Options &options)
{
	std::string what = "open " + path;
	auto db = Database::open(path);
	if (!db)
		return storeError(std::move(db).error(), what);
	if (auto status = configure(*db, options); !status)
		return storeError(std::move(status).error(), what);
	if (auto status = migrate(*db, migrations()); !status)
		return storeError(std::move(status).error(), what);
	return Store(std::move(*db));
}

int Store::schemaVersion()
{
	return int(migrations().size());
}

Result<Transaction> Store::begin()
{
	auto tx = db_.begin();
	if (!tx)
		return std::move(tx).error().wrap("store");
	return tx;
}

Status Store::upsertOrg(std::string_view name, int64_t activeRunsCap)
{
	return execute("upsert org '" + std::string(name) + "'",
		       "INSERT INTO orgs (name, active_runs_cap) VALUES (?1, ?2) "
		       "ON CONFLICT (name) DO UPDATE SET active_runs_cap = excluded.active_runs_cap",
		       name, activeRunsCap);
}

Status Store::upsertUser(uid_t uid, std::string_view name, std::optional<std::string_view> org)
{
	std::string what = "upsert user " + std::to_string(uid);
	if (org) {
		/* Checked here for a message that names the org, not "FOREIGN KEY constraint failed". */
		auto count = scalar(what, "SELECT count(*) FROM orgs WHERE name = ?1", *org);
		if (!count)
			return std::move(count).error();
		if (*count == 0)
			return Error(EINVAL, "store: " + what + ": no org '" + std::string(*org) + "'");
	}
	return execute(what,
		       "INSERT INTO users (uid, name, org) VALUES (?1, ?2, ?3) "
		       "ON CONFLICT (uid) DO UPDATE SET name = excluded.name, org = excluded.org",
		       uid, name, org);
}

Result<UserRow> Store::user(uid_t uid)
{
	std::string what = "user " + std::to_string(uid);
	auto rows = select<UserRow>(what,
				    "SELECT " STORE_USER_COLUMNS " FROM users "
				    "LEFT JOIN orgs ON orgs.name = users.org WHERE users.uid = ?1",
				    uid);
	if (!rows)
		return std::move(rows).error();
	if (rows->empty())
		return Error(ENOENT, "store: " + what + ": no such user");
	return std::move(rows->front());
}

} /* namespace benchd::store */
