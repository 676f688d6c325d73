/* SPDX-License-Identifier: MIT */
/*
 * The cgroup manager: one interface, one implementation per host layout.
 *
 *  - v2 (the product's main path): one cgroup2 tree with the cpu, memory and
 *    pids controllers. benchd owns a sub-tree (its delegated cgroup, or a
 *    configured root); the calling process is moved into `<root>/supervisor`
 *    before controllers are enabled (no internal processes), and each
 *    sandbox gets a leaf `<root>/<name>`.
 *  - hybrid (compatibility): controllers on cgroup-v1 hierarchies, plus a
 *    cgroup2 mount without them. Membership, cgroup.kill and populated
 *    tracking go through the cgroup2 mount; limits and most figures through
 *    the v1 cpu, memory and pids hierarchies, each under the cgroup that
 *    /proc/self/cgroup names for that hierarchy.
 *
 * benchd never touches a cgroup it did not create, apart from enabling
 * controllers in its own delegated root.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "base/error.hpp"

namespace benchd::cgroups {

enum class Layout {
	V2,
	Hybrid,
};

const char *layoutName(Layout layout);

struct Options {
	/*
	 * v2 only: absolute cgroup path (relative to the cgroup2 mount, e.g.
	 * "/benchd") to use as benchd's root. Empty: derive it from
	 * /proc/self/cgroup: our own cgroup when it is delegated to us (its
	 * `supervisor` child when we are already there), or "/<name>" when we
	 * sit in the root cgroup.
	 */
	std::string root;
	/*
	 * Name of benchd's sub-tree where one is created (v2 from the root
	 * cgroup; hybrid in every hierarchy). Separate instances (tests, a
	 * second daemon) use separate names so they never sweep each other.
	 */
	std::string name = "benchd";
	/* Where the hierarchies are mounted (tests and guests may differ). */
	std::string mountPoint = "/sys/fs/cgroup";
};

struct Limits {
	uint32_t milliCpus = 0;	  /* 0: no quota; 500 = half a CPU */
	uint64_t memoryBytes = 0; /* 0: no limit; swap is always 0 */
	uint64_t pidsMax = 0;	  /* 0: no limit */
};

/* Figures read from a leaf after (or during) a run. */
struct Usage {
	uint64_t cpuUserUs = 0;
	uint64_t cpuSystemUs = 0;
	std::optional<uint64_t> memoryPeakBytes; /* absent where the kernel lacks it */
	uint64_t oomKills = 0;			 /* processes killed by the OOM killer */
	uint64_t pidsLimitHits = 0;		 /* forks refused by pids.max */
	std::optional<uint64_t> pidsPeak;	 /* absent where the kernel lacks it */
};

/*
 * One sandbox's cgroup. Owning: destroying a Leaf that was not destroyed
 * explicitly kills what is left in it and removes it (best effort).
 */
class Leaf
{
public:
	virtual ~Leaf() = default;

	virtual const std::string &name() const = 0;

	/* cgroup2 directory fd, for clone3(CLONE_INTO_CGROUP). Borrowed. */
	virtual int dirFd() const = 0;

	/* cgroup2 path for messages, e.g. /sys/fs/cgroup/benchd/run-42. */
	virtual const std::string &path() const = 0;

	/*
	 * Put a process (host pid, not yet exec'd) into the limit hierarchies.
	 * No-op on v2, where CLONE_INTO_CGROUP already did it.
	 */
	virtual Status attach(pid_t pid) = 0;

	virtual Result<Usage> usage() const = 0;

	/* SIGKILL every process in the leaf (cgroup.kill). */
	virtual Status kill() = 0;

	/* `populated` from cgroup.events. */
	virtual Result<bool> populated() const = 0;

	/*
	 * An fd on cgroup.events: poll(POLLPRI) (or io_uring POLL_ADD) wakes
	 * when `populated` changes. Borrowed.
	 */
	virtual int eventsFd() const = 0;

	/* Block up to timeoutMs for the leaf to become empty. */
	virtual Status waitEmpty(int timeoutMs) = 0;

	/* kill, wait until empty, remove in every hierarchy. Idempotent. */
	virtual Status destroy() = 0;
};

class Manager
{
public:
	virtual ~Manager() = default;

	/*
	 * Find the host's layout, set up benchd's sub-tree, and return the
	 * matching manager; or fail naming what is missing.
	 */
	static Result<std::unique_ptr<Manager>> open(const Options &options);

	virtual Layout layout() const = 0;

	/* One line for logs: layout and where the tree is. */
	virtual std::string describe() const = 0;

	/* Create `<root>/<name>` with the limits applied. */
	virtual Result<std::unique_ptr<Leaf>> createLeaf(const std::string &name,
							 const Limits &limits) = 0;

	/* Names of the leaves under benchd's root (not `supervisor`). */
	virtual Result<std::vector<std::string>> listLeaves() const = 0;

	/* Kill and remove a leaf found by listLeaves (crash leftovers). */
	virtual Status removeLeaf(const std::string &name) = 0;
};

} /* namespace benchd::cgroups */
