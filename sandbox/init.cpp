/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's pid 1, after every privilege is gone.
 *
 * It forks the job, tells the parent whether execve worked, then waits:
 * it reaps whatever gets reparented to it (daemonized grandchildren),
 * forwards the signals a supervisor sends (SIGTERM for a polite stop) to
 * the job, and when the job ends reports its exact wait status and exits.
 * When pid 1 of a pid namespace exits the kernel kills everything else
 * in it, so nothing the job started survives the job.
 *
 * Signals are blocked and taken with sigwaitinfo: no handlers, so nothing
 * runs asynchronously in a process that must not allocate. A blocked
 * signal is queued even for a namespace init, which would otherwise drop
 * signals it has no handler for.
 */
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.hpp"

namespace benchd::sandbox::child {

namespace {

const int kForwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH };

/* execvpe without malloc: walks the job's PATH with a stack buffer. */
int execSearch(const Plan &plan)
{
	const char *file = plan.argv[0];
	if (strchr(file, '/')) {
		execve(file, plan.argv.data(), plan.envp.data());
		return errno;
	}
	size_t fileLen = strlen(file);
	char buf[PATH_MAX];
	bool sawAccess = false;
	const char *p = plan.pathVar.c_str();
	for (;;) {
		const char *end = strchrnul(p, ':');
		size_t dirLen = static_cast<size_t>(end - p);
		if (dirLen + 1 + fileLen + 1 <= sizeof(buf)) {
			if (dirLen == 0)
				buf[dirLen++] = '.';
			else
				memcpy(buf, p, dirLen);
			buf[dirLen] = '/';
			memcpy(buf + dirLen + 1, file, fileLen + 1);
			execve(buf, plan.argv.data(), plan.envp.data());
			if (errno == EACCES)
				sawAccess = true;
			else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV)
				return errno;
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return sawAccess ? EACCES : ENOENT;
}

[[noreturn]] void execJob(const Plan &plan, int execFd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, nullptr);
	/* Handlers were cleared by CLONE_CLEAR_SIGHAND; ignored signals were not. */
	struct sigaction dfl = {};
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, nullptr);

	int err = execSearch(plan);

	/* Tell init why; the write end closes by itself when execve works. */
	Record r = {};
	r.magic = kRecordMagic;
	r.kind = RecordKind::ExecError;
	r.step = Step::Execve;
	r.err = err;
	strncpy(r.detail, plan.argv[0], sizeof(r.detail) - 1);
	ssize_t ignored = write(execFd, &r, sizeof(r));
	(void)ignored;
	_exit(err == ENOENT ? 127 : 126);
}

int exitCodeOf(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;
}

} /* namespace */

[[noreturn]] void runInit(const Plan &plan)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (int sig : kForwarded)
		sigaddset(&set, sig);
	if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0)
		fail(Step::Signals, errno);

	int execPipe[2];
	if (pipe2(execPipe, O_CLOEXEC) < 0)
		fail(Step::Fork, errno, "(pipe)");

	/* Raw clone: glibc's fork() would run atfork handlers and take locks. */
	long job = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (job < 0)
		fail(Step::Fork, errno);
	if (job == 0) {
		close(execPipe[0]);
		execJob(plan, execPipe[1]);
	}
	close(execPipe[1]);

	Record r;
	ssize_t n;
	do {
		n = read(execPipe[0], &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	close(execPipe[0]);
	if (n == static_cast<ssize_t>(sizeof(r)))
		sendRecord(RecordKind::ExecError, Step::Execve, r.err, 0, r.detail);
	else
		sendRecord(RecordKind::Started, Step::Execve, 0, job, nullptr);

	/* Init keeps no stream of the job's open: EOF on a log pipe is the job's doing. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		close(devnull);
	}

	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(static_cast<pid_t>(job), sig);
			continue;
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != job)
				continue; /* an orphan: reaped, nothing to report */
			sendRecord(RecordKind::Exited, Step::Execve, 0, status, nullptr);
			_exit(exitCodeOf(status));
		}
	}
}

} /* namespace benchd::sandbox::child */
