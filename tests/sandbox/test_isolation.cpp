/* SPDX-License-Identifier: MIT */
/*
 * What a job can and cannot see or touch, asked from inside a real sandbox.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "oneshot.hpp"

using namespace benchd::test;

TestSuite(isolation, .timeout = 120);

Test(isolation, job_runs_as_an_unprivileged_uid_with_every_capability_set_empty)
{
	auto r = oneshot({}, { kProbe, "caps" });
	expect_exit(r.cmd, 0);
	cr_expect_eq(r.field("caps"), "=", "capabilities: %s", r.field("caps").c_str());
	cr_expect_eq(r.field("bounding"), "0");
	cr_expect_eq(r.field("ambient"), "0");
	cr_expect_eq(r.field("nnp"), "1");
	std::string uid = std::to_string(testUid());
	cr_expect_eq(r.field("uid"), uid + " euid=" + uid + " suid=" + uid);
	cr_expect_eq(r.field("groups"), "0", "supplementary groups: %s", r.field("groups").c_str());
}

Test(isolation, job_lives_in_its_own_pid_and_uts_namespaces)
{
	auto r = oneshot({}, { kProbe, "caps" });
	expect_exit(r.cmd, 0);
	/* init is pid 1; the first thing it forks is the job. */
	cr_expect_eq(r.field("pid"), "2");
	cr_expect_eq(r.field("hostname"), "benchd");
}

Test(isolation, setuid_binaries_do_not_escalate)
{
	/*
	 * A setuid-root copy of the probe: outside, it would run as root. Its
	 * own tmpfs, because /tmp may be mounted nosuid (it is in the VM lane).
	 */
	TempDir dir;
	cr_assert_eq(mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "mode=0755,size=64m"), 0);
	struct Unmount {
		std::string path;
		~Unmount() { umount2(path.c_str(), MNT_DETACH); }
	} unmount{ dir.path() };
	std::string suid = dir / "suid-probe";
	auto cp = runCommand({ "cp", probeHostPath(), suid });
	expect_exit(cp, 0);
	cr_assert_eq(chmod(suid.c_str(), 04755), 0);
	auto control = runCommand({ suid, "ids" }, { .uid = testUid(), .gid = testUid() });
	cr_assert(control.out.find("euid=0") != std::string::npos,
		  "control: the setuid copy should give euid 0 outside: %s", control.out.c_str());

	auto r = oneshot({ "--ro-bind", dir.path() + ":/suid" }, { kProbe, "exec", "/suid/suid-probe", "ids" });
	expect_exit(r.cmd, 0);
	cr_expect(r.cmd.out.find("euid=" + std::to_string(testUid())) != std::string::npos,
		  "setuid binary escalated: %s", r.cmd.out.c_str());
	/* The host's own setuid tools fail too. */
	auto su = oneshot({}, { "/bin/su", "-c", "id -u", "root" }, { .stdinData = "\n" });
	cr_expect_neq(su.cmd.code(), 0, "su worked inside the sandbox: %s", su.cmd.out.c_str());
	cr_expect(su.cmd.out.find("\n0\n") == std::string::npos && su.cmd.out != "0\n");
}

Test(isolation, root_filesystem_is_read_only)
{
	/* /var/tmp is world-writable on the host: only a read-only mount stops us. */
	for (const char *path : { "/var/tmp/benchd-probe", "/usr/benchd-probe", "/benchd-probe", "/etc/benchd-probe" }) {
		auto r = oneshot({}, { kProbe, "write", path });
		cr_expect_eq(r.field("open"), "EROFS", "%s: %s", path, r.cmd.out.c_str());
	}
	cr_expect(!pathExists("/var/tmp/benchd-probe"));
}

