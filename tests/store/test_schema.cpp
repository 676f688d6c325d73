/* SPDX-License-Identifier: MIT */
/* Numbered migrations, the connection's settings, and files we must refuse. */
#include "helpers.hpp"
#include "schema.hpp"
#include "store/store.hpp"
#include "support.hpp"

using namespace benchd;
using namespace benchd::store;
using namespace benchd::test;

namespace {

int64_t integer(Database &db, const std::string &sql)
{
	auto statement = MUST(db.prepare(sql));
	cr_assert(MUST(statement.step()), "%s returned no row", sql.c_str());
	return statement.int64(0);
}

std::string text(Database &db, const std::string &sql)
{
	auto statement = MUST(db.prepare(sql));
	cr_assert(MUST(statement.step()), "%s returned no row", sql.c_str());
	return statement.text(0);
}

/* m2 is not idempotent: running it twice would insert two rows. */
const Migration kM1 = { 1, "create a", "CREATE TABLE a (x)" };
const Migration kM2 = { 2, "fill a", "INSERT INTO a VALUES ('m2')" };
const Migration kM3 = { 3, "create b", "CREATE TABLE b (y)" };

} /* namespace */

TestSuite(schema);

Test(schema, migrations_run_once_and_newer_schema_is_refused)
{
	TempDir dir;
	std::string path = dir / "benchd.db";
	{
		Store store = MUST(Store::open(path));
		cr_expect_eq(MUST(userVersion(store.database())), Store::schemaVersion());
		MUST(store.insertJob(1000, "{}", 1, 1, 1));
	}
	{
		/* Reopening re-runs nothing: CREATE TABLE would fail if it did. */
		Store store = MUST(Store::open(path));
		cr_expect_eq(MUST(userVersion(store.database())), Store::schemaVersion());
		cr_expect_eq(MUST(store.jobs(std::nullopt, std::nullopt, 10)).size(), 1u);
		int next = Store::schemaVersion() + 1;
		MUST(store.database().exec("PRAGMA user_version = " + std::to_string(next)));
	}
	auto error = EXPECT_ERROR(Store::open(path), ENOTSUP, "schema version 2 is newer");
	cr_expect(error.message().find("knows (1)") != std::string::npos, "%s",
		  error.message().c_str());
	cr_expect(error.message().find(path) != std::string::npos, "%s", error.message().c_str());
}

Test(schema, migrations_apply_in_order_each_once)
{
	TempDir dir;
	Database db = MUST(Database::open(dir / "db"));
	const Migration one[] = { kM1 };
	const Migration three[] = { kM1, kM2, kM3 };
	MUST(migrate(db, one));
	cr_expect_eq(MUST(userVersion(db)), 1);
	MUST(migrate(db, three));
	cr_expect_eq(MUST(userVersion(db)), 3);
	MUST(migrate(db, three));
	cr_expect_eq(integer(db, "SELECT count(*) FROM a"), 1, "m2 ran twice");
	cr_expect_eq(integer(db, "SELECT count(*) FROM b"), 0);
}

Test(schema, a_failing_migration_leaves_the_previous_version)
{
	TempDir dir;
	Database db = MUST(Database::open(dir / "db"));
	const Migration broken[] = {
		kM1,
		{ 2, "half done", "CREATE TABLE c (z); INSERT INTO nowhere VALUES (1)" },
	};
	auto error = EXPECT_ERROR(migrate(db, broken), EIO, "migration 2 (half done)");
	cr_expect(error.message().find("no such table: nowhere") != std::string::npos, "%s",
		  error.message().c_str());
	cr_expect_eq(MUST(userVersion(db)), 1);
	cr_expect_eq(integer(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0,
		     "the failed migration's first statement stayed");
}

Test(schema, a_migration_list_must_be_numbered_from_one)
{
	TempDir dir;
	Database db = MUST(Database::open(dir / "db"));
	const Migration gap[] = { kM1, kM3 };
	EXPECT_ERROR(migrate(db, gap), EINVAL, "entry 1 is version 3, wanted 2");
	cr_expect_eq(MUST(userVersion(db)), 0);
}

Test(schema, another_programs_database_is_refused)
{
	TempDir dir;
	std::string path = dir / "other.db";
	{
		Database db = MUST(Database::open(path));
		MUST(db.exec("PRAGMA application_id = 42; CREATE TABLE theirs (x)"));
	}
	EXPECT_ERROR(Store::open(path), EINVAL, "application_id 42 is not benchd's");
}

Test(schema, the_connection_is_wal_synchronous_full_with_foreign_keys)
{
	TempDir dir;
	Store store = MUST(Store::open(dir / "benchd.db"));
	Database &db = store.database();
	cr_expect_eq(text(db, "PRAGMA journal_mode"), "wal");
	cr_expect_eq(integer(db, "PRAGMA synchronous"), 2, "not FULL");
	cr_expect_eq(integer(db, "PRAGMA foreign_keys"), 1);
	cr_expect_eq(integer(db, "PRAGMA application_id"), 0x62656e63);
	/* A run of a job that does not exist is refused by the foreign key. */
	EXPECT_ERROR(db.exec("INSERT INTO runs (job_id, idx, attempt, created_at) VALUES (99, 0, 1, 0)"),
		     EINVAL, "FOREIGN KEY constraint failed");
}
