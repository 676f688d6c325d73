/* SPDX-License-Identifier: MIT */
#include "store/sqlite.hpp"

#include <limits>

#include <sqlite3.h>

namespace benchd::store {

namespace {

int errnoFor(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		/* Another connection holds the lock past busy_timeout: retry later. */
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR: {
		/* The errno of the system call that failed says more than "I/O error". */
		int code = db ? sqlite3_system_errno(db) : 0;
		return code ? code : EIO;
	}
	default:
		return EIO;
	}
}

Status execRaw(sqlite3 *db, const char *sql)
{
	char *message = nullptr;
	int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
	if (rc == SQLITE_OK)
		return {};
	std::string text = message ? message : sqlite3_errstr(rc);
	sqlite3_free(message);
	return Error(errnoFor(db, rc), std::move(text));
}

} /* namespace */

Error sqliteError(sqlite3 *db, int rc)
{
	/* errmsg describes the last call on db; errstr is all we have without one. */
	const char *text = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	return Error(errnoFor(db, rc), text);
}

/* Statement */

Statement::~Statement()
{
	sqlite3_finalize(stmt_);
}

Statement &Statement::operator=(Statement &&other) noexcept
{
	if (this != &other) {
		sqlite3_finalize(stmt_);
		stmt_ = std::exchange(other.stmt_, nullptr);
	}
	return *this;
}

Status Statement::checkParameterCount(int count) const
{
	int wanted = sqlite3_bind_parameter_count(stmt_);
	if (count == wanted)
		return {};
	return Error(EINVAL, "bind " + std::to_string(count) + " values to " +
				     std::to_string(wanted) + " parameters of \"" +
				     std::string(sql()) + "\"");
}

Status Statement::bindNull(int index)
{
	int rc = sqlite3_bind_null(stmt_, index);
	return rc == SQLITE_OK ? Status() : sqliteError(sqlite3_db_handle(stmt_), rc);
}

Status Statement::bindInt64(int index, int64_t value)
{
	int rc = sqlite3_bind_int64(stmt_, index, value);
	return rc == SQLITE_OK ? Status() : sqliteError(sqlite3_db_handle(stmt_), rc);
}

Status Statement::bindUint64(int index, uint64_t value)
{
	/* SQLite integers are signed; wrapping would store a negative count. */
	if (value > uint64_t(std::numeric_limits<int64_t>::max()))
		return Error(EOVERFLOW, "bind parameter " + std::to_string(index) + ": " +
						std::to_string(value) + " does not fit a signed 64-bit integer");
	return bindInt64(index, int64_t(value));
}

Status Statement::bindText(int index, std::string_view value)
{
	int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
				     SQLITE_TRANSIENT, SQLITE_UTF8);
	return rc == SQLITE_OK ? Status() : sqliteError(sqlite3_db_handle(stmt_), rc);
}

Result<bool> Statement::step()
{
	int rc = sqlite3_step(stmt_);
	if (rc == SQLITE_ROW)
		return true;
	if (rc == SQLITE_DONE)
		return false;
	return sqliteError(sqlite3_db_handle(stmt_), rc);
}

Status Statement::run()
{
	for (;;) {
		auto row = step();
		if (!row) {
			sqlite3_reset(stmt_);
			return std::move(row).error();
		}
		if (!*row)
			break;
	}
	sqlite3_reset(stmt_);
	return {};
}

void Statement::reset()
{
	sqlite3_reset(stmt_);
	sqlite3_clear_bindings(stmt_);
}

