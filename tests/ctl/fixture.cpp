/* SPDX-License-Identifier: MIT */
#include "fixture.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace benchd::test {

namespace {

using Clock = std::chrono::steady_clock;

long msSince(Clock::time_point t)
{
	return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

int connectTo(const std::string &path)
{
	int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
	if (::connect(fd, reinterpret_cast<struct sockaddr *>(&a), sizeof(a)) < 0) {
		::close(fd);
		return -1;
	}
	return fd;
}

/*
 * The test's daemon, for atTestEnd (each test is a process of its own).
 * A pid, not the Daemon: after a failed assert its frame is gone.
 */
pid_t currentPid = -1;

void stopDaemon(pid_t pid)
{
	::kill(pid, SIGTERM);
	auto start = Clock::now();
	int status;
	while (::waitpid(pid, &status, WNOHANG) == 0) {
		if (msSince(start) > 10000)
			::kill(pid, SIGKILL);
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
}

std::string cgroupNameOfThisTest()
{
	return "benchd-ctltest-" + std::to_string(::getpid());
}

} /* namespace */

std::string benchctlPath()
{
	return buildPath("ctl/benchctl");
}

Daemon::Daemon(const std::string &config)
{
	socket_ = dir_ / "benchd.sock";
	cgroupName_ = cgroupNameOfThisTest();
	/* A uid range of its own: tests run in parallel, each with a daemon. */
	unsigned uidFirst = 50000000u + static_cast<unsigned>(::getpid()) * 8;
	writeFile(dir_ / "benchd.toml",
		  "[daemon]\nruntime_dir = \"" + (dir_ / "run") + "\"\nsocket_group = \"users\"\n"
		  "[limits]\nslots = 2\nuser_queued_jobs = 20\nuser_active_jobs = 4\n"
		  "[sandbox]\nuid_first = " + std::to_string(uidFirst) + "\nuid_count = 8\n"
		  "[cgroup]\nname = \"" + cgroupName_ + "\"\n" + config);
	std::string logPath = dir_ / "benchd.log";
	pid_ = ::fork();
	if (pid_ == 0) {
		/* If the test dies (a failed assert skips destructors), so does its daemon. */
		::prctl(PR_SET_PDEATHSIG, SIGTERM);
		int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		::dup2(log, 1);
		::dup2(log, 2);
		std::string bin = buildPath("daemon/benchd"), cfg = dir_ / "benchd.toml", state = dir_ / "state";
		::execl(bin.c_str(), bin.c_str(), "--config", cfg.c_str(), "--state-dir", state.c_str(),
			"--socket", socket_.c_str(), static_cast<char *>(nullptr));
		::_exit(127);
	}
	currentPid = pid_;
	auto start = Clock::now();
	while (msSince(start) < 20000) {
		int fd = connectTo(socket_);
		if (fd >= 0) {
			::close(fd);
			return;
		}
		int status;
		if (::waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = currentPid = -1;
			cr_assert_fail("benchd exited while starting:\n%s", log().c_str());
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	cr_assert_fail("benchd did not listen within 20s:\n%s", log().c_str());
}

Daemon::~Daemon()
{
	stop();
	removeCgroupSubtree(cgroupName_);
}

void Daemon::atTestEnd()
{
	if (currentPid > 0)
		stopDaemon(currentPid);
	currentPid = -1;
	removeCgroupSubtree(cgroupNameOfThisTest());
}

void Daemon::stop()
{
	if (pid_ < 0)
		return;
	stopDaemon(pid_);
	pid_ = currentPid = -1;
}

std::string Daemon::log() const
{
	return readFile(dir_ / "benchd.log");
}

CommandResult benchctl(const std::string &socket, const std::vector<std::string> &args, const RunOptions &options)
{
	std::vector<std::string> argv = { benchctlPath(), "--socket", socket };
	argv.insert(argv.end(), args.begin(), args.end());
	return runCommand(argv, options);
}

void sendRaw(int fd, const std::string &message)
{
	size_t off = 0;
	while (off < message.size()) {
		ssize_t n = ::send(fd, message.data() + off, message.size() - off, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		off += static_cast<size_t>(n);
	}
}

namespace {

/* The next NUL-terminated message on fd, or nullopt at EOF. */
std::optional<std::string> readMessage(int fd, std::string &buf)
{
	for (;;) {
		size_t nul = buf.find('\0');
		if (nul != std::string::npos) {
			std::string m = buf.substr(0, nul);
			buf.erase(0, nul + 1);
			return m;
		}
		char chunk[65536];
		ssize_t n = ::read(fd, chunk, sizeof(chunk));
		if (n <= 0)
			return std::nullopt;
		buf.append(chunk, static_cast<size_t>(n));
	}
}

} /* namespace */

protocol::Reply rawCall(const std::string &socket, const std::string &method, const Json &params)
{
	int fd = connectTo(socket);
	cr_assert_geq(fd, 0, "connect %s: %s", socket.c_str(), strerror(errno));
	sendRaw(fd, protocol::encodeCall({ method, params }));
	std::string buf;
	auto m = readMessage(fd, buf);
	::close(fd);
	cr_assert(m, "no reply to %s", method.c_str());
	auto reply = protocol::parseReply(*m);
	cr_assert(reply, "bad reply to %s", method.c_str());
	return *reply;
}

Json waitForJob(const std::string &socket, int64_t id, int timeoutMs)
{
	auto start = Clock::now();
	for (;;) {
		auto r = rawCall(socket, "io.benchd.Supervisor.Status", { { "id", id } });
		cr_assert(r.error.empty(), "Status %lld: %s", static_cast<long long>(id), r.error.c_str());
		Json job = r.parameters["job"];
		std::string state = job["state"];
		if (state == "completed" || state == "failed" || state == "timed_out" || state == "aborted")
			return job;
		cr_assert_lt(msSince(start), timeoutMs, "job %lld still %s", static_cast<long long>(id), state.c_str());
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
}

Streamed streamBenchctl(const std::string &socket, const std::vector<std::string> &args, int timeoutMs)
{
	int out[2], err[2];
	if (::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
		throw std::runtime_error("pipe2");
	std::vector<std::string> argv = { benchctlPath(), "--socket", socket };
	argv.insert(argv.end(), args.begin(), args.end());
	std::vector<char *> cargs;
	for (auto &a : argv)
		cargs.push_back(a.data());
	cargs.push_back(nullptr);
	auto start = Clock::now();
	pid_t pid = ::fork();
	if (pid == 0) {
		::dup2(out[1], 1);
		::dup2(err[1], 2);
		::execv(cargs[0], cargs.data());
		::_exit(127);
	}
	::close(out[1]);
	::close(err[1]);
	Streamed s;
	bool outOpen = true, errOpen = true;
	while ((outOpen || errOpen) && msSince(start) < timeoutMs) {
		struct pollfd fds[2] = { { outOpen ? out[0] : -1, POLLIN, 0 }, { errOpen ? err[0] : -1, POLLIN, 0 } };
		if (::poll(fds, 2, 100) <= 0)
			continue;
		char buf[65536];
		for (int i = 0; i < 2; i++) {
			if (!fds[i].revents)
				continue;
			ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				(i == 0 ? outOpen : errOpen) = false;
				continue;
			}
			std::string chunk(buf, static_cast<size_t>(n));
			if (i == 0) {
				s.out += chunk;
				s.chunks.emplace_back(msSince(start), chunk);
			} else {
				s.err += chunk;
			}
		}
	}
	if (outOpen || errOpen)
		::kill(pid, SIGKILL);
	::close(out[0]);
	::close(err[0]);
	int status = 0;
	::waitpid(pid, &status, 0);
	s.elapsedMs = msSince(start);
	s.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return s;
}

FakeDaemon::FakeDaemon(const std::string &socket, Serve serve)
{
	listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	std::strncpy(a.sun_path, socket.c_str(), sizeof(a.sun_path) - 1);
	if (::bind(listenFd_, reinterpret_cast<struct sockaddr *>(&a), sizeof(a)) < 0 || ::listen(listenFd_, 8) < 0)
		cr_assert_fail("fake benchd at %s: %s", socket.c_str(), strerror(errno));
	thread_ = std::thread([this, serve] {
		for (int connection = 0;; connection++) {
			int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
			if (fd < 0)
				return;
			std::string buf;
			while (auto m = readMessage(fd, buf)) {
				auto call = protocol::parseCall(*m);
				if (!call || !serve(connection, *call, fd))
					break;
			}
			::close(fd);
		}
	});
}

FakeDaemon::~FakeDaemon()
{
	/* shutdown wakes the accept(2) the thread sits in. */
	::shutdown(listenFd_, SHUT_RDWR);
	::close(listenFd_);
	thread_.join();
}

} /* namespace benchd::test */
