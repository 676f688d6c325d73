/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter refuses each listed call.
 *
 * Without capabilities most of these calls fail with EPERM anyway, so an
 * EPERM inside the sandbox proves nothing by itself. The filter is
 * therefore tested as root, in a forked child, with arguments that make
 * each call fail differently (EFAULT, EBADF, EINVAL...) or succeed
 * harmlessly without the filter: the same table runs once without the
 * filter (the control) and once with it.
 */
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <functional>
#include <linux/sched.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "oneshot.hpp"
#include "sandbox/seccomp.hpp"

using namespace benchd::test;
using benchd::sandbox::SeccompProgram;

TestSuite(seccomp, .timeout = 120);

namespace {

struct Call {
	const char *name;
	std::function<long()> invoke;
};

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0)
{
	return syscall(nr, a, b, c, d, e);
}

/* Marks "this kernel has no such ABI" (int 0x80 raised SIGSEGV). */
constexpr int kUnavailable = -1000;

/* getpid via int 0x80, in a child: without ia32 emulation it is SIGSEGV. */
long i386Getpid()
{
	pid_t p = fork();
	if (p == 0) {
		long ret;
		asm volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
		_exit(ret < 0 ? static_cast<int>(-ret) : 0);
	}
	int status;
	waitpid(p, &status, 0);
	if (WIFSIGNALED(status))
		return errno = kUnavailable, -1;
	return WEXITSTATUS(status) ? (errno = WEXITSTATUS(status), -1) : 0;
}

