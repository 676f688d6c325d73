/* SPDX-License-Identifier: MIT */
/* Rows to structs, column by column in the order of internal.hpp's lists. */
#include "internal.hpp"

namespace benchd::store {

namespace {

/* The schema's CHECKs keep states valid; a bad one means a hand-edited file. */
Status readState(const Statement &statement, int column, RunState &out)
{
	std::string name = statement.text(column);
	auto state = stateFromName(name);
	if (!state)
		return Error(EINVAL, "unknown run state '" + name + "'");
	out = *state;
	return {};
}

Status readState(const Statement &statement, int column, JobState &out)
{
	std::string name = statement.text(column);
	auto state = jobStateFromName(name);
	if (!state)
		return Error(EINVAL, "unknown job state '" + name + "'");
	out = *state;
	return {};
}

} /* namespace */

Status decodeRow(const Statement &s, JobRow &row)
{
	row.id = s.int64(0);
	row.uid = uid_t(s.int64(1));
	if (auto status = readState(s, 2, row.state); !status)
		return std::move(status).error().wrap("job " + std::to_string(row.id));
	row.specJson = s.text(3);
	row.runs = s.int64(4);
	row.parallel = s.int64(5);
	row.createdAt = s.int64(6);
	row.finishedAt = s.optionalInt64(7);
	row.cancelRequested = s.int64(8) != 0;
	return {};
}

Status decodeRow(const Statement &s, RunRow &row)
{
	row.id = s.int64(0);
	row.jobId = s.int64(1);
	row.idx = s.int64(2);
	row.attempt = s.int64(3);
	row.replacesRunId = s.optionalInt64(4);
	if (auto status = readState(s, 5, row.state); !status)
		return std::move(status).error().wrap("run " + std::to_string(row.id));
	row.reason = s.optionalText(6);
	row.createdAt = s.int64(7);
	row.startedAt = s.optionalInt64(8);
	row.finishedAt = s.optionalInt64(9);
	row.heartbeatAt = s.optionalInt64(10);
	row.resultJson = s.optionalText(11);
	row.stdoutBytes = s.int64(12);
	row.stderrBytes = s.int64(13);
	row.logTruncated = s.int64(14) != 0;
	row.leaf = s.optionalText(15);
	return {};
}

Status decodeRow(const Statement &s, TransitionRow &row)
{
	row.id = s.int64(0);
	row.runId = s.int64(1);
	std::string what = "transition " + std::to_string(row.id);
	if (auto status = readState(s, 2, row.from); !status)
		return std::move(status).error().wrap(what);
	if (auto status = readState(s, 3, row.to); !status)
		return std::move(status).error().wrap(what);
	row.at = s.int64(4);
	row.reason = s.optionalText(5);
	return {};
}

Status decodeRow(const Statement &s, UserRow &row)
{
	row.uid = uid_t(s.int64(0));
	row.name = s.text(1);
	row.org = s.optionalText(2);
	row.orgActiveRunsCap = s.optionalInt64(3);
	return {};
}

} /* namespace benchd::store */
