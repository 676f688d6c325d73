/* SPDX-License-Identifier: MIT */
/*
 * From root to an unprivileged slot uid with no capabilities at all.
 *
 * Order matters: the bounding set can only be dropped while we still hold
 * CAP_SETPCAP, so it goes first; setresuid away from 0 clears the
 * permitted and effective sets but not the inheritable one, so capset()
 * comes last and clears everything. The uid/gid calls are raw syscalls:
 * glibc's wrappers broadcast to every thread glibc believes we have, and
 * after a raw clone3 its idea of our threads is the parent's.
 */
#include <cerrno>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.hpp"

namespace benchd::sandbox::child {

void dropPrivileges(const Context &ctx)
{
	const Plan &plan = *ctx.plan;

	for (int cap = 0; cap <= plan.capLastCap; cap++)
		if (cap_drop_bound(static_cast<cap_value_t>(cap)) < 0 && errno != EINVAL)
			fail(Step::DropBounding, errno);
	if (cap_reset_ambient() < 0)
		fail(Step::Ambient, errno);

	if (syscall(SYS_setgroups, 0, nullptr) < 0)
		fail(Step::Setgroups, errno);
	if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) < 0)
		fail(Step::Setgid, errno);
	if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) < 0)
		fail(Step::Setuid, errno);

	/* Permitted, effective and inheritable: all empty (cap_init()'d before clone). */
	if (cap_set_proc(ctx.emptyCaps) < 0)
		fail(Step::Capabilities, errno);
}

} /* namespace benchd::sandbox::child */
