/* SPDX-License-Identifier: MIT */
/*
 * The child's mount steps: stage, apply the plan's list, pivot.
 *
 * Staging follows bubblewrap's trick: a throwaway tmpfs is mounted on the
 * host's /tmp (in our own mount namespace only) and we pivot into it, so
 * the host root stays reachable in full under /oldroot, including what
 * lives under the host's /tmp. The new root is built at /newroot from
 * /oldroot/..., then a second pivot_root(".", ".") swaps it in and the
 * whole old stack is detached.
 */
#include <cerrno>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.hpp"

namespace benchd::sandbox::child {

namespace {

const char *const kStage = "/tmp";

int pivotRoot(const char *newRoot, const char *putOld)
{
	return static_cast<int>(syscall(SYS_pivot_root, newRoot, putOld));
}

void stage()
{
	/* Our changes must not propagate back to the host (or anyone else). */
	if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
		fail(Step::MountPrivate, errno);
	if (mount("tmpfs", kStage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64k,nr_inodes=16") < 0)
		fail(Step::MountStage, errno, "mount tmpfs on /tmp");
	if (chdir(kStage) < 0 || mkdir("oldroot", 0700) < 0 || mkdir("newroot", 0755) < 0)
		fail(Step::MountStage, errno, "create staging directories");
	if (pivotRoot(".", "oldroot") < 0)
		fail(Step::MountStage, errno, "pivot_root into the staging tmpfs");
	if (chdir("/") < 0)
		fail(Step::MountStage, errno, "chdir /");
}

/*
 * Apply the op's nosuid/nodev/noexec (and read-only) to a bind and every
 * mount below it: a plain MS_REMOUNT would leave submounts (e.g. a
 * separate /usr/local) writable.
 */
int setAttributes(const char *target, unsigned long msFlags, bool readOnly)
{
	struct mount_attr attr = {};
	if (msFlags & MS_NOSUID)
		attr.attr_set |= MOUNT_ATTR_NOSUID;
	if (msFlags & MS_NODEV)
		attr.attr_set |= MOUNT_ATTR_NODEV;
	if (msFlags & MS_NOEXEC)
		attr.attr_set |= MOUNT_ATTR_NOEXEC;
	if (readOnly)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	/* Kernel < 5.12: only the top mount can be changed. */
	unsigned long flags = MS_REMOUNT | MS_BIND | (msFlags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) |
			      (readOnly ? MS_RDONLY : 0);
	return mount(nullptr, target, nullptr, flags, nullptr);
}

int bind(const MountOp &op, bool file)
{
	if (file) {
		int fd = open(op.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
		if (fd < 0 && errno != EISDIR)
			return -1;
		if (fd >= 0)
			close(fd);
	}
	if (mount(op.source.c_str(), op.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
		return -1;
	return setAttributes(op.target.c_str(), op.flags, op.readOnly);
}

bool missing(int err)
{
	return err == ENOENT || err == ENOTDIR;
}

int applyOne(const MountOp &op)
{
	const char *target = op.target.c_str();
	const char *data = op.data.empty() ? nullptr : op.data.c_str();
	switch (op.kind) {
	case MountKind::Mkdir:
		return mkdir(target, 0755) < 0 && errno != EEXIST ? -1 : 0;
	case MountKind::Symlink:
		return symlink(op.source.c_str(), target);
	case MountKind::BindDir:
		return bind(op, false);
	case MountKind::BindFile:
		return bind(op, true);
	case MountKind::Tmpfs:
		return mount("tmpfs", target, "tmpfs", op.flags, data);
	case MountKind::Proc:
		return mount("proc", target, "proc", op.flags, nullptr);
	case MountKind::Sysfs:
		return mount("sysfs", target, "sysfs", op.flags, nullptr);
	case MountKind::Cgroup2:
		return mount("cgroup2", target, "cgroup2", op.flags, nullptr);
	case MountKind::Devpts:
		return mount("devpts", target, "devpts", op.flags, data);
	case MountKind::RebindRo:
		if (mount(target, target, nullptr, MS_BIND | MS_REC, nullptr) < 0)
			return -1;
		return setAttributes(target, op.flags, true);
	case MountKind::RemountRo:
		return mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | op.flags, nullptr);
	}
	errno = EINVAL;
	return -1;
}

} /* namespace */

void applyMounts(const Plan &plan)
{
	stage();
	for (const MountOp &op : plan.mounts) {
		if (applyOne(op) == 0)
			continue;
		if (op.optional && missing(errno))
			continue;
		fail(Step::Mount, errno, op.what.c_str());
	}

	/* Swap the new root in; the staging stack ends up on top and is detached. */
	if (chdir(kNewRoot) < 0 || pivotRoot(".", ".") < 0)
		fail(Step::PivotRoot, errno);
	if (umount2(".", MNT_DETACH) < 0)
		fail(Step::PivotRoot, errno, "(detach the old root)");
	if (chdir("/") < 0)
		fail(Step::PivotRoot, errno, "(chdir /)");
}

} /* namespace benchd::sandbox::child */
