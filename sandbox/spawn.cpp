/* SPDX-License-Identifier: MIT */
/*
 * The parent's side of a sandbox: clone3, the go signal, reaping.
 */
#include "sandbox/sandbox.hpp"

#include <cerrno>
#include <linux/sched.h>
#include <memory>
#include "base/syscalls.hpp"
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/wait.h>

#include "base/fs.hpp"
#include "child.hpp"

namespace benchd::sandbox {

namespace {

struct CapFree {
	void operator()(void *caps) const { cap_free(caps); }
};

constexpr uint64_t kNamespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
				 CLONE_NEWUTS;

} /* namespace */

Result<Sandbox> Sandbox::spawn(const Plan &plan, const SeccompProgram &filter,
			       const Stdio &io, int cgroupDirFd)
{
	auto report = makePipe(0);
	if (!report)
		return std::move(report).error().wrap("sandbox: report pipe");
	auto go = makePipe(0);
	if (!go)
		return std::move(go).error().wrap("sandbox: start pipe");

	/* cap_init() allocates: do it here, the child only passes it to capset. */
	std::unique_ptr<struct _cap_struct, CapFree> emptyCaps(cap_init());
	if (!emptyCaps)
		return Error::fromErrno("sandbox: cap_init");

	child::Context ctx = {
		&plan, filter.program(), emptyCaps.get(),
		io.in, io.out, io.err, report->write.get(), go->read.get(),
	};

	int pidfd = -1;
	struct clone_args args = {};
	args.flags = CLONE_PIDFD | CLONE_CLEAR_SIGHAND | kNamespaces;
	args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
	args.exit_signal = SIGCHLD;
	if (cgroupDirFd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = static_cast<uint64_t>(cgroupDirFd);
	}

	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		child::childMain(ctx);
	if (pid < 0) {
		return Error::fromErrno(cgroupDirFd >= 0
			? "sandbox: clone3 into the sandbox's cgroup with new namespaces"
			: "sandbox: clone3 with new namespaces");
	}

	Sandbox sb;
	sb.pid_ = static_cast<pid_t>(pid);
	sb.reaped_ = false;
	sb.pidfd_.reset(pidfd);
	sb.report_ = std::move(report->read);
	sb.go_ = std::move(go->write);
	return sb;
}

Status Sandbox::start()
{
	if (!go_)
		return Error::invalid("sandbox: start() called twice");
	char go = 'g';
	ssize_t n = ::write(go_.get(), &go, 1);
	go_.reset();
	if (n != 1)
		return Error::fromErrno("sandbox: signal the child to start");
	return {};
}

Status Sandbox::signal(int sig)
{
	if (reaped_)
		return Error(ESRCH, "sandbox: signal " + std::to_string(sig));
	if (sys::pidfdSendSignal(pidfd_.get(), sig) < 0)
		return Error::fromErrno("sandbox: signal " + std::to_string(sig) + " to pid " +
					std::to_string(pid_));
	return {};
}

Result<Sandbox::Exit> Sandbox::wait(bool block)
{
	Exit exit;
	if (reaped_)
		return Error(ECHILD, "sandbox: already reaped");
	int rc;
	do {
		rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()),
			      &exit.info, WEXITED | (block ? 0 : WNOHANG));
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return Error::fromErrno("sandbox: waitid for pid " + std::to_string(pid_));
	exit.exited = exit.info.si_pid != 0;
	if (exit.exited)
		reaped_ = true;
	return exit;
}

Sandbox::Sandbox(Sandbox &&other) noexcept
	: pid_(other.pid_), reaped_(std::exchange(other.reaped_, true)),
	  pidfd_(std::move(other.pidfd_)), report_(std::move(other.report_)),
	  go_(std::move(other.go_))
{
}

Sandbox::~Sandbox()
{
	if (reaped_ || !pidfd_)
		return;
	/* Killing init takes the whole pid namespace with it. */
	go_.reset();
	sys::pidfdSendSignal(pidfd_.get(), SIGKILL);
	siginfo_t info;
	while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info,
			WEXITED) < 0 && errno == EINTR) {
	}
}

} /* namespace benchd::sandbox */
