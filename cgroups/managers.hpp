/* SPDX-License-Identifier: MIT */
/*
 * The two implementations of Manager, opened by Manager::open once the
 * layout is known. Private to the cgroups library.
 */
#pragma once

#include <memory>
#include <string>

#include "cgroups/manager.hpp"

namespace benchd::cgroups {

/* A pure cgroup2 host, as detect.cpp found it. */
struct V2Place {
	std::string mountPoint; /* "/sys/fs/cgroup" */
	std::string ownCgroup;	/* ours, relative to the mount: "/" or "/system.slice/x" */
};
Result<std::unique_ptr<Manager>> openV2(const Options &options, const V2Place &place);

/* Our own cgroup's directory in each hierarchy a hybrid host gives us. */
struct HybridPlace {
	std::string unified; /* "/sys/fs/cgroup/unified" */
	std::string cpu;     /* "/sys/fs/cgroup/cpu" */
	std::string memory;  /* "/sys/fs/cgroup/memory/process_api/X" */
	std::string pids;    /* "/sys/fs/cgroup/pids" */
};
Result<std::unique_ptr<Manager>> openHybrid(const Options &options, const HybridPlace &place);

} /* namespace benchd::cgroups */
