/* SPDX-License-Identifier: MIT */
/*
 * RAII over the SQLite C API, in the shape of MPD's src/lib/sqlite:
 *
 *  - Database owns the connection and a cache of prepared statements; the
 *    daemon runs the same few statements thousands of times, so each SQL
 *    text is prepared once.
 *  - Statement owns one prepared statement; bind(args...) binds ?1..?N.
 *  - Query lends a cached Statement and resets it when it goes, so a
 *    half-read SELECT never keeps a read snapshot open behind our back.
 *  - Transaction (BEGIN IMMEDIATE) and Savepoint roll back unless
 *    committed or released.
 *
 * A failure is an Error whose context is SQLite's own message ("database
 * is locked"), with the errno that fits the result code (EBUSY, ENOSPC,
 * EACCES, EINVAL for a violated constraint, EIO otherwise). Callers wrap it
 * with what they were doing.
 *
 * One connection belongs to one thread.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "base/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace benchd::store {

/* The Error for result code `rc` of a call on `db` (may be null). */
Error sqliteError(sqlite3 *db, int rc);

namespace detail {
template<typename T>
struct IsOptional : std::false_type {
};
template<typename T>
struct IsOptional<std::optional<T>> : std::true_type {
};
} /* namespace detail */

class Statement
{
public:
	Statement() = default;
	explicit Statement(sqlite3_stmt *stmt) : stmt_(stmt) {}
	~Statement();

	Statement(const Statement &) = delete;
	Statement &operator=(const Statement &) = delete;
	Statement(Statement &&other) noexcept
		: stmt_(std::exchange(other.stmt_, nullptr))
	{
	}
	Statement &operator=(Statement &&other) noexcept;

	/*
	 * Rewind, drop the old bindings and bind `args` to ?1..?N. The count
	 * must match the SQL's parameters. Values are copied: temporaries may
	 * die before step(). Takes integers (unsigned 64-bit ones up to
	 * INT64_MAX), bool, strings, nullptr (NULL) and std::optional of any
	 * of these (NULL when empty).
	 */
	template<typename... Args>
	Status bind(const Args &...args)
	{
		reset();
		Status status = checkParameterCount(sizeof...(Args));
		if (!status)
			return status;
		[[maybe_unused]] int index = 0;
		(void)((status = bindValue(++index, args)).ok() && ...);
		return status;
	}

	/* One step: true with a row to read, false when done. */
	Result<bool> step();

	/* Step to the end, for statements that return no rows; then rewind. */
	Status run();

	/* Rewind and drop the bindings. */
	void reset();

	bool isNull(int column) const;
	int64_t int64(int column) const;
	std::optional<int64_t> optionalInt64(int column) const;
	std::string text(int column) const;
	std::optional<std::string> optionalText(int column) const;

	std::string_view sql() const;
	sqlite3_stmt *get() const { return stmt_; }

private:
	friend class Query;
	friend class Database;

	template<typename T>
	Status bindValue(int index, const T &value)
	{
		if constexpr (std::is_same_v<T, std::nullptr_t>)
			return bindNull(index);
		else if constexpr (detail::IsOptional<T>::value)
			return value ? bindValue(index, *value) : bindNull(index);
		else if constexpr (std::is_same_v<T, bool>)
			return bindInt64(index, value ? 1 : 0);
		else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T> &&
				   sizeof(T) >= sizeof(int64_t))
			return bindUint64(index, value);
		else if constexpr (std::is_integral_v<T>)
			return bindInt64(index, static_cast<int64_t>(value));
		else if constexpr (std::is_convertible_v<const T &, std::string_view>)
			return bindText(index, std::string_view(value));
		else
			static_assert(sizeof(T) == 0, "Statement::bind: unsupported type");
	}

	Status checkParameterCount(int count) const;
	Status bindNull(int index);
	Status bindInt64(int index, int64_t value);
	Status bindUint64(int index, uint64_t value);
	Status bindText(int index, std::string_view value);

	sqlite3_stmt *stmt_ = nullptr;
	bool leased_ = false;
};

