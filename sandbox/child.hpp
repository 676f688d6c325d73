/* SPDX-License-Identifier: MIT */
/*
 * Private to sandbox/: the code that runs in the cloned child.
 *
 * Rules for everything reachable from childMain():
 *  - no allocation (no new, no std::string building, no stdio): the child
 *    is a copy of the parent and may have inherited a held malloc lock;
 *  - no exceptions; every failure ends in fail(), which writes one Record
 *    and _exit()s;
 *  - raw system calls where glibc would coordinate threads (setresuid,
 *    setgroups) or run handlers (fork).
 */
#pragma once

#include <sys/capability.h>

#include "sandbox/plan.hpp"
#include "sandbox/report.hpp"
#include "sandbox/seccomp.hpp"

namespace benchd::sandbox::child {

/* Fixed fd numbers in the child after the shuffle. */
inline constexpr int kReportFd = 3;
inline constexpr int kGoFd = 4;

/* Everything the child needs, prepared before clone. */
struct Context {
	const Plan *plan;
	const struct sock_fprog *seccomp;
	cap_t emptyCaps;
	int stdinFd;
	int stdoutFd;
	int stderrFd;
	int reportFd;
	int goFd;
};

[[noreturn]] void childMain(const Context &ctx);

/* Write one record to the report pipe; never fails loudly. */
void sendRecord(RecordKind kind, Step step, int err, long long value, const char *detail);

/* Report a failed step and exit 125. */
[[noreturn]] void fail(Step step, int err, const char *detail = nullptr);

/* The steps, one concern each. */
void applyMounts(const Plan &plan);	   /* mounts.cpp */
void bringUpLoopback();			   /* net.cpp */
void dropPrivileges(const Context &ctx);   /* privileges.cpp */
[[noreturn]] void runInit(const Plan &plan); /* init.cpp */

} /* namespace benchd::sandbox::child */
