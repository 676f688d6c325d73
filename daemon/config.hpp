/* SPDX-License-Identifier: MIT */
/*
 * The daemon's configuration: the embedded default (default-config.toml,
 * compiled in), then a file's keys on top. A bad file is refused with
 * file:line:column and the key.
 */
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "base/error.hpp"

namespace benchd::daemon {

struct OrgConfig {
	std::vector<std::string> users; /* names or numeric uids */
	uint32_t activeRuns = 0;
};

struct RunLimits {
	uint32_t cpuMillis = 0;
	uint64_t memoryBytes = 0;
	uint64_t pids = 0;
	uint64_t timeoutMs = 0;
	uint64_t tmpfsBytes = 0;
};

struct Config {
	/* [daemon] */
	std::string stateDir;
	std::string socketPath;
	std::string socketGroup;
	std::string adminGroup;
	std::string runtimeDir;
	uint64_t heartbeatMs = 0;
	uint64_t maxMessageBytes = 0;
	uint64_t maxClientBacklogBytes = 0;
	uint32_t maxClients = 0;
	uint64_t clientTimeoutMs = 0;

	/* [limits] */
	uint32_t slots = 0;
	uint32_t userActiveJobs = 0;
	uint32_t userQueuedJobs = 0;
	uint32_t orgActiveRuns = 0;
	uint32_t jobParallelRuns = 0;
	uint32_t maxRunsPerJob = 0;
	uint32_t autoRetries = 0;

	/* [defaults] and [maximum] */
	RunLimits defaults;
	uint64_t logCapBytes = 0;
	RunLimits maximum;

	/* [sandbox] */
	std::string rootfs;
	std::vector<std::string> masks;
	uid_t uidFirst = 0;
	uid_t uidCount = 0;

	/* [cgroup] */
	std::string cgroupRoot;
	std::string cgroupName;

	std::map<std::string, OrgConfig> orgs;
};

/* The embedded default as text (for --print-config and documentation). */
const std::string &defaultConfigText();

/*
 * The default, then `path`'s keys on top (when given). `name` is what
 * errors call the text ("default-config.toml", the file's path).
 */
Result<Config> loadConfig(const std::optional<std::string> &path);
Result<Config> parseConfig(const std::string &text, const std::string &name, Config base);

} /* namespace benchd::daemon */