/* Each call is harmless as root: bad pointers, bad fds, bad flags. */
const std::vector<Call> &calls()
{
	static const std::vector<Call> table = {
		{ "mount", [] { return sys(SYS_mount, 0, 0, 0, 0, 0); } },
		{ "umount2", [] { return sys(SYS_umount2, 0, 0); } },
		{ "pivot_root", [] { return sys(SYS_pivot_root, 0, 0); } },
		{ "chroot", [] { return sys(SYS_chroot, 0); } },
		{ "unshare", [] { return sys(SYS_unshare, -1); } },
		{ "setns", [] { return sys(SYS_setns, -1, 0); } },
		{ "fsopen", [] { return sys(SYS_fsopen, 0, 0); } },
		{ "fsconfig", [] { return sys(SYS_fsconfig, -1, 0, 0, 0, 0); } },
		{ "fsmount", [] { return sys(SYS_fsmount, -1, 0, 0); } },
		{ "fspick", [] { return sys(SYS_fspick, -1, 0, 0); } },
		{ "move_mount", [] { return sys(SYS_move_mount, -1, 0, -1, 0, 0); } },
		{ "open_tree", [] { return sys(SYS_open_tree, -1, 0, 0); } },
		{ "mount_setattr", [] { return sys(SYS_mount_setattr, -1, 0, 0, 0, 0); } },
		{ "ptrace", [] { return sys(SYS_ptrace, 12 /* PTRACE_GETREGS */, 0x3fffffff, 0, 0); } },
		{ "process_vm_readv", [] { return sys(SYS_process_vm_readv, 0x3fffffff, 0, 0, 0, 0); } },
		{ "process_vm_writev", [] { return sys(SYS_process_vm_writev, 0x3fffffff, 0, 0, 0, 0); } },
		{ "kcmp", [] { return sys(SYS_kcmp, 0x3fffffff, 0x3fffffff, 0, 0, 0); } },
		{ "pidfd_getfd", [] { return sys(SYS_pidfd_getfd, -1, -1, 0); } },
		{ "bpf", [] { return sys(SYS_bpf, -1, 0, 0); } },
		{ "perf_event_open", [] { return sys(SYS_perf_event_open, 0, 0, -1, -1, 0); } },
		{ "userfaultfd", [] { return sys(SYS_userfaultfd, -1); } },
		{ "io_uring_setup", [] { return sys(SYS_io_uring_setup, 0, 0); } },
		{ "io_uring_enter", [] { return sys(SYS_io_uring_enter, -1, 0, 0, 0, 0); } },
		{ "io_uring_register", [] { return sys(SYS_io_uring_register, -1, 0, 0, 0); } },
		{ "keyctl", [] { return sys(SYS_keyctl, -1, 0, 0, 0, 0); } },
		{ "add_key", [] { return sys(SYS_add_key, 0, 0, 0, 0, 0); } },
		{ "request_key", [] { return sys(SYS_request_key, 0, 0, 0, 0); } },
		{ "init_module", [] { return sys(SYS_init_module, 0, 0, 0); } },
		{ "finit_module", [] { return sys(SYS_finit_module, -1, 0, -1); } },
		{ "delete_module", [] { return sys(SYS_delete_module, 0, 0); } },
		{ "kexec_load", [] { return sys(SYS_kexec_load, 0, 0, 0, 0x7fff0000); } },
		{ "kexec_file_load", [] { return sys(SYS_kexec_file_load, -1, -1, 0, 0, -1); } },
		{ "reboot", [] { return sys(SYS_reboot, 0, 0, 0, 0); } },
		{ "swapon", [] { return sys(SYS_swapon, 0, 0); } },
		{ "swapoff", [] { return sys(SYS_swapoff, 0); } },
		{ "acct", [] { return sys(SYS_acct, reinterpret_cast<long>("")); } },
		{ "quotactl", [] { return sys(SYS_quotactl, 0, 0, 0, 0); } },
		{ "syslog", [] { return sys(SYS_syslog, -1, 0, 0); } },
		{ "clock_settime", [] { return sys(SYS_clock_settime, -1, 0); } },
		{ "adjtimex", [] { return sys(SYS_adjtimex, 0); } },
		{ "iopl", [] { return sys(SYS_iopl, 4); } },
		{ "ioperm", [] { return sys(SYS_ioperm, -1, 1, 0); } },
		{ "open_by_handle_at", [] { return sys(SYS_open_by_handle_at, -1, 0, 0); } },
		{ "name_to_handle_at", [] { return sys(SYS_name_to_handle_at, -1, 0, 0, 0, 0); } },
		/* CLONE_THREAD without CLONE_SIGHAND is EINVAL before any namespace work. */
		{ "clone(CLONE_NEWNS)", [] { return sys(SYS_clone, CLONE_NEWNS | CLONE_THREAD, 0, 0, 0, 0); } },
		{ "clone(CLONE_NEWUSER)", [] { return sys(SYS_clone, CLONE_NEWUSER | CLONE_THREAD, 0, 0, 0, 0); } },
		{ "clone(CLONE_NEWPID)", [] { return sys(SYS_clone, CLONE_NEWPID | CLONE_THREAD, 0, 0, 0, 0); } },
		{ "clone(CLONE_NEWNET)", [] { return sys(SYS_clone, CLONE_NEWNET | CLONE_THREAD, 0, 0, 0, 0); } },
		{ "clone(CLONE_NEWIPC)", [] { return sys(SYS_clone, CLONE_NEWIPC | CLONE_THREAD, 0, 0, 0, 0); } },
		{ "clone(CLONE_NEWUTS)", [] { return sys(SYS_clone, CLONE_NEWUTS | CLONE_THREAD, 0, 0, 0, 0); } },
		{ "clone(CLONE_NEWCGROUP)", [] { return sys(SYS_clone, CLONE_NEWCGROUP | CLONE_THREAD, 0, 0, 0, 0); } },
		{ "ioctl(TIOCSTI)", [] { return sys(SYS_ioctl, -1, TIOCSTI, 0); } },
		{ "ioctl(TIOCLINUX)", [] { return sys(SYS_ioctl, -1, TIOCLINUX, 0); } },
		{ "x32 ABI", [] { return sys(0x40000000 | SYS_getpid); } },
		{ "i386 ABI", [] { return i386Getpid(); } },
	};
	return table;
}

/* Run the table in a forked root child, with or without the filter; errno per call (0: success). */
std::vector<int> runTable(const SeccompProgram *filter)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		setsid(); /* no controlling terminal for any ioctl to touch */
		if (filter) {
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
			    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, filter->program()) < 0)
				_exit(99);
		}
		for (const auto &c : calls()) {
			errno = 0;
			long rc = c.invoke();
			int err = rc < 0 ? errno : 0;
			if (write(fds[1], &err, sizeof(err)) != sizeof(err))
				_exit(98);
		}
		_exit(0);
	}
	close(fds[1]);
	std::vector<int> out;
	int err;
	while (read(fds[0], &err, sizeof(err)) == sizeof(err))
		out.push_back(err);
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "probe child died: status %d", status);
	cr_assert_eq(out.size(), calls().size());
	return out;
}

} /* namespace */

