/* SPDX-License-Identifier: MIT */
/*
 * The child's life, as a list of steps. Each one either succeeds or ends
 * the child with a Record naming the step and errno.
 */
#include "child.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <csignal>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/close_range.h>
#include <linux/seccomp.h>

namespace benchd::sandbox::child {

void sendRecord(RecordKind kind, Step step, int err, long long value, const char *detail)
{
	Record r;
	memset(&r, 0, sizeof(r));
	r.magic = kRecordMagic;
	r.kind = kind;
	r.step = step;
	r.err = err;
	r.value = value;
	if (detail)
		strncpy(r.detail, detail, sizeof(r.detail) - 1);
	ssize_t n;
	do {
		n = write(kReportFd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
}

[[noreturn]] void fail(Step step, int err, const char *detail)
{
	sendRecord(RecordKind::SetupError, step, err, 0, detail);
	_exit(125);
}

namespace {

/*
 * Put stdin/stdout/stderr, the report pipe and the go pipe at 0..4 and
 * close everything else the parent had open (sockets, the io_uring, the
 * database). First lift them all above 10 so no dup2 clobbers another.
 */
void arrangeFds(const Context &ctx)
{
	int null = -1;
	int wanted[5] = { ctx.stdinFd, ctx.stdoutFd, ctx.stderrFd, ctx.reportFd, ctx.goFd };
	int lifted[5];
	for (int i = 0; i < 5; i++) {
		int fd = wanted[i];
		if (fd < 0) {
			if (null < 0)
				null = open("/dev/null", O_RDWR | O_CLOEXEC);
			fd = null;
		}
		lifted[i] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
		if (lifted[i] < 0)
			_exit(125); /* cannot report yet: the report fd is not in place */
	}
	for (int i = 0; i < 5; i++)
		if (dup2(lifted[i], i) < 0)
			_exit(125);
	if (syscall(SYS_close_range, 5U, ~0U, 0U) < 0)
		fail(Step::Fds, errno, "(close_range)");
	/* The job must not inherit our pipes; init keeps them. */
	if (fcntl(kReportFd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(kGoFd, F_SETFD, FD_CLOEXEC) < 0)
		fail(Step::Fds, errno, "(cloexec)");
}

void waitForGo(const Plan &plan)
{
	/*
	 * Before waiting: if the parent dies from here on we die too; if it
	 * died already, the read below sees EOF.
	 */
	if (plan.dieWithParent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(Step::ParentDeath, errno);
	char go;
	ssize_t n;
	do {
		n = read(kGoFd, &go, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(125); /* the parent gave up on us; it knows why */
	close(kGoFd);
}

/*
 * The kernel clears the parent-death signal when our uid changes
 * (commit_creds), so arm it again, then make sure the parent did not die
 * in between: with no reader left, our end of the report pipe says POLLERR.
 */
void rearmParentDeath(const Plan &plan)
{
	if (!plan.dieWithParent)
		return;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		fail(Step::ParentDeath, errno);
	struct pollfd pfd = { kReportFd, 0, 0 };
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLERR))
		_exit(125);
}

void setLimits(const Plan &plan)
{
	for (const RlimitOp &r : plan.rlimits)
		if (setrlimit(static_cast<__rlimit_resource>(r.resource), &r.limit) < 0)
			fail(Step::Rlimit, errno, r.name);
}

void lockDown(const Context &ctx)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(Step::NoNewPrivs, errno);
	/* Keep the job (same uid) out of init's memory via /proc/1/mem. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(Step::NoNewPrivs, errno, "(dumpable)");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, ctx.seccomp) < 0)
		fail(Step::Seccomp, errno);
}

} /* namespace */

[[noreturn]] void childMain(const Context &ctx)
{
	const Plan &plan = *ctx.plan;

	arrangeFds(ctx);
	waitForGo(plan);

	if (setsid() < 0)
		fail(Step::Session, errno);
	/*
	 * Now, not at clone: the kernel copies namespaces before
	 * CLONE_INTO_CGROUP moves the child, so a cgroup namespace made at
	 * clone time would be rooted at the parent's cgroup.
	 */
	if (unshare(CLONE_NEWCGROUP) < 0)
		fail(Step::CgroupNamespace, errno);

	applyMounts(plan);
	if (sethostname(plan.hostname.data(), plan.hostname.size()) < 0)
		fail(Step::Hostname, errno, plan.hostname.c_str());
	bringUpLoopback();
	setLimits(plan);
	dropPrivileges(ctx);
	rearmParentDeath(plan);
	if (chdir(plan.workdir.c_str()) < 0)
		fail(Step::Workdir, errno, plan.workdir.c_str());
	lockDown(ctx);

	runInit(plan);
}

} /* namespace benchd::sandbox::child */
