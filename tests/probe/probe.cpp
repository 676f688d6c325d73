/* SPDX-License-Identifier: MIT */
/*
 * A small program the tests run inside sandboxes. Each subcommand tries
 * one thing and prints what happened as `key=value` lines, so a test can
 * assert on the sandbox from the inside.
 */
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sched.h>
#include <string>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ctime>
#include <vector>

namespace {

int errnoOf(long rc)
{
	return rc < 0 ? errno : 0;
}

void show(const char *key, int err)
{
	std::printf("%s=%s\n", key, err ? strerrorname_np(err) : "OK");
}

/* Capabilities in every set, as libcap sees them. */
int caps()
{
	cap_t c = cap_get_proc();
	char *text = cap_to_text(c, nullptr);
	std::printf("caps=%s\n", text);
	cap_free(text);
	cap_free(c);
	int bound = 0, ambient = 0;
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bound += cap_get_bound(static_cast<cap_value_t>(cap)) == 1;
		ambient += cap_get_ambient(static_cast<cap_value_t>(cap)) == 1;
	}
	std::printf("bounding=%d\nambient=%d\n", bound, ambient);
	std::printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	std::printf("uid=%u euid=%u suid=%u\n", r, e, s);
	std::printf("groups=%d\n", getgroups(0, nullptr));
	std::printf("pid=%d\n", getpid());
	char host[256] = {};
	gethostname(host, sizeof(host) - 1);
	std::printf("hostname=%s\n", host);
	return 0;
}

int ids()
{
	std::printf("uid=%u euid=%u\n", getuid(), geteuid());
	return 0;
}

/* Try to create a file; print the errno name. */
int writeFile(const char *path, long long bytes)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		show("open", errno);
		return 1;
	}
	show("open", 0);
	static char buf[1 << 16];
	memset(buf, 'x', sizeof(buf));
	long long written = 0;
	int err = 0;
	while (written < bytes) {
		ssize_t n = write(fd, buf, std::min<long long>(sizeof(buf), bytes - written));
		if (n < 0) {
			err = errno;
			break;
		}
		written += n;
	}
	std::printf("written=%lld\n", written);
	show("write", err);
	close(fd);
	return 0;
}

int connectTcp(const char *ip, int port)
{
	int s = socket(strchr(ip, ':') ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	int rc;
	if (strchr(ip, ':')) {
		sockaddr_in6 a = {};
		a.sin6_family = AF_INET6;
		a.sin6_port = htons(static_cast<uint16_t>(port));
		inet_pton(AF_INET6, ip, &a.sin6_addr);
		rc = connect(s, reinterpret_cast<sockaddr *>(&a), sizeof(a));
	} else {
		sockaddr_in a = {};
		a.sin_family = AF_INET;
		a.sin_port = htons(static_cast<uint16_t>(port));
		inet_pton(AF_INET, ip, &a.sin_addr);
		rc = connect(s, reinterpret_cast<sockaddr *>(&a), sizeof(a));
	}
	show("connect", errnoOf(rc));
	return 0;
}

int connectAbstract(const char *name)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	size_t len = strlen(name);
	memcpy(a.sun_path + 1, name, len);
	int rc = connect(s, reinterpret_cast<sockaddr *>(&a),
			 static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + len));
	show("connect", errnoOf(rc));
	return 0;
}

/* Listen on the sandbox's own loopback and talk to ourselves. */
int loopbackSelf()
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	sockaddr_in a = {};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	show("bind", errnoOf(bind(l, reinterpret_cast<sockaddr *>(&a), sizeof(a))));
	show("listen", errnoOf(listen(l, 1)));
	socklen_t len = sizeof(a);
	getsockname(l, reinterpret_cast<sockaddr *>(&a), &len);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	show("connect", errnoOf(connect(c, reinterpret_cast<sockaddr *>(&a), sizeof(a))));
	int s = accept(l, nullptr, nullptr);
	ssize_t n = write(c, "ping", 4);
	char buf[8] = {};
	ssize_t m = s >= 0 ? read(s, buf, 4) : -1;
	std::printf("echo=%s\n", n == 4 && m == 4 ? buf : "(none)");
	return 0;
}

/* Allocate and touch memory until something stops us. */
int hog()
{
	std::vector<char *> blocks;
	for (;;) {
		char *p = static_cast<char *>(malloc(1 << 20));
		if (!p) {
			std::printf("malloc failed after %zu MiB\n", blocks.size());
			return 3;
		}
		memset(p, 1, 1 << 20);
		blocks.push_back(p);
	}
}

