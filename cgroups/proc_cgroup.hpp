/* SPDX-License-Identifier: MIT */
/*
 * What /proc says about cgroups: the cgroup mounts (/proc/self/mountinfo)
 * and our own place in each hierarchy (/proc/self/cgroup).
 * Private to the cgroups library.
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace benchd::cgroups {

struct MountEntry {
	std::string root;	/* the cgroup shown at the mount point, "/" usually */
	std::string mountPoint; /* "/sys/fs/cgroup/memory" */
	std::string fsType;	/* "cgroup" (v1) or "cgroup2" */
	std::vector<std::string> superOptions; /* "rw", "cpu", "cpuacct", ... */
};

/* One line of /proc/self/cgroup: "4:memory:/process_api/X". */
struct Membership {
	int hierarchyId = 0;		      /* 0: the cgroup2 hierarchy */
	std::vector<std::string> controllers; /* "cpu", "cpuacct"; empty for 0 */
	std::string path;		      /* "/process_api/X" */
};

std::vector<MountEntry> parseMountInfo(std::string_view text);
std::vector<Membership> parseProcCgroup(std::string_view text);

Result<std::vector<MountEntry>> readMountInfo();
Result<std::vector<Membership>> readProcCgroup();

/* `path` is `dir` or below it. */
bool isAtOrUnder(std::string_view path, std::string_view dir);

/* The cgroup2 mount at or under `under` (the one at `under` first). */
const MountEntry *findCgroup2Mount(const std::vector<MountEntry> &mounts,
				   const std::string &under);

/* The v1 hierarchy that carries `controller`, mounted at or under `under`. */
const MountEntry *findV1Mount(const std::vector<MountEntry> &mounts,
			      const std::string &controller,
			      const std::string &under);

/* Our cgroup in the hierarchy of `controller` ("" for the cgroup2 one). */
std::optional<std::string> ownCgroup(const std::vector<Membership> &memberships,
				     const std::string &controller);

/*
 * A cgroup path as seen in /proc/self/cgroup, translated to a path relative
 * to `mount` (whose root may be a sub-cgroup, e.g. in a container).
 */
Result<std::string> pathInMount(const MountEntry &mount, const std::string &cgroup);

/* The directory of `cgroup` (a path relative to the mount) on disk. */
std::string dirOf(const MountEntry &mount, const std::string &relative);

} /* namespace benchd::cgroups */