Test(seccomp, filter_refuses_each_listed_call_with_eperm)
{
	auto filter = SeccompProgram::build();
	cr_assert(filter, "%s", filter ? "" : filter.error().message().c_str());
	auto control = runTable(nullptr);
	auto filtered = runTable(&*filter);
	int inconclusive = 0;
	for (size_t i = 0; i < calls().size(); i++) {
		const char *name = calls()[i].name;
		if (control[i] == kUnavailable) {
			/* The ABI does not exist on this kernel: nothing to refuse. */
			cr_log_info("%s: not available on this kernel", name);
			cr_expect_eq(filtered[i], kUnavailable);
			continue;
		}
		if (control[i] == EPERM) {
			/* Refused even to root here (e.g. modules disabled): cannot tell. */
			cr_log_warn("%s: EPERM even without the filter; not conclusive", name);
			inconclusive++;
			continue;
		}
		cr_expect_eq(filtered[i], EPERM, "%s: got %s with the filter (without: %s)", name,
			     strerrorname_np(filtered[i]) ?: "OK", strerrorname_np(control[i]) ?: "OK");
	}
	cr_expect_lt(inconclusive, 4, "too many calls could not be told apart");
}

Test(seccomp, clone3_is_enosys_so_libc_falls_back_to_clone)
{
	auto filter = SeccompProgram::build();
	cr_assert(filter);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, filter->program()) < 0)
			_exit(99);
		struct clone_args args = {};
		args.exit_signal = SIGCHLD;
		long rc = syscall(SYS_clone3, &args, sizeof(args));
		if (rc == 0)
			_exit(0);
		int err = rc < 0 ? errno : 0;
		pid_t forked = fork(); /* glibc tries clone3 first */
		if (forked == 0)
			_exit(0);
		int ok = forked > 0;
		write(fds[1], &err, sizeof(err));
		write(fds[1], &ok, sizeof(ok));
		_exit(0);
	}
	close(fds[1]);
	int err = -1, ok = 0;
	read(fds[0], &err, sizeof(err));
	read(fds[0], &ok, sizeof(ok));
	waitpid(pid, nullptr, 0);
	cr_expect_eq(err, ENOSYS, "clone3: %s", strerrorname_np(err));
	cr_expect(ok, "fork failed under the filter");
}

Test(seccomp, the_sandbox_runs_under_the_filter)
{
	auto r = oneshot({}, { kProbe, "seccomp" });
	expect_exit(r.cmd, 0);
	/* Calls an unprivileged process could otherwise make, or fail at differently. */
	cr_expect_eq(r.field("unshare_user"), "EPERM", "%s", r.cmd.out.c_str());
	cr_expect_eq(r.field("clone_newuser"), "EPERM");
	cr_expect_eq(r.field("clone3"), "ENOSYS");
	cr_expect_eq(r.field("io_uring_setup"), "EPERM");
	cr_expect_eq(r.field("bpf"), "EPERM");
	cr_expect_eq(r.field("keyctl"), "EPERM");
	cr_expect_eq(r.field("ptrace_traceme"), "EPERM");
	/* Where the kernel has no ia32 emulation, int 0x80 never reaches the filter. */
	auto host = runCommand({ probeHostPath(), "i386" });
	if (host.out.find("UNAVAILABLE") != std::string::npos)
		cr_expect_eq(r.field("i386_getpid"), "UNAVAILABLE");
	else
		cr_expect_eq(r.field("i386_getpid"), "EPERM");
	cr_expect_eq(r.field("x32_getpid"), "EPERM");
	cr_expect_eq(r.field("fork"), "OK");

	auto status = oneshot({}, { "/bin/grep", "^Seccomp:", "/proc/self/status" });
	cr_expect(status.cmd.out.find("Seccomp:\t2") != std::string::npos, "%s", status.cmd.out.c_str());
}
