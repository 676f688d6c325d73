/* SPDX-License-Identifier: MIT */
/*
 * Run the real `benchd oneshot` binary, with the probe bound at /probe,
 * and read back its --result JSON.
 */
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support.hpp"

namespace benchd::test {

/* Path of the probe on the host, and where tests bind it in the sandbox. */
std::string probeHostPath();
inline constexpr const char *kProbe = "/probe";

struct OneshotRun {
	CommandResult cmd;
	nlohmann::json result; /* null when no result file was written */

	/* value of `key=` in the job's stdout, or "" */
	std::string field(const std::string &key) const;
};

/*
 * benchd oneshot OPTIONS --ro-bind PROBE:/probe --result F -- COMMAND.
 * A unique single-uid range per calling process keeps tests from sharing uids.
 */
OneshotRun oneshot(const std::vector<std::string> &options,
		   const std::vector<std::string> &command,
		   const RunOptions &run = {});

/* The uid the oneshot() calls of this process get. */
unsigned testUid();

/* Processes on the host owned by uid (to find survivors). */
std::vector<int> processesOfUid(unsigned uid);

} /* namespace benchd::test */
