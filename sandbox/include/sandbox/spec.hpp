/* SPDX-License-Identifier: MIT */
/*
 * What a caller asks of a sandbox, before any validation. Plain data:
 * buildPlan() turns it into a Plan or an Error naming the bad value.
 */
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace benchd::sandbox {

struct BindSpec {
	std::string source;	 /* host path */
	std::string destination; /* path in the sandbox; empty: same as source */
	bool readOnly = true;
};

struct RlimitSpec {
	uint64_t nofile = 1024;
	uint64_t fsizeBytes = 1ULL << 30; /* largest file a job may write */
	uint64_t stackBytes = 8ULL << 20;
};

struct SandboxSpec {
	std::vector<std::string> argv;
	/* KEY=VALUE, on top of a small clean default (PATH, HOME, TMPDIR, LANG). */
	std::vector<std::string> env;
	std::string workdir = "/work";

	/* Root filesystem, bind-mounted read-only. "/" is the host's. */
	std::string rootfs = "/";
	/*
	 * Paths of the root that the sandbox must not see (replaced by an
	 * empty read-only directory). The defaults hide other users' files
	 * and the host's runtime state; callers add their state dirs.
	 */
	std::vector<std::string> masks = { "/root", "/home", "/run", "/var/lib" };

	uint64_t workspaceBytes = 256ULL << 20; /* tmpfs at /work */
	uint64_t tmpBytes = 256ULL << 20;	/* tmpfs at /tmp (and /dev/shm) */
	std::vector<BindSpec> binds;

	uid_t uid = 0; /* must be set: a slot uid from the pool, never 0 */
	gid_t gid = 0;
	std::string hostname = "benchd";
	RlimitSpec rlimits;

	/* SIGKILL the sandbox if the process that spawned it dies. */
	bool dieWithParent = false;
};

} /* namespace benchd::sandbox */
