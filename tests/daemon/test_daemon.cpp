/* SPDX-License-Identifier: MIT */
/*
 * The daemon as a process: configuration, one instance per state dir,
 * systemd notification, help.
 */
#include <csignal>
#include <cstring>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.hpp"

using namespace benchd::test;

TestSuite(daemon, .fini = TestDaemon::atTestEnd, .timeout = 120);

Test(daemon, a_bad_config_file_is_refused_with_file_line_column_and_key)
{
	TempDir dir;
	struct Case {
		const char *toml;
		const char *message;
	} cases[] = {
		{ "[limits]\nslots = \"many\"\n", ":2:9: [limits] slots: expected a whole number of at least 0" },
		{ "[limits]\nslotz = 3\n", ":2:9: unknown key [limits] slotz" },
		{ "[defaults]\nmemory = \"12Q\"\n", ":2:10: [defaults] memory: invalid size '12Q'" },
		{ "[limits\n", ":1:8: Error while parsing table header" },
	};
	for (const auto &c : cases) {
		std::string path = dir / "bad.toml";
		writeFile(path, c.toml);
		auto r = runCommand({ buildPath("daemon/benchd"), "--config", path, "--state-dir", dir / "state",
				      "--socket", dir / "sock" });
		cr_expect_eq(r.code(), 1);
		cr_expect(r.err.find(path + c.message) != std::string::npos, "wanted '%s%s' in: %s", path.c_str(),
			  c.message, r.err.c_str());
	}
}

Test(daemon, one_daemon_per_state_directory)
{
	TestDaemon d;
	auto r = runCommand({ buildPath("daemon/benchd"), "--config", d.configPath(), "--state-dir", d.stateDir(),
			      "--socket", d.socket() + "2" });
	cr_expect_eq(r.code(), 1);
	cr_expect(r.err.find("another benchd (pid " + std::to_string(d.pid()) + ") is already using") != std::string::npos,
		  "%s", r.err.c_str());
}

Test(daemon, it_tells_systemd_when_it_is_ready)
{
	TempDir dir;
	std::string path = dir / "notify";
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
	cr_assert_eq(bind(fd, reinterpret_cast<struct sockaddr *>(&a), sizeof(a)), 0);
	TestDaemon d(Keys{}, { { "NOTIFY_SOCKET", path } });
	char buf[4096] = {};
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0, "no notification");
	std::string msg(buf, static_cast<size_t>(n));
	cr_expect(msg.find("READY=1") != std::string::npos, "%s", msg.c_str());
	cr_expect(msg.find("STATUS=") != std::string::npos, "%s", msg.c_str());
	close(fd);
}

Test(daemon, it_starts_with_the_embedded_default_config)
{
	/* No --config: the defaults compiled in must be enough on one machine. */
	auto print = runCommand({ buildPath("daemon/benchd"), "--print-config" });
	expect_exit(print, 0);
	cr_expect(print.out.find("[limits]") != std::string::npos);
	cr_expect(print.out.find("user_queued_jobs = 5") != std::string::npos);
	TempDir dir;
	pid_t pid = startCommand({ buildPath("daemon/benchd"), "--state-dir", dir / "state", "--socket", dir / "sock" });
	bool up = false;
	for (int i = 0; i < 300 && !up; i++) {
		VarlinkClient c(dir / "sock");
		up = c.connected() && c.call("org.varlink.service.GetInfo").error.empty();
		if (!up)
			usleep(20000);
	}
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	cr_expect(up, "benchd with no config file did not serve");
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
}

Test(daemon, help_documents_options_signals_and_exit_status)
{
	auto r = runCommand({ buildPath("daemon/benchd"), "--help" });
	expect_exit(r, 0);
	for (const char *needle : { "--config", "--state-dir", "--socket", "SIGHUP", "SIGTERM", "READY=1", "Exit status", "oneshot" })
		cr_expect(r.out.find(needle) != std::string::npos, "--help lacks %s", needle);
	auto bad = runCommand({ buildPath("daemon/benchd"), "--frob" });
	cr_expect_eq(bad.code(), 2);
	cr_expect(bad.err.find("'--frob'") != std::string::npos);
}

Test(daemon, the_systemd_unit_verifies)
{
	if (!pathExists("/usr/bin/systemd-analyze"))
		cr_skip_test("systemd-analyze is not installed");
	/* The unit as installed, pointing at this build's binary. */
	std::string unit = readFile(buildPath("units/benchd.service"));
	cr_assert(!unit.empty());
	auto pos = unit.find("ExecStart=");
	auto end = unit.find(' ', pos);
	unit.replace(pos + 10, end - pos - 10, buildPath("daemon/benchd"));
	TempDir dir;
	writeFile(dir / "benchd.service", unit);
	auto r = runCommand({ "systemd-analyze", "verify", dir / "benchd.service" });
	cr_expect_eq(r.code(), 0, "%s%s", r.out.c_str(), r.err.c_str());
	for (const char *needle : { "Type=notify", "Delegate=yes", "ExecReload=" })
		cr_expect(unit.find(needle) != std::string::npos, "the unit lacks %s", needle);
}