/* Fork children that sleep, until fork fails or `target` is reached. */
int forkbomb(int target)
{
	int made = 0, err = 0;
	for (; made < target; made++) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
	}
	std::printf("forked=%d\n", made);
	show("fork", err);
	std::fflush(stdout);
	return 0;
}

/* Burn CPU for `ms` of wall time. */
int spin(long ms)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	volatile unsigned long x = 0;
	do {
		for (int i = 0; i < 100000; i++)
			x = x + 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
	return 0;
}

/* A grandchild that leaves its session and keeps running; the parent waits or exits. */
int daemonize(bool thenWait)
{
	pid_t p = fork();
	if (p == 0) {
		setsid();
		if (fork() == 0) {
			for (;;)
				pause();
		}
		_exit(0);
	}
	waitpid(p, nullptr, 0);
	std::printf("daemonized\n");
	std::fflush(stdout);
	if (thenWait)
		for (;;)
			pause();
	return 0;
}

/*
 * getpid through the i386 ABI (int 0x80), in a child: a kernel built or
 * booted without ia32 emulation answers int 0x80 with SIGSEGV.
 * Prints OK, an errno name, or UNAVAILABLE.
 */
const char *i386Getpid()
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
		return "UNAVAILABLE";
	int err = WEXITSTATUS(status);
	return err ? strerrorname_np(err) : "OK";
}

/* Calls whose errno differs with and without the filter, even for an unprivileged uid. */
int seccompE2e()
{
	show("unshare_user", errnoOf(unshare(CLONE_NEWUSER)));
	show("unshare_net", errnoOf(unshare(CLONE_NEWNET)));
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(static_cast<pid_t>(pid), nullptr, 0);
	show("clone_newuser", errnoOf(pid));
	show("clone3", errnoOf(syscall(SYS_clone3, nullptr, 0)));
	struct io_uring_params params = {};
	show("io_uring_setup", errnoOf(syscall(SYS_io_uring_setup, 1, &params)));
	show("userfaultfd", errnoOf(syscall(SYS_userfaultfd, O_CLOEXEC)));
	show("bpf", errnoOf(syscall(SYS_bpf, 0, nullptr, 0)));
	show("keyctl", errnoOf(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0)));
	show("ptrace_traceme", errnoOf(syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0)));
	std::printf("i386_getpid=%s\n", i386Getpid());
	show("x32_getpid", errnoOf(syscall(0x40000000 | SYS_getpid)));
	/* fork still works: libc falls back from clone3 to clone. */
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	show("fork", child < 0 ? errno : 0);
	if (child > 0)
		waitpid(child, nullptr, 0);
	return 0;
}

int usage()
{
	std::fputs("probe caps|ids|write PATH [BYTES]|connect IP PORT|connect-abstract NAME|"
		   "loopback-self|hog|forkbomb N|spin MS|daemonize [wait]|seccomp|i386|"
		   "exec PATH [ARG...]|kill-self SIG|sleep SEC\n", stderr);
	return 2;
}

} /* namespace */

int main(int argc, char **argv)
{
	setvbuf(stdout, nullptr, _IOLBF, 0);
	if (argc < 2)
		return usage();
	std::string cmd = argv[1];
	if (cmd == "caps")
		return caps();
	if (cmd == "ids")
		return ids();
	if (cmd == "write" && argc >= 3)
		return writeFile(argv[2], argc >= 4 ? atoll(argv[3]) : 1);
	if (cmd == "connect" && argc == 4)
		return connectTcp(argv[2], atoi(argv[3]));
	if (cmd == "connect-abstract" && argc == 3)
		return connectAbstract(argv[2]);
	if (cmd == "loopback-self")
		return loopbackSelf();
	if (cmd == "hog")
		return hog();
	if (cmd == "forkbomb" && argc == 3)
		return forkbomb(atoi(argv[2]));
	if (cmd == "spin" && argc == 3)
		return spin(atol(argv[2]));
	if (cmd == "daemonize")
		return daemonize(argc == 3);
	if (cmd == "seccomp")
		return seccompE2e();
	if (cmd == "i386") {
		std::printf("i386_getpid=%s\n", i386Getpid());
		return 0;
	}
	if (cmd == "exec" && argc >= 3) {
		execv(argv[2], argv + 2);
		show("exec", errno);
		return 1;
	}
	if (cmd == "kill-self" && argc == 3) {
		kill(getpid(), atoi(argv[2]));
		return 0;
	}
	if (cmd == "sleep" && argc == 3) {
		sleep(static_cast<unsigned>(atoi(argv[2])));
		return 0;
	}
	return usage();
}
