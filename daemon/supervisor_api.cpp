/* SPDX-License-Identifier: MIT */
/*
 * The supervisor's answers to the API: views of jobs and runs (read from
 * the store, which the daemon's own connection sees up to date even
 * before the batch commits), and cancel/retry.
 */
#include <map>

#include "log.hpp"
#include "runner/result.hpp"
#include "supervisor.hpp"

namespace benchd::daemon {

using protocol::Json;
using store::RunState;

namespace {

Json orNull(const std::optional<int64_t> &v)
{
	return v ? Json(*v) : Json(nullptr);
}

Json runView(const store::RunRow &r)
{
	Json result = nullptr;
	if (r.resultJson) {
		result = Json::parse(*r.resultJson, nullptr, false);
		if (result.is_discarded())
			result = nullptr;
	}
	return {
		{ "id", r.id },
		{ "index", r.idx },
		{ "attempt", r.attempt },
		{ "replaces", orNull(r.replacesRunId) },
		{ "state", store::stateName(r.state) },
		{ "reason", r.reason ? Json(*r.reason) : Json(nullptr) },
		{ "created_at_ms", r.createdAt },
		{ "started_at_ms", orNull(r.startedAt) },
		{ "finished_at_ms", orNull(r.finishedAt) },
		{ "result", result },
		{ "stdout_bytes", r.stdoutBytes },
		{ "stderr_bytes", r.stderrBytes },
		{ "log_truncated", r.logTruncated },
	};
}

/* How many of the job's runs (latest attempts) are in each state. */
Json summary(const std::vector<store::RunRow> &attempts)
{
	std::map<int64_t, const store::RunRow *> latest;
	for (const auto &r : attempts) {
		auto &slot = latest[r.idx];
		if (!slot || slot->attempt < r.attempt)
			slot = &r;
	}
	Json counts = Json::object();
	for (const auto &[idx, r] : latest) {
		std::string name = store::stateName(r->state);
		counts[name] = counts.value(name, 0) + 1;
	}
	return counts;
}

} /* namespace */

std::optional<ApiError> Supervisor::mayAccess(const Peer &peer, const store::JobRow &job) const
{
	if (peer.uid == job.uid || isAdmin(peer))
		return std::nullopt;
	return ApiError{ protocol::errors::kPermissionDenied,
			 { { "id", job.id }, { "reason", "job " + std::to_string(job.id) + " belongs to another user" } } };
}

Result<Supervisor::JobMem> Supervisor::loadJob(const store::JobRow &row)
{
	auto spec = specFromJson(row.specJson);
	if (!spec)
		return std::move(spec).error();
	auto latest = store().latestRunsOf(row.id);
	if (!latest)
		return std::move(latest).error();
	JobMem job;
	job.uid = row.uid;
	job.spec = std::move(*spec);
	job.cancelRequested = row.cancelRequested;
	job.written = row.state;
	for (const auto &r : *latest) {
		job.latest.push_back(r.id);
		job.states[r.id] = r.state;
	}
	return job;
}

namespace {

} /* namespace */

/* The job, if it exists and the caller may see it. */
ApiResult<store::JobRow> Supervisor::accessibleJob(const Peer &peer, int64_t id)
{
	auto row = store().job(id);
	if (!row) {
		if (row.error().code() == ENOENT)
			return ApiError{ protocol::errors::kJobNotFound, { { "id", id } } };
		return internalError(row.error().message());
	}
	if (auto denied = mayAccess(peer, *row))
		return *denied;
	return std::move(*row);
}

/* A job as the API shows it; `attempts` are listed only when asked for. */
ApiResult<Json> Supervisor::jobView(const store::JobRow &job, bool withAttempts)
{
	auto attempts = withAttempts ? store().runsOf(job.id) : store().latestRunsOf(job.id);
	auto spec = specFromJson(job.specJson);
	if (!attempts || !spec)
		return internalError(!attempts ? attempts.error().message() : spec.error().message());
	Json view = {
		{ "id", job.id },
		{ "uid", job.uid },
		{ "user", userName(job.uid) },
		{ "state", store::stateName(job.state) },
		{ "argv", spec->argv },
		{ "meta", spec->meta },
		{ "limits", limitsToJson(spec->limits) },
		{ "runs", job.runs },
		{ "parallel", job.parallel },
		{ "created_at_ms", job.createdAt },
		{ "finished_at_ms", orNull(job.finishedAt) },
		{ "summary", summary(*attempts) },
	};
	if (withAttempts) {
		Json runs = Json::array();
		for (const auto &r : *attempts)
			runs.push_back(runView(r));
		view["attempts"] = std::move(runs);
	}
	return view;
}

ApiResult<Json> Supervisor::status(const Peer &peer, int64_t id)
{
	auto row = accessibleJob(peer, id);
	if (auto *e = std::get_if<ApiError>(&row))
		return *e;
	return jobView(std::get<store::JobRow>(row), true);
}

ApiResult<Json> Supervisor::list(const Peer &peer, std::optional<std::string> state, bool all, int64_t limit)
{
	std::optional<store::JobState> filter;
	if (state) {
		filter = store::jobStateFromName(*state);
		if (!filter)
			return ApiError{ protocol::errors::kInvalidArgument,
					 { { "parameter", "state" },
					   { "reason", "unknown state '" + *state +
							       "' (queued, running, completed, failed, timed_out, aborted)" } } };
	}
	std::optional<uid_t> owner = peer.uid;
	if (all && isAdmin(peer))
		owner.reset();
	auto rows = store().jobs(owner, filter, limit);
	if (!rows)
		return internalError(rows.error().message());
	Json jobs = Json::array();
	/* The list shows the summary; `status JOB` shows every attempt. */
	for (const auto &row : *rows) {
		auto view = jobView(row, false);
		if (auto *j = std::get_if<Json>(&view))
			jobs.push_back(std::move(*j));
	}
	auto s = scheduler_.stats();
	Json capacity = {
		{ "slots_total", s.slotsTotalMilli / scheduler::kMilliPerSlot },
		{ "slots_used", (s.slotsUsedMilli + scheduler::kMilliPerSlot - 1) / scheduler::kMilliPerSlot },
		{ "running_runs", s.runningRuns },
		{ "queued_runs", s.queuedRuns },
		{ "queued_jobs", s.queuedJobs },
	};
	return Json{ { "jobs", jobs }, { "capacity", capacity } };
}

ApiResult<Json> Supervisor::cancel(const Peer &peer, int64_t id)
{
	auto row = accessibleJob(peer, id);
	if (auto *e = std::get_if<ApiError>(&row))
		return *e;
	const auto &job = std::get<store::JobRow>(row);
	auto it = jobs_.find(id);
	if (store::isTerminal(job.state) || it == jobs_.end())
		return ApiError{ protocol::errors::kAlreadyFinished,
				 { { "id", id }, { "state", store::stateName(job.state) } } };
	if (!ensureTransaction())
		return internalError("the state database is unavailable");
	if (auto s = store().requestCancel(id); !s)
		return internalError(s.error().message());
	it->second.cancelRequested = true;
	log(Level::Info, "job " + std::to_string(id) + ": cancel requested by uid " + std::to_string(peer.uid));
	if (auto pending = scheduler_.cancelJob(id))
		for (int64_t runId : *pending)
			transition(runId, RunState::Queued, RunState::Aborted, "cancelled");
	for (auto &[runId, entry] : live_) {
		if (entry.jobId != id)
			continue;
		entry.cancelled = true;
		if (entry.run)
			entry.run->kill();
	}
	updateJobState(id);
	return status(peer, id);
}

ApiResult<Json> Supervisor::retry(const Peer &peer, int64_t id)
{
	auto row = accessibleJob(peer, id);
	if (auto *e = std::get_if<ApiError>(&row))
		return *e;
	const auto &job = std::get<store::JobRow>(row);
	auto latest = store().latestRunsOf(id);
	if (!latest)
		return internalError(latest.error().message());
	std::vector<int64_t> again;
	for (const auto &r : *latest)
		if (r.state != RunState::Completed)
			again.push_back(r.id);
	if (!store::isTerminal(job.state) || jobs_.count(id) || again.empty())
		return ApiError{ protocol::errors::kNotRetryable, { { "id", id }, { "state", store::stateName(job.state) } } };
	if (auto s = scheduler_.admit(job.uid); !s)
		return ApiError{ protocol::errors::kQueueFull,
				 { { "limit", "user_queued_jobs" }, { "value", config_.userQueuedJobs },
				   { "reason", s.error().message() } } };
	if (!ensureTransaction())
		return internalError("the state database is unavailable");

	std::vector<int64_t> queued;
	for (int64_t old : again) {
		auto fresh = store().insertRetry(old, now());
		if (!fresh)
			return internalError(fresh.error().message());
		queued.push_back(*fresh);
	}
	if (auto s = store().setCancelRequested(id, false); !s)
		return internalError(s.error().message());
	if (auto s = store().setJobState(id, store::JobState::Queued, std::nullopt); !s)
		return internalError(s.error().message());
	auto refreshed = store().job(id);
	auto mem = refreshed ? loadJob(*refreshed) : Result<JobMem>(refreshed.error());
	if (!mem)
		return internalError(mem.error().message());
	if (auto s = admitJob(id, std::move(*mem), queued); !s)
		return internalError(s.error().message());
	log(Level::Info, "job " + std::to_string(id) + ": retry of " + std::to_string(queued.size()) +
				 " runs requested by uid " + std::to_string(peer.uid));
	return status(peer, id);
}

ApiResult<Supervisor::LogTarget> Supervisor::logTarget(const Peer &peer, int64_t jobId, uint32_t index,
						       const std::string &stream)
{
	auto row = accessibleJob(peer, jobId);
	if (auto *e = std::get_if<ApiError>(&row))
		return *e;
	const auto &job = std::get<store::JobRow>(row);
	auto latest = store().latestRunsOf(jobId);
	if (!latest)
		return internalError(latest.error().message());
	for (const auto &r : *latest) {
		if (r.idx != static_cast<int64_t>(index))
			continue;
		return LogTarget{ r.id, r.attempt, config_.stateDir + "/runs/" + std::to_string(r.id) + "/" + stream,
				  r.logTruncated };
	}
	return ApiError{ protocol::errors::kInvalidArgument,
			 { { "parameter", "run" },
			   { "reason", "job " + std::to_string(jobId) + " has runs 0 to " +
					       std::to_string(job.runs - 1) + ", not " + std::to_string(index) } } };
}

} /* namespace benchd::daemon */
