/* SPDX-License-Identifier: MIT */
/*
 * What the Store's files share: the column lists that the row decoders
 * read in order, the decoders, and the small statement helpers.
 */
#pragma once

#include <string>

#include "store/store.hpp"

/* String literals, so each query stays one literal for the statement cache. */
#define STORE_JOB_COLUMNS                                                                   \
	"id, uid, state, spec_json, runs, parallel, created_at, finished_at, cancel_requested"
#define STORE_RUN_COLUMNS                                                                   \
	"id, job_id, idx, attempt, replaces_run_id, state, reason, created_at, started_at, " \
	"finished_at, heartbeat_at, result_json, stdout_bytes, stderr_bytes, log_truncated, leaf"
#define STORE_TRANSITION_COLUMNS "id, run_id, from_state, to_state, at, reason"
#define STORE_USER_COLUMNS "users.uid, users.name, users.org, orgs.active_runs_cap"

namespace benchd::store {

/* Read the current row, in the order of the column lists above. */
Status decodeRow(const Statement &statement, JobRow &row);
Status decodeRow(const Statement &statement, RunRow &row);
Status decodeRow(const Statement &statement, TransitionRow &row);
Status decodeRow(const Statement &statement, UserRow &row);

inline Error storeError(Error error, std::string_view what)
{
	return std::move(error).wrap("store: " + std::string(what));
}

template<typename... Args>
Status Store::execute(std::string_view what, std::string_view sql, const Args &...args)
{
	auto query = db_.query(sql);
	if (!query)
		return storeError(std::move(query).error(), what);
	Status status = (*query)->bind(args...);
	if (status)
		status = (*query)->run();
	if (!status)
		return storeError(std::move(status).error(), what);
	return {};
}

template<typename... Args>
Status Store::updateOne(std::string_view what, std::string_view sql, const Args &...args)
{
	if (auto status = execute(what, sql, args...); !status)
		return status;
	if (db_.changes() == 0)
		return Error(ENOENT, "store: " + std::string(what) + ": no such row");
	return {};
}

template<typename... Args>
Result<int64_t> Store::scalar(std::string_view what, std::string_view sql, const Args &...args)
{
	auto query = db_.query(sql);
	if (!query)
		return storeError(std::move(query).error(), what);
	if (auto status = (*query)->bind(args...); !status)
		return storeError(std::move(status).error(), what);
	auto row = (*query)->step();
	if (!row)
		return storeError(std::move(row).error(), what);
	if (!*row)
		return Error(EIO, "store: " + std::string(what) + ": no row");
	return (*query)->int64(0);
}

template<typename Row, typename... Args>
Result<std::vector<Row>> Store::select(std::string_view what, std::string_view sql,
				       const Args &...args)
{
	auto query = db_.query(sql);
	if (!query)
		return storeError(std::move(query).error(), what);
	if (auto status = (*query)->bind(args...); !status)
		return storeError(std::move(status).error(), what);
	std::vector<Row> rows;
	for (;;) {
		auto more = (*query)->step();
		if (!more)
			return storeError(std::move(more).error(), what);
		if (!*more)
			return rows;
		Row &row = rows.emplace_back();
		if (auto status = decodeRow(**query, row); !status)
			return storeError(std::move(status).error(), what);
	}
}

} /* namespace benchd::store */
