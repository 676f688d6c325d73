/* SPDX-License-Identifier: MIT */
/*
 * A Plan is a SandboxSpec turned into the exact list of steps the child
 * runs after clone: every path joined, every string built, every vector
 * sized. The child only reads it; it allocates nothing (it is a copy of a
 * possibly multi-threaded parent and malloc's locks are not its own).
 *
 * buildPlan() is a pure function of the spec and a few facts about the
 * host (what the root contains, whether sources exist), so it can be
 * tested and fuzzed without privileges.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <vector>

#include "base/error.hpp"
#include "sandbox/spec.hpp"

namespace benchd::sandbox {

/* Where the child builds the new root before pivot_root (inside its own mount ns). */
inline constexpr const char *kOldRoot = "/oldroot";
inline constexpr const char *kNewRoot = "/newroot";

enum class MountKind : uint8_t {
	Mkdir,	     /* target */
	Symlink,     /* source -> target */
	BindDir,     /* recursive bind source on target (a directory) */
	BindFile,    /* bind source on target (a file; target created if missing) */
	Tmpfs,	     /* tmpfs on target with `data` options */
	Proc,	     /* fresh proc on target */
	Sysfs,	     /* fresh sysfs on target (read-only) */
	Cgroup2,     /* the sandbox's own cgroup namespace view (read-only) */
	Devpts,	     /* new devpts instance on target */
	RebindRo,    /* bind target onto itself read-only (e.g. /proc/sys) */
	RemountRo,   /* make the mount at target read-only, not recursive */
};

struct MountOp {
	MountKind kind;
	std::string source;	 /* absolute, under kOldRoot, or a symlink target */
	std::string target;	 /* absolute, under kNewRoot */
	std::string data;	 /* tmpfs/devpts options */
	unsigned long flags = 0; /* MS_* for mount(2) */
	bool readOnly = false;	 /* for binds: applied recursively */
	bool optional = false;	 /* skip when the source/target is missing */
	std::string what;	 /* for errors: "bind /usr", "mount proc on /proc" */
};

struct RlimitOp {
	int resource;
	struct rlimit limit;
	const char *name;
};

/* Host facts buildPlan needs, gathered by probeHost() or made up in tests. */
struct HostFacts {
	struct RootEntry {
		std::string name;
		enum class Type { Directory, Symlink, Other } type;
		std::string linkTarget;
	};
	std::vector<RootEntry> rootEntries; /* top level of spec.rootfs */
	/*
	 * Type of a host path: 'd' directory, 'f' anything else, 0 missing.
	 * `follow`: stat (bind sources) or lstat (mount points in the root).
	 */
	std::function<char(const std::string &, bool follow)> pathType;
};

struct Plan {
	std::vector<MountOp> mounts;
	std::vector<RlimitOp> rlimits;

	std::vector<std::string> argvStorage;
	std::vector<std::string> envStorage;
	std::vector<char *> argv; /* null-terminated, points into argvStorage */
	std::vector<char *> envp;
	std::string pathVar;	  /* the job's PATH, for the command search */

	std::string workdir;
	std::string hostname;
	uid_t uid = 0;
	gid_t gid = 0;
	bool dieWithParent = false;
	int capLastCap = 40;

	Plan() = default;
	Plan(const Plan &) = delete; /* argv/envp point into storage */
	Plan &operator=(const Plan &) = delete;
	Plan(Plan &&) = default;
	Plan &operator=(Plan &&) = default;
};

/* Read the facts about this host that buildPlan needs. */
Result<HostFacts> probeHost(const std::string &rootfs);

/* Validate the spec and lay out every step. Errors name the bad value. */
Result<Plan> buildPlan(const SandboxSpec &spec, const HostFacts &facts);

/* Parse "SRC[:DST]" as people type it on a command line. */
Result<BindSpec> parseBind(const std::string &text, bool readOnly);

} /* namespace benchd::sandbox */