bool Statement::isNull(int column) const
{
	return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::int64(int column) const
{
	return sqlite3_column_int64(stmt_, column);
}

std::optional<int64_t> Statement::optionalInt64(int column) const
{
	if (isNull(column))
		return std::nullopt;
	return int64(column);
}

std::string Statement::text(int column) const
{
	auto *data = reinterpret_cast<const char *>(sqlite3_column_text(stmt_, column));
	/* column_bytes after column_text: the length of the UTF-8 form just made. */
	int size = sqlite3_column_bytes(stmt_, column);
	return data ? std::string(data, size_t(size)) : std::string();
}

std::optional<std::string> Statement::optionalText(int column) const
{
	if (isNull(column))
		return std::nullopt;
	return text(column);
}

std::string_view Statement::sql() const
{
	const char *text = stmt_ ? sqlite3_sql(stmt_) : nullptr;
	return text ? text : "";
}

Query::~Query()
{
	if (statement_) {
		statement_->reset();
		statement_->leased_ = false;
	}
}

/* Transaction and Savepoint */

Transaction::~Transaction()
{
	(void)rollback();
}

Transaction &Transaction::operator=(Transaction &&other) noexcept
{
	if (this != &other) {
		(void)rollback();
		db_ = std::exchange(other.db_, nullptr);
	}
	return *this;
}

Status Transaction::commit()
{
	if (!db_)
		return Error(EINVAL, "commit: no transaction is open");
	Status status = execRaw(db_, "COMMIT");
	/* A failed COMMIT may leave the transaction open (SQLITE_BUSY) or not. */
	if (status || sqlite3_get_autocommit(db_))
		db_ = nullptr;
	return status;
}

Status Transaction::rollback()
{
	if (!db_)
		return {};
	sqlite3 *db = std::exchange(db_, nullptr);
	/* SQLite may have rolled back already (SQLITE_FULL, SQLITE_IOERR, ...). */
	if (sqlite3_get_autocommit(db))
		return {};
	return execRaw(db, "ROLLBACK");
}

Savepoint::~Savepoint()
{
	if (!db_)
		return;
	/* ROLLBACK TO keeps the savepoint open; RELEASE closes it. */
	(void)execRaw(db_, "ROLLBACK TO store_savepoint");
	(void)execRaw(db_, "RELEASE store_savepoint");
}

Status Savepoint::release()
{
	if (!db_)
		return Error(EINVAL, "release: no savepoint is open");
	Status status = execRaw(db_, "RELEASE store_savepoint");
	if (status)
		db_ = nullptr;
	return status;
}

/* Database */

Database::~Database()
{
	close();
}

Database::Database(Database &&other) noexcept
	: db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_))
{
}

Database &Database::operator=(Database &&other) noexcept
{
	if (this != &other) {
		close();
		db_ = std::exchange(other.db_, nullptr);
		cache_ = std::move(other.cache_);
	}
	return *this;
}

void Database::close()
{
	/* Statements first: close_v2 would otherwise keep the connection alive. */
	cache_.clear();
	sqlite3_close_v2(db_);
	db_ = nullptr;
}

Result<Database> Database::open(const std::string &path, bool create)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	sqlite3 *db = nullptr;
	int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
	/* A connection object comes back even on failure, for its message. */
	Database database(db);
	if (rc != SQLITE_OK)
		return sqliteError(db, rc);
	return database;
}

Status Database::exec(const std::string &sql)
{
	return execRaw(db_, sql.c_str());
}

Result<Statement> Database::prepare(std::string_view sql)
{
	sqlite3_stmt *stmt = nullptr;
	int rc = sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT,
				    &stmt, nullptr);
	if (rc != SQLITE_OK)
		return sqliteError(db_, rc).wrap("prepare \"" + std::string(sql) + "\"");
	return Statement(stmt);
}

Result<Query> Database::query(std::string_view sql)
{
	auto it = cache_.find(sql);
	if (it == cache_.end()) {
		auto statement = prepare(sql);
		if (!statement)
			return std::move(statement).error();
		it = cache_.emplace(std::string(sql), std::move(*statement)).first;
	}
	/* Two loans of one statement would rewind each other's rows. */
	if (it->second.leased_)
		return Error(EBUSY, "statement already in use: \"" + std::string(sql) + "\"");
	return Query(it->second);
}

Result<Transaction> Database::begin()
{
	if (auto status = execRaw(db_, "BEGIN IMMEDIATE"); !status)
		return std::move(status).error().wrap("begin transaction");
	return Transaction(db_);
}

Result<Savepoint> Database::savepoint()
{
	if (auto status = execRaw(db_, "SAVEPOINT store_savepoint"); !status)
		return std::move(status).error().wrap("savepoint");
	return Savepoint(db_);
}

int64_t Database::lastInsertId() const
{
	return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const
{
	return sqlite3_changes(db_);
}

bool Database::inTransaction() const
{
	return !sqlite3_get_autocommit(db_);
}

bool Database::readOnly() const
{
	return sqlite3_db_readonly(db_, "main") == 1;
}

} /* namespace benchd::store */
