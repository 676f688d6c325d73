/* SPDX-License-Identifier: MIT */
#include "runner/result.hpp"

#include <nlohmann/json.hpp>

namespace benchd::runner {

namespace {

const std::pair<RunStatus, const char *> kNames[] = {
	{ RunStatus::Ok, "ok" },
	{ RunStatus::ExitNonzero, "exit_nonzero" },
	{ RunStatus::Signaled, "signaled" },
	{ RunStatus::TimedOut, "timed_out" },
	{ RunStatus::MemoryLimit, "memory_limit" },
	{ RunStatus::SetupError, "setup_error" },
};

template<typename T>
nlohmann::ordered_json orNull(const std::optional<T> &v)
{
	return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

} /* namespace */

const char *statusName(RunStatus status)
{
	for (const auto &[s, name] : kNames)
		if (s == status)
			return name;
	return "unknown";
}

int RunResult::processExitCode() const
{
	switch (status) {
	case RunStatus::Ok:
		return 0;
	case RunStatus::ExitNonzero:
		return exitCode.value_or(1);
	case RunStatus::Signaled:
	case RunStatus::MemoryLimit:
		return 128 + signal.value_or(9);
	case RunStatus::TimedOut:
		return 124;
	case RunStatus::SetupError:
		return 125;
	}
	return 125;
}

RunResult RunResult::setupFailure(const Error &error)
{
	RunResult r;
	r.status = RunStatus::SetupError;
	r.error = error.message();
	return r;
}

nlohmann::ordered_json toJson(const RunResult &r)
{
	return {
		{ "status", statusName(r.status) },
		{ "exit_code", orNull(r.exitCode) },
		{ "signal", orNull(r.signal) },
		{ "wall_ms", r.wallMs },
		{ "cpu_user_ms", r.cpuUserMs },
		{ "cpu_sys_ms", r.cpuSysMs },
		{ "memory_peak_bytes", orNull(r.memoryPeakBytes) },
		{ "oom_killed", r.oomKilled },
		{ "pids_limit_hit", r.pidsLimitHit },
		{ "pids_peak", orNull(r.pidsPeak) },
		{ "error", r.error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error) },
	};
}


} /* namespace benchd::runner */