Test(isolation, host_private_paths_are_masked)
{
	/* /root, /home, /run, /var/lib by default; /etc/ssl because we ask. */
	auto r = oneshot({ "--mask", "/etc/ssl" },
			 { "/bin/sh", "-c", "ls -A /root /home /run /var/lib /etc/ssl | wc -l; ls /etc/hostname" });
	expect_exit(r.cmd, 0);
	/* Five headers ("/root:") and four blank separators: no entries at all. */
	cr_expect_eq(r.cmd.out.substr(0, r.cmd.out.find('\n')), "9", "masked dirs not empty:\n%s",
		     r.cmd.out.c_str());
	cr_expect(r.cmd.out.find("/etc/hostname") != std::string::npos, "unmasked /etc is visible");
}

Test(isolation, workspace_and_tmp_are_writable_and_hold_their_size)
{
	for (const char *dir : { "/work", "/tmp", "/dev/shm" }) {
		std::string path = std::string(dir) + "/fill";
		auto r = oneshot({ "--tmpfs", "8M" }, { kProbe, "write", path.c_str(), std::to_string(32 << 20) });
		expect_exit(r.cmd, 0);
		cr_expect_eq(r.field("open"), "OK", "%s: %s", dir, r.cmd.out.c_str());
		cr_expect_eq(r.field("write"), "ENOSPC", "%s: %s", dir, r.cmd.out.c_str());
		long long written = std::stoll(r.field("written"));
		cr_expect(written >= (7 << 20) && written <= (8 << 20), "%s: wrote %lld bytes", dir, written);
	}
}

Test(isolation, dev_has_only_the_minimal_nodes)
{
	auto r = oneshot({}, { "/bin/sh", "-c", "ls /dev | tr '\\n' ' '; echo; echo hi > /dev/null && "
				  "head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c" });
	expect_exit(r.cmd, 0);
	std::string first = r.cmd.out.substr(0, r.cmd.out.find('\n'));
	cr_expect_eq(first, "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ",
		     "/dev: %s", first.c_str());
	cr_expect(r.cmd.out.find("\n4\n4\n") != std::string::npos, "%s", r.cmd.out.c_str());
}

namespace {

/* A listener on the host's loopback; returns its port. */
int listenOnHostLoopback(int &fd)
{
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sockaddr_in a = {};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	socklen_t len = sizeof(a);
	getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
	return ntohs(a.sin_port);
}

} /* namespace */

Test(isolation, no_route_to_host_loopback_services_or_anywhere_else)
{
	int fd;
	int port = listenOnHostLoopback(fd);
	/* Control: the host itself reaches the listener. */
	auto control = runCommand({ probeHostPath(), "connect", "127.0.0.1", std::to_string(port) });
	cr_assert(control.out.find("connect=OK") != std::string::npos, "control: %s", control.out.c_str());
	int accepted = accept(fd, nullptr, nullptr);
	cr_assert(accepted >= 0);
	close(accepted);

	auto r = oneshot({}, { kProbe, "connect", "127.0.0.1", std::to_string(port) });
	cr_expect_eq(r.field("connect"), "ECONNREFUSED", "host loopback: %s", r.cmd.out.c_str());
	for (const char *ip : { "10.0.2.2", "192.0.2.1", "8.8.8.8", "2001:db8::1" }) {
		auto out = oneshot({}, { kProbe, "connect", ip, "80" });
		cr_expect_eq(out.field("connect"), "ENETUNREACH", "%s: %s", ip, out.cmd.out.c_str());
	}
	/* Nothing arrived at the host's listener. */
	struct timeval tv = { 0, 100000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	cr_expect_lt(accept(fd, nullptr, nullptr), 0, "a sandbox reached the host's listener");
	close(fd);
}

Test(isolation, host_abstract_unix_sockets_are_out_of_reach)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	std::string name = "benchd-test-" + std::to_string(getpid());
	sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name.data(), name.size());
	socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
	cr_assert_eq(bind(fd, reinterpret_cast<sockaddr *>(&a), len), 0);
	cr_assert_eq(listen(fd, 4), 0);
	auto control = runCommand({ probeHostPath(), "connect-abstract", name });
	cr_assert(control.out.find("connect=OK") != std::string::npos, "control: %s", control.out.c_str());

	auto r = oneshot({}, { kProbe, "connect-abstract", name });
	cr_expect_eq(r.field("connect"), "ECONNREFUSED", "%s", r.cmd.out.c_str());
	close(fd);
}