/* A cached Statement on loan from its Database; reset when returned. */
class Query
{
public:
	explicit Query(Statement &statement) : statement_(&statement)
	{
		statement_->leased_ = true;
	}
	~Query();

	Query(const Query &) = delete;
	Query &operator=(const Query &) = delete;
	Query(Query &&other) noexcept
		: statement_(std::exchange(other.statement_, nullptr))
	{
	}
	Query &operator=(Query &&) = delete;

	Statement *operator->() const { return statement_; }
	Statement &operator*() const { return *statement_; }

private:
	Statement *statement_;
};

/*
 * BEGIN IMMEDIATE ... COMMIT. IMMEDIATE takes the write lock at once, so a
 * transaction never fails half-way through on a lock it could not upgrade.
 * Rolled back when destroyed uncommitted. Holds the raw connection, which
 * stays put when the Database object is moved; it must not outlive the
 * Database itself.
 */
class [[nodiscard]] Transaction
{
public:
	Transaction() = default;
	~Transaction();

	Transaction(const Transaction &) = delete;
	Transaction &operator=(const Transaction &) = delete;
	Transaction(Transaction &&other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
	Transaction &operator=(Transaction &&other) noexcept;

	/*
	 * On failure the transaction may still be open (SQLITE_BUSY): commit
	 * can be retried, and destruction rolls it back.
	 */
	Status commit();
	Status rollback();
	bool active() const { return db_ != nullptr; }

private:
	friend class Database;
	explicit Transaction(sqlite3 *db) : db_(db) {}

	sqlite3 *db_ = nullptr;
};

/*
 * SAVEPOINT ... RELEASE: makes a group of statements all-or-nothing, inside
 * the caller's transaction or (as a transaction of its own) outside one.
 */
class [[nodiscard]] Savepoint
{
public:
	Savepoint() = default;
	~Savepoint();

	Savepoint(const Savepoint &) = delete;
	Savepoint &operator=(const Savepoint &) = delete;
	Savepoint(Savepoint &&other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
	Savepoint &operator=(Savepoint &&) = delete;

	Status release();

private:
	friend class Database;
	explicit Savepoint(sqlite3 *db) : db_(db) {}

	sqlite3 *db_ = nullptr;
};

class Database
{
public:
	Database() = default;
	~Database();

	Database(const Database &) = delete;
	Database &operator=(const Database &) = delete;
	Database(Database &&other) noexcept;
	Database &operator=(Database &&other) noexcept;

	/*
	 * Open (and create, when `create`) a database file. SQLite opens
	 * lazily: a file that is not a database fails at the first statement.
	 */
	static Result<Database> open(const std::string &path, bool create = true);

	/* Run one or more statements that return no rows (DDL, pragmas). */
	Status exec(const std::string &sql);

	/* Prepare a statement the caller owns. */
	Result<Statement> prepare(std::string_view sql);

	/* Lend the cached statement for `sql`, preparing it on first use. */
	Result<Query> query(std::string_view sql);

	Result<Transaction> begin();
	Result<Savepoint> savepoint();

	int64_t lastInsertId() const;
	/* Rows changed by the last INSERT, UPDATE or DELETE. */
	int changes() const;
	bool inTransaction() const;
	/* The database file is open read-only (SQLite falls back silently). */
	bool readOnly() const;

	sqlite3 *get() const { return db_; }

private:
	explicit Database(sqlite3 *db) : db_(db) {}
	void close();

	struct SqlHash {
		using is_transparent = void;
		size_t operator()(std::string_view sql) const
		{
			return std::hash<std::string_view>{}(sql);
		}
	};

	sqlite3 *db_ = nullptr;
	/* Finalized before the connection closes (see close()). */
	std::unordered_map<std::string, Statement, SqlHash, std::equal_to<>> cache_;
};

} /* namespace benchd::store */
