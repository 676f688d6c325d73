/* SPDX-License-Identifier: MIT */
/*
 * File operations on cgroupfs, by absolute path so that every message names
 * the whole file ("write 'max' to /sys/fs/cgroup/benchd/run-1/pids.max").
 * Private to the cgroups library.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace benchd::cgroups {

std::string joinPath(const std::string &dir, std::string_view name);

Status writeCgroupFile(const std::string &path, std::string_view value);

/* Like writeCgroupFile, but a missing file is not an error: returns false. */
Result<bool> writeOptionalFile(const std::string &path, std::string_view value);

/* One decimal number (memory.max_usage_in_bytes, pids.peak, ...). */
Result<uint64_t> readNumber(const std::string &path);
Result<std::optional<uint64_t>> readOptionalNumber(const std::string &path);

/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events, ...). */
Result<uint64_t> readKeyed(const std::string &path, std::string_view key);

/* Space-separated names (cgroup.controllers, cgroup.subtree_control). */
Result<std::vector<std::string>> readNameList(const std::string &path);

/* mkdir; true when we created it, false when it was already there. */
Result<bool> makeCgroupDir(const std::string &path);

/* mkdir that fails when the directory exists (a leaf is always new). */
Status makeNewCgroupDir(const std::string &path);

/*
 * rmdir, retrying while the kernel still says EBUSY: a v1 hierarchy can
 * refuse for a moment after its last task exited. A directory that is
 * already gone counts as removed.
 */
Status removeCgroupDir(const std::string &path);

bool pathExists(const std::string &path);

/* Names of the sub-directories (child cgroups) of a cgroup directory. */
Result<std::vector<std::string>> listChildCgroups(const std::string &path);

/*
 * SIGKILL every pid listed in `dir`/cgroup.procs; returns how many were
 * listed. For v1 hierarchies and kernels without cgroup.kill (< 5.14).
 */
Result<size_t> killListed(const std::string &dir);

} /* namespace benchd::cgroups */

namespace benchd::cgroups {

/*
 * Reads several figures and keeps the first failure, so that a function
 * reading six files checks once at the end.
 */
class FigureReader
{
public:
	uint64_t keyed(const std::string &path, std::string_view key);
	std::optional<uint64_t> optionalNumber(const std::string &path);

	bool failed() const { return error_.has_value(); }
	Error takeError() { return std::move(*error_); }

private:
	std::optional<Error> error_;
};

} /* namespace benchd::cgroups */