Test(isolation, jobs_may_listen_and_connect_on_their_own_loopback)
{
	auto r = oneshot({}, { kProbe, "loopback-self" });
	expect_exit(r.cmd, 0);
	cr_expect_eq(r.field("bind"), "OK");
	cr_expect_eq(r.field("connect"), "OK");
	cr_expect_eq(r.field("echo"), "ping");
}

Test(isolation, binds_are_visible_read_write_or_read_only)
{
	TempDir dir;
	writeFile(dir / "in.txt", "input\n");
	chmod((dir / "in.txt").c_str(), 0644);
	chown(dir.path().c_str(), testUid(), testUid());
	auto r = oneshot({ "--bind", dir.path() + ":/work/data", "--ro-bind", dir.path() + ":/ro" },
			 { "/bin/sh", "-c", "cat /work/data/in.txt && echo out > /work/data/out.txt && "
					    "(echo x > /ro/x) 2>&1; ls /ro" });
	expect_exit(r.cmd, 0);
	cr_expect(r.cmd.out.find("input\n") == 0, "%s", r.cmd.out.c_str());
	cr_expect(r.cmd.out.find("Read-only file system") != std::string::npos, "%s", r.cmd.out.c_str());
	cr_expect_eq(readFile(dir / "out.txt"), "out\n");
}

Test(isolation, stdout_and_stderr_pass_through_and_the_environment_is_clean)
{
	auto r = oneshot({ "--env", "FOO=bar", "--workdir", "/tmp" },
			 { "/bin/sh", "-c", "echo out; echo err >&2; env | sort; pwd" },
			 { .env = { { "LEAKED_SECRET", "1" } } });
	expect_exit(r.cmd, 0);
	cr_expect(r.cmd.out.find("out\n") == 0);
	cr_expect(r.cmd.err.find("err\n") != std::string::npos, "stderr: %s", r.cmd.err.c_str());
	cr_expect(r.cmd.out.find("FOO=bar\n") != std::string::npos);
	cr_expect(r.cmd.out.find("HOME=/work\n") != std::string::npos);
	cr_expect(r.cmd.out.find("LEAKED_SECRET") == std::string::npos, "host env leaked:\n%s", r.cmd.out.c_str());
	cr_expect(r.cmd.out.find("/tmp\n") != std::string::npos, "workdir: %s", r.cmd.out.c_str());
}

Test(isolation, host_ipc_objects_are_out_of_reach)
{
	/* A System V shared memory segment on the host: the sandbox's ipc namespace has none. */
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0666);
	cr_assert_geq(id, 0);
	auto host = runCommand({ "ipcs", "-m" });
	cr_assert(host.out.find(std::to_string(id)) != std::string::npos, "control: ipcs on the host: %s", host.out.c_str());
	auto r = oneshot({}, { "/usr/bin/ipcs", "-m" });
	shmctl(id, IPC_RMID, nullptr);
	expect_exit(r.cmd, 0);
	cr_expect(r.cmd.out.find(" " + std::to_string(id) + " ") == std::string::npos, "the host's segment is visible:\n%s",
		  r.cmd.out.c_str());
}

Test(isolation, rlimits_hold_core_zero_and_open_files)
{
	auto r = oneshot({ "--nofile", "64" }, { "/bin/sh", "-c", "ulimit -c; ulimit -n; ulimit -Hn" });
	expect_exit(r.cmd, 0);
	cr_expect_eq(r.cmd.out, "0\n64\n64\n");
}
