/* SPDX-License-Identifier: MIT */
/* The RAII SQLite layer on real database files. */
#include <cstdint>
#include <limits>

#include "helpers.hpp"
#include "store/sqlite.hpp"
#include "support.hpp"

using namespace benchd;
using namespace benchd::store;
using namespace benchd::test;

namespace {

Database openTable(const std::string &path)
{
	Database db = MUST(Database::open(path));
	MUST(db.exec("CREATE TABLE IF NOT EXISTS t (a, b, c, d, e, f)"));
	return db;
}

int64_t countRows(Database &db)
{
	auto query = MUST(db.query("SELECT count(*) FROM t"));
	cr_assert(MUST(query->step()));
	return query->int64(0);
}

} /* namespace */

TestSuite(sqlite);

Test(sqlite, bind_takes_integers_strings_optionals_and_null)
{
	TempDir dir;
	Database db = openTable(dir / "db");
	auto insert = MUST(db.query("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)"));
	std::string text = "spec";
	uint64_t big = uint64_t(std::numeric_limits<int64_t>::max());
	MUST(insert->bind(int64_t(-5), big, text, std::string_view("view"),
			  std::optional<std::string>(), nullptr));
	MUST(insert->run());
	MUST(insert->bind(7u, true, "literal", std::optional<int>(3), std::optional<int>(), 0));
	MUST(insert->run());

	auto select = MUST(db.query("SELECT a, b, c, d, e, f, typeof(e) FROM t ORDER BY rowid"));
	cr_assert(MUST(select->step()));
	cr_expect_eq(select->int64(0), -5);
	cr_expect_eq(select->int64(1), std::numeric_limits<int64_t>::max());
	cr_expect_eq(select->text(2), "spec");
	cr_expect_eq(select->text(3), "view");
	cr_expect(!select->optionalText(4));
	cr_expect(select->isNull(5));
	cr_expect_eq(select->text(6), "null");
	cr_assert(MUST(select->step()));
	cr_expect_eq(select->int64(0), 7);
	cr_expect_eq(select->int64(1), 1);
	cr_expect_eq(select->text(2), "literal");
	cr_expect(select->optionalInt64(3) == std::optional<int64_t>(3));
	cr_expect(!select->optionalInt64(4));
	cr_expect(!MUST(select->step()));
}

Test(sqlite, bind_refuses_a_wrong_count_and_an_unsigned_overflow)
{
	TempDir dir;
	Database db = openTable(dir / "db");
	auto insert = MUST(db.query("INSERT INTO t (a, b) VALUES (?1, ?2)"));
	EXPECT_ERROR(insert->bind(1), EINVAL, "bind 1 values to 2 parameters");
	EXPECT_ERROR(insert->bind(1, 2, 3), EINVAL, "bind 3 values to 2 parameters");
	EXPECT_ERROR(insert->bind(1, std::numeric_limits<uint64_t>::max()), EOVERFLOW,
		     "18446744073709551615 does not fit");
}

Test(sqlite, cached_statements_are_prepared_once_and_lent_once)
{
	TempDir dir;
	Database db = openTable(dir / "db");
	sqlite3_stmt *first;
	{
		auto query = MUST(db.query("SELECT count(*) FROM t"));
		first = query->get();
		/* Two loans of one statement would rewind each other. */
		EXPECT_ERROR(db.query("SELECT count(*) FROM t"), EBUSY, "already in use");
	}
	auto again = MUST(db.query("SELECT count(*) FROM t"));
	cr_expect_eq(again->get(), first, "prepared a second time");
}

Test(sqlite, a_returned_query_does_not_pin_an_old_snapshot)
{
	TempDir dir;
	Database reader = openTable(dir / "db");
	Database writer = MUST(Database::open(dir / "db"));
	MUST(reader.exec("PRAGMA journal_mode = WAL"));
	MUST(writer.exec("INSERT INTO t (a) VALUES (1), (2)"));
	{
		/* Read one row of two, then give the statement back mid-way. */
		auto query = MUST(reader.query("SELECT a FROM t"));
		cr_assert(MUST(query->step()));
	}
	MUST(writer.exec("INSERT INTO t (a) VALUES (3)"));
	cr_expect_eq(countRows(reader), 3, "the reader still sees its old snapshot");
}

Test(sqlite, transaction_rolls_back_unless_committed)
{
	TempDir dir;
	Database db = openTable(dir / "db");
	{
		Transaction tx = MUST(db.begin());
		MUST(db.exec("INSERT INTO t (a) VALUES (1)"));
		cr_expect(db.inTransaction());
	}
	cr_expect(!db.inTransaction());
	cr_expect_eq(countRows(db), 0);
	Transaction tx = MUST(db.begin());
	MUST(db.exec("INSERT INTO t (a) VALUES (1)"));
	MUST(tx.commit());
	cr_expect(!tx.active());
	cr_expect_eq(countRows(db), 1);
	EXPECT_ERROR(tx.commit(), EINVAL, "no transaction is open");
}

Test(sqlite, savepoint_undoes_only_its_own_writes)
{
	TempDir dir;
	Database db = openTable(dir / "db");
	Transaction tx = MUST(db.begin());
	MUST(db.exec("INSERT INTO t (a) VALUES (1)"));
	{
		Savepoint savepoint = MUST(db.savepoint());
		MUST(db.exec("INSERT INTO t (a) VALUES (2)"));
	}
	{
		Savepoint savepoint = MUST(db.savepoint());
		MUST(db.exec("INSERT INTO t (a) VALUES (3)"));
		MUST(savepoint.release());
	}
	MUST(tx.commit());
	auto query = MUST(db.query("SELECT group_concat(a) FROM t"));
	cr_assert(MUST(query->step()));
	cr_expect_eq(query->text(0), "1,3");
}

Test(sqlite, errors_carry_sqlites_message_and_an_errno)
{
	TempDir dir;
	Database db = openTable(dir / "db");
	EXPECT_ERROR(db.prepare("SELEC 1"), EIO, "syntax error");
	EXPECT_ERROR(db.exec("INSERT INTO nowhere VALUES (1)"), EIO, "no such table: nowhere");
	MUST(db.exec("CREATE TABLE u (x INTEGER NOT NULL)"));
	EXPECT_ERROR(db.exec("INSERT INTO u VALUES (NULL)"), EINVAL, "NOT NULL constraint failed");

	/* A second writer past its busy timeout is told the database is locked. */
	Database other = MUST(Database::open(dir / "db"));
	Transaction tx = MUST(db.begin());
	EXPECT_ERROR(other.begin(), EBUSY, "database is locked");
}
