/* SPDX-License-Identifier: MIT */
/*
 * Figures for the daemon, each from a fresh benchd on a temporary state
 * dir (not a test: it asserts nothing and prints numbers):
 *
 *   submits   submits/s accepted (durable, acknowledged), pipelined over a
 *             few connections, while nothing runs
 *   rss       the daemon's RSS with 10,000 queued jobs
 *   runs      /bin/true runs completed per second, end to end
 *   logs      a job writing 1 GiB to stdout through the daemon's pump,
 *             against `head -c 1G /dev/zero | cat > file` on the host
 */
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "protocol/varlink.hpp"

using benchd::protocol::Json;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t)
{
	return std::chrono::duration<double>(Clock::now() - t).count();
}

int connectTo(const std::string &path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
	if (connect(fd, reinterpret_cast<struct sockaddr *>(&a), sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct Conn {
	int fd = -1;
	std::string buf;

	void send(const std::string &m)
	{
		size_t off = 0;
		while (off < m.size()) {
			ssize_t n = ::send(fd, m.data() + off, m.size() - off, MSG_NOSIGNAL);
			if (n <= 0)
				return;
			off += static_cast<size_t>(n);
		}
	}
	/* Complete replies received so far (blocking until at least one). */
	std::vector<benchd::protocol::Reply> recv()
	{
		std::vector<benchd::protocol::Reply> out;
		while (out.empty()) {
			char chunk[65536];
			ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
			if (n <= 0)
				return out;
			buf.append(chunk, static_cast<size_t>(n));
			size_t nul;
			while ((nul = buf.find('\0')) != std::string::npos) {
				auto r = benchd::protocol::parseReply(buf.substr(0, nul));
				buf.erase(0, nul + 1);
				if (r)
					out.push_back(*r);
			}
		}
		return out;
	}
	benchd::protocol::Reply call(const std::string &method, const Json &p)
	{
		send(benchd::protocol::encodeCall({ method, p }));
		return recv().at(0);
	}
};

struct Daemon {
	std::string dir, socket;
	pid_t pid = -1;

	Daemon(const std::string &binary, const std::string &extraToml)
	{
		char tmpl[] = "/tmp/benchd-bench-XXXXXX";
		dir = mkdtemp(tmpl);
		socket = dir + "/sock";
		std::string config = dir + "/benchd.toml";
		FILE *f = std::fopen(config.c_str(), "w");
		std::fprintf(f, "[cgroup]\nname = \"benchd-bench-%d\"\n[sandbox]\nuid_first = 1700000\nuid_count = 64\n%s",
			     getpid(), extraToml.c_str());
		std::fclose(f);
		pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "--state-dir",
			      (dir + "/state").c_str(), "--socket", socket.c_str(), nullptr);
			_exit(127);
		}
		for (int i = 0; i < 500; i++) {
			int fd = connectTo(socket);
			if (fd >= 0) {
				close(fd);
				return;
			}
			usleep(10000);
		}
		std::fprintf(stderr, "benchd did not start\n");
		std::exit(1);
	}
	~Daemon()
	{
		kill(pid, SIGTERM);
		waitpid(pid, nullptr, 0);
		/* The daemon leaves its (empty) cgroup sub-tree: remove it in every hierarchy. */
		std::string tree = "benchd-bench-" + std::to_string(getpid());
		std::string rmTree = "find /sys/fs/cgroup -maxdepth 4 -depth -type d -name '" + tree +
				     "' -exec find {} -depth -type d -delete \\;";
		if (std::system(rmTree.c_str()) != 0)
			std::fprintf(stderr, "could not remove cgroup sub-tree %s\n", tree.c_str());
		std::string cmd = "rm -rf " + dir;
		if (std::system(cmd.c_str()) != 0)
			std::fprintf(stderr, "could not remove %s\n", dir.c_str());
	}
	long rssKb() const
	{
		FILE *f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
		char line[256];
		long kb = -1;
		while (f && std::fgets(line, sizeof(line), f))
			if (std::strncmp(line, "VmRSS:", 6) == 0)
				kb = std::atol(line + 6);
		if (f)
			std::fclose(f);
		return kb;
	}
	Conn conn() const { return Conn{ connectTo(socket), {} }; }
};

/* N submits over `conns` connections, `window` calls in flight on each. */
double submitRate(const Daemon &d, int n, int conns, int window, const Json &params)
{
	std::vector<Conn> cs;
	for (int i = 0; i < conns; i++)
		cs.push_back(d.conn());
	std::string call = benchd::protocol::encodeCall({ "io.benchd.Supervisor.Submit", params });
	int sent = 0, acked = 0, refused = 0;
	std::vector<int> inflight(static_cast<size_t>(conns), 0);
	auto start = Clock::now();
	while (acked + refused < n) {
		for (int i = 0; i < conns; i++)
			while (inflight[static_cast<size_t>(i)] < window && sent < n) {
				cs[static_cast<size_t>(i)].send(call);
				inflight[static_cast<size_t>(i)]++;
				sent++;
			}
		std::vector<struct pollfd> pfds;
		for (auto &c : cs)
			pfds.push_back({ c.fd, POLLIN, 0 });
		poll(pfds.data(), pfds.size(), 10000);
		for (size_t i = 0; i < cs.size(); i++) {
			if (!(pfds[i].revents & POLLIN))
				continue;
			for (auto &r : cs[i].recv()) {
				inflight[i]--;
				(r.error.empty() ? acked : refused)++;
			}
		}
	}
	double s = secondsSince(start);
	if (refused)
		std::printf("  (%d submits refused)\n", refused);
	for (auto &c : cs)
		close(c.fd);
	return acked / s;
}

void waitAllDone(const Daemon &d)
{
	Conn c = d.conn();
	for (;;) {
		auto r = c.call("io.benchd.Supervisor.List", { { "limit", 1 } });
		const Json &cap = r.parameters["capacity"];
		if (cap["queued_runs"] == 0 && cap["running_runs"] == 0)
			break;
		usleep(20000);
	}
	close(c.fd);
}

} /* namespace */

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: %s BENCHD_BINARY [runs-count]\n", argv[0]);
		return 2;
	}
	std::string bin = argv[1];
	int runs = argc > 2 ? std::atoi(argv[2]) : 300;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	std::printf("benchd daemon figures (%ld CPUs)\n", cpus);

	{
		/* One slot held by a sleeper, one user allowed one active job: everything else queues. */
		Daemon d(bin, "[limits]\nslots = 1\nuser_queued_jobs = 1000000\n");
		Conn c = d.conn();
		c.call("io.benchd.Supervisor.Submit", { { "argv", { "/bin/sleep", "1000" } } });
		close(c.fd);
		long before = d.rssKb();
		Json job = { { "argv", { "/bin/true" } } };
		double rate = submitRate(d, 10000, 4, 16, job);
		std::printf("submits accepted:      %8.0f /s   (10,000 durable submits, 4 connections x 16 in flight)\n", rate);
		std::printf("RSS with 10,000 queued: %7ld KiB  (%ld KiB before; %.1f KiB per queued job)\n", d.rssKb(),
			    before, static_cast<double>(d.rssKb() - before) / 10000.0);
	}
	{
		std::string cfg = "[limits]\nslots = " + std::to_string(cpus * 2) +
				  "\nuser_queued_jobs = 1000000\nuser_active_jobs = 100000\n";
		Daemon d(bin, cfg);
		auto start = Clock::now();
		submitRate(d, runs, 2, 8, { { "argv", { "/bin/true" } } });
		waitAllDone(d);
		double s = secondsSince(start);
		std::printf("runs completed:        %8.1f /s   (%d /bin/true jobs end to end, %ld slots: %.2f s)\n",
			    runs / s, runs, cpus * 2, s);
	}
	{
		Daemon d(bin, "[defaults]\nlog_cap = \"2G\"\ntimeout = \"10m\"\nmemory = \"512M\"\n");
		Conn c = d.conn();
		auto r = c.call("io.benchd.Supervisor.Submit",
				{ { "argv", { "/bin/sh", "-c", "head -c 1073741824 /dev/zero" } } });
		int64_t id = r.parameters["id"].get<int64_t>();
		waitAllDone(d);
		auto st = c.call("io.benchd.Supervisor.Status", { { "id", id } });
		double pumped = st.parameters["job"]["attempts"][0]["result"]["wall_ms"].get<double>() / 1000.0;
		close(c.fd);
		auto start = Clock::now();
		std::string out = d.dir + "/cat.out";
		std::string cmd = "head -c 1073741824 /dev/zero | cat > " + out;
		if (std::system(cmd.c_str()) != 0)
			std::fprintf(stderr, "cat pump failed\n");
		double cat = secondsSince(start);
		unlink(out.c_str());
		std::printf("1 GiB of output:       %8.2f s through benchd's pump, %.2f s through cat > file: %.2fx\n",
			    pumped, cat, pumped / cat);
	}
	return 0;
}
