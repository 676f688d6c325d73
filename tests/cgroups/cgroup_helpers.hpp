/* SPDX-License-Identifier: MIT */
/*
 * What the cgroups suite needs around the manager: a uniquely named
 * sub-tree per test and its cleanup, the directories the host's layout
 * should have (worked out here, independently of the library), and
 * children placed in a leaf the way the runner places them.
 */
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "cgroups/manager.hpp"

namespace benchd::test {

/* The layout this host should be detected as. */
cgroups::Layout hostLayout();

/*
 * Options for a fresh sub-tree "benchd-test-<pid>-<n>", registered for
 * removal by cleanupCgroups() (the suite's .fini, which runs even after a
 * failed assertion).
 */
cgroups::Options freshOptions();

/*
 * The directories of `leaf` (or of the sub-tree itself when leaf is "")
 * in every hierarchy: one on v2, cgroup2 + cpu + memory + pids on hybrid.
 */
std::vector<std::string> treeDirs(const cgroups::Options &options, const std::string &leaf = "");

/* Open a manager on fresh options; asserts that it opens. */
std::unique_ptr<cgroups::Manager> openFresh(cgroups::Options *used = nullptr);

/* Open, asserting success, and create one leaf. */
std::unique_ptr<cgroups::Leaf> makeLeaf(cgroups::Manager &manager, const std::string &name,
					const cgroups::Limits &limits);

/* What a child runs once the parent has placed it and said go. */
enum class ChildJob {
	Hold,	   /* wait until the go pipe is closed, exit 0 */
	HogMemory, /* touch 256 MiB; exit 0 if it survives */
	ForkMany,  /* fork 64 sleepers; exit with the number of failed forks */
	Spin,	   /* burn 300 ms of CPU time, exit 0 */
};

struct Child {
	pid_t pid = -1;
	int go = -1; /* write end: write one byte to start, close to end Hold */

	void start();
	/* waitpid; returns the raw wait status. */
	int wait();
};

/*
 * clone3(CLONE_INTO_CGROUP) into the leaf's cgroup2 directory, then
 * attach() (a no-op on v2), as the runner does. Skips the test where the
 * kernel has no CLONE_INTO_CGROUP (< 5.7).
 */
Child spawnInLeaf(cgroups::Leaf &leaf, ChildJob job);

/* A plain fork(), not placed anywhere yet. */
Child forkChild(ChildJob job);

/* The pids listed in `dir`/cgroup.procs. */
std::vector<pid_t> listedPids(const std::string &dir);

/* A cgroup directory a test made by hand, removed by cleanupCgroups(). */
void registerTree(const std::string &dir);

/* v2: move this process into `dir`; cleanupCgroups() moves it back first. */
void moveSelfInto(const std::string &dir);

/* Our own cgroup2 directory, e.g. /sys/fs/cgroup or /sys/fs/cgroup/x/supervisor. */
std::string ownCgroup2Dir();

/* Remove the sub-trees and children registered so far (suite .fini). */
void cleanupCgroups();

} /* namespace benchd::test */
