/* SPDX-License-Identifier: MIT */
/*
 * How a run ended, as one record: what `benchd oneshot --result` writes and
 * what the daemon stores per run.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"

namespace benchd::runner {

enum class RunStatus {
	Ok,	     /* exited 0 */
	ExitNonzero, /* exited with another code */
	Signaled,    /* killed by a signal it did not ask for from us */
	TimedOut,    /* we killed it at its deadline */
	MemoryLimit, /* the OOM killer acted inside its cgroup */
	SetupError,  /* the sandbox could not be built; the job never ran */
};

const char *statusName(RunStatus status);

struct RunResult {
	RunStatus status = RunStatus::SetupError;
	std::optional<int> exitCode;
	std::optional<int> signal;
	uint64_t wallMs = 0;
	uint64_t cpuUserMs = 0;
	uint64_t cpuSysMs = 0;
	std::optional<uint64_t> memoryPeakBytes;
	bool oomKilled = false;
	bool pidsLimitHit = false;
	std::optional<uint64_t> pidsPeak;
	std::string error;

	/* The exit status `benchd oneshot` gives: code, 128+N, 124 timeout, 125 setup. */
	int processExitCode() const;

	static RunResult setupFailure(const Error &error);
};

nlohmann::ordered_json toJson(const RunResult &result);

} /* namespace benchd::runner */
