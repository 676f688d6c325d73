/* SPDX-License-Identifier: MIT */
/*
 * A deny list on top of "allow": the sandbox already has no capabilities,
 * so most of these fail anyway; the filter removes kernel attack surface
 * that an unprivileged process can still reach (bpf, userfaultfd,
 * io_uring, perf, keyrings, namespaces) and closes the TIOCSTI hole.
 */
#include "sandbox/seccomp.hpp"

#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/unique_fd.hpp"

namespace benchd::sandbox {

namespace {

struct CtxDeleter {
	void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

/* Namespace flags clone(2) can carry. CLONE_NEWTIME only exists for clone3. */
constexpr uint64_t kNamespaceFlags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
	CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

Error seccompError(int rc, const std::string &what)
{
	/* libseccomp returns -errno. */
	return Error(-rc, "seccomp: " + what);
}

} /* namespace */

const std::vector<std::string> &SeccompProgram::deniedSyscalls()
{
	static const std::vector<std::string> names = {
		/* mounts and namespaces: the sandbox's shape is fixed */
		"mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns",
		"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
		"mount_setattr",
		/* looking into or changing other processes */
		"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
		"pidfd_getfd",
		/* kernel attack surface reachable without privileges */
		"bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
		"io_uring_enter", "io_uring_register", "keyctl", "add_key",
		"request_key",
		/* the machine itself */
		"init_module", "finit_module", "delete_module", "kexec_load",
		"kexec_file_load", "reboot", "swapon", "swapoff", "acct",
		"quotactl", "syslog", "settimeofday", "clock_settime",
		"clock_adjtime", "adjtimex", "iopl", "ioperm", "uselib",
		"lookup_dcookie", "vhangup", "nfsservctl",
		/* handles bypass the mount tree */
		"open_by_handle_at", "name_to_handle_at",
	};
	return names;
}

Result<SeccompProgram> SeccompProgram::build()
{
	Ctx ctx(seccomp_init(SCMP_ACT_ALLOW));
	if (!ctx)
		return Error(ENOMEM, "seccomp: init");

	/*
	 * Another ABI (i386 via int 0x80, x32) sees other syscall numbers,
	 * which a filter written for this one would misread: refuse it all.
	 */
	int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM));
	if (rc < 0)
		return seccompError(rc, "set the other-architecture action");

	const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
	for (const auto &name : deniedSyscalls()) {
		int nr = seccomp_syscall_resolve_name(name.c_str());
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		rc = seccomp_rule_add(ctx.get(), deny, nr, 0);
		if (rc < 0)
			return seccompError(rc, "deny " + name);
	}

	/* clone(2) may create processes, never namespaces. */
	for (uint64_t flag : kNamespaceFlags) {
		rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
		if (rc < 0)
			return seccompError(rc, "deny clone with namespace flags");
	}
	/*
	 * clone3 passes its flags in memory, which seccomp cannot read. ENOSYS
	 * (not EPERM) makes libc fall back to clone(2), whose flags the rule
	 * above checks; fork and threads keep working.
	 */
	rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc < 0)
		return seccompError(rc, "refuse clone3");

	/* TIOCSTI/TIOCLINUX push keystrokes into a terminal (CVE-2017-5226). */
	for (unsigned long cmd : { static_cast<unsigned long>(TIOCSTI),
				   static_cast<unsigned long>(TIOCLINUX) }) {
		rc = seccomp_rule_add(ctx.get(), deny, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, cmd));
		if (rc < 0)
			return seccompError(rc, "deny terminal injection ioctls");
	}

	/* Export the BPF through a memfd: libseccomp 2.5 only writes to fds. */
	UniqueFd mem(memfd_create("benchd-seccomp", MFD_CLOEXEC));
	if (!mem)
		return Error::fromErrno("seccomp: memfd_create");
	rc = seccomp_export_bpf(ctx.get(), mem.get());
	if (rc < 0)
		return seccompError(rc, "export the filter");
	off_t size = lseek(mem.get(), 0, SEEK_END);
	if (size <= 0 || size % static_cast<off_t>(sizeof(struct sock_filter)) != 0)
		return Error(EINVAL, "seccomp: exported filter has a bad size");

	SeccompProgram prog;
	prog.insns_.resize(static_cast<size_t>(size) / sizeof(struct sock_filter));
	if (pread(mem.get(), prog.insns_.data(), static_cast<size_t>(size), 0) != size)
		return Error::fromErrno("seccomp: read the exported filter");
	prog.point();
	return prog;
}

void SeccompProgram::point()
{
	fprog_.len = static_cast<unsigned short>(insns_.size());
	fprog_.filter = insns_.data();
}

SeccompProgram::SeccompProgram(SeccompProgram &&other) noexcept
	: insns_(std::move(other.insns_))
{
	point();
	other.point();
}

SeccompProgram &SeccompProgram::operator=(SeccompProgram &&other) noexcept
{
	insns_ = std::move(other.insns_);
	point();
	other.point();
	return *this;
}

} /* namespace benchd::sandbox */
