/* SPDX-License-Identifier: MIT */
#include "daemon.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "oneshot.hpp"
#include "protocol/varlink.hpp"

namespace benchd::test {

namespace {

int64_t msSince(std::chrono::steady_clock::time_point t)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
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

/* The test's daemon (each Criterion test is a process of its own). */
pid_t currentDaemon = -1;

std::string subtreeOfThisTest()
{
	return "benchd-test-" + std::to_string(getpid());
}

void stopPid(pid_t pid)
{
	kill(pid, SIGTERM);
	auto start = std::chrono::steady_clock::now();
	while (waitpid(pid, nullptr, WNOHANG) == 0) {
		if (msSince(start) > 15000)
			kill(pid, SIGKILL);
		usleep(10000);
	}
}

} /* namespace */

void TestDaemon::atTestEnd()
{
	if (currentDaemon > 0)
		stopPid(currentDaemon);
	currentDaemon = -1;
	removeCgroupSubtree(subtreeOfThisTest());
}

TestDaemon::TestDaemon(const std::map<std::string, std::string> &overrides,
		       const std::map<std::string, std::string> &env)
	: env_(env)
{
	stateDir_ = dir_ / "state";
	socket_ = dir_ / "benchd.sock";
	configPath_ = dir_ / "benchd.toml";
	logPath_ = dir_ / "benchd.log";
	/* The socket's directory must let the test users through. */
	chmod(dir_.path().c_str(), 0755);
	uidFirst_ = 1400000u + static_cast<unsigned>(getpid()) * kUidCount;
	std::map<std::string, std::string> keys = {
		{ "daemon.socket_group", "\"users\"" },
		{ "daemon.client_timeout", "\"1s\"" },
		{ "daemon.heartbeat", "\"1s\"" },
		{ "daemon.runtime_dir", "\"" + (dir_ / "run") + "\"" },
		{ "limits.slots", "2" },
		{ "sandbox.uid_first", std::to_string(uidFirst_) },
		{ "sandbox.uid_count", std::to_string(kUidCount) },
		{ "cgroup.name", "\"" + subtreeOfThisTest() + "\"" },
	};
	for (const auto &[k, v] : overrides)
		keys[k] = v;
	/* Group the keys by section: TOML allows each [section] once. */
	std::map<std::string, std::string> sections;
	for (const auto &[k, v] : keys) {
		size_t dot = k.find('.');
		sections[k.substr(0, dot)] += k.substr(dot + 1) + " = " + v + "\n";
	}
	std::string config;
	for (const auto &[section, body] : sections)
		config += "[" + section + "]\n" + body;
	writeFile(configPath_, config);
	start();
}

TestDaemon::~TestDaemon()
{
	if (pid_ > 0)
		stop();
	removeCgroupSubtree(subtreeOfThisTest());
}

void TestDaemon::start()
{
	pid_ = fork();
	if (pid_ == 0) {
		/* If the test dies (a failed assert skips destructors), so does its daemon. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int logFd = open(logPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(logFd, 1);
		dup2(logFd, 2);
		for (const auto &[k, v] : env_)
			setenv(k.c_str(), v.c_str(), 1);
		std::string bin = buildPath("daemon/benchd");
		execl(bin.c_str(), bin.c_str(), "--config", configPath_.c_str(), "--state-dir", stateDir_.c_str(),
		      "--socket", socket_.c_str(), nullptr);
		_exit(127);
	}
	currentDaemon = pid_;
	auto start = std::chrono::steady_clock::now();
	while (msSince(start) < 30000) {
		int status;
		if (waitpid(pid_, &status, WNOHANG) == pid_) {
			pid_ = -1;
			throw std::runtime_error("benchd exited at start:\n" + log());
		}
		int fd = connectTo(socket_);
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(20000);
	}
	throw std::runtime_error("benchd did not listen within 30 s:\n" + log());
}

int TestDaemon::stop()
{
	if (pid_ <= 0)
		return -1;
	kill(pid_, SIGTERM);
	int status = -1;
	waitpid(pid_, &status, 0);
	pid_ = currentDaemon = -1;
	return status;
}

void TestDaemon::crash()
{
	if (pid_ <= 0)
		return;
	kill(pid_, SIGKILL);
	waitpid(pid_, nullptr, 0);
	pid_ = currentDaemon = -1;
}

bool TestDaemon::waitExit(int timeoutMs, int *status)
{
	auto start = std::chrono::steady_clock::now();
	while (msSince(start) < timeoutMs) {
		int st;
		if (waitpid(pid_, &st, WNOHANG) == pid_) {
			pid_ = currentDaemon = -1;
			if (status)
				*status = st;
			return true;
		}
		usleep(10000);
	}
	return false;
}

std::string TestDaemon::log() const
{
	return readFile(logPath_);
}

std::vector<int> TestDaemon::sandboxProcesses() const
{
	std::vector<int> all;
	for (unsigned u = uidFirst_; u < uidFirst_ + kUidCount; u++)
		for (int p : processesOfUid(u))
			all.push_back(p);
	return all;
}

uid_t testUser(int n)
{
	return 1500000u + static_cast<uid_t>(getpid()) * 8u + static_cast<uid_t>(n);
}

VarlinkClient::VarlinkClient(const std::string &socket) : fd_(connectTo(socket)) {}

VarlinkClient::~VarlinkClient()
{
	if (fd_ >= 0)
		close(fd_);
}

void VarlinkClient::sendRaw(const std::string &bytes)
{
	size_t off = 0;
	while (off < bytes.size()) {
		ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		off += static_cast<size_t>(n);
	}
}

std::optional<Reply> VarlinkClient::read(int timeoutMs)
{
	auto start = std::chrono::steady_clock::now();
	for (;;) {
		size_t nul = buf_.find('\0');
		if (nul != std::string::npos) {
			std::string msg = buf_.substr(0, nul);
			buf_.erase(0, nul + 1);
			auto r = protocol::parseReply(msg);
			if (!r)
				throw std::runtime_error("bad reply: " + msg);
			return Reply{ r->error, r->parameters, r->continues };
		}
		int left = timeoutMs - static_cast<int>(msSince(start));
		if (left <= 0)
			return std::nullopt;
		struct pollfd p = { fd_, POLLIN, 0 };
		if (poll(&p, 1, left) <= 0)
			return std::nullopt;
		char chunk[65536];
		ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
		if (n <= 0)
			return std::nullopt;
		buf_.append(chunk, static_cast<size_t>(n));
	}
}

bool VarlinkClient::closedByPeer(int timeoutMs)
{
	auto start = std::chrono::steady_clock::now();
	while (msSince(start) < timeoutMs) {
		struct pollfd p = { fd_, POLLIN, 0 };
		if (poll(&p, 1, 50) > 0) {
			char chunk[65536];
			ssize_t n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno == ECONNRESET))
				return true;
		}
	}
	return false;
}

Reply VarlinkClient::call(const std::string &method, const Json &params)
{
	sendRaw(protocol::encodeCall({ method, params }));
	auto r = read(60000);
	if (!r)
		throw std::runtime_error("no reply to " + method);
	return *r;
}

std::vector<Reply> VarlinkClient::callMore(const std::string &method, const Json &params)
{
	protocol::Call c{ method, params, true };
	sendRaw(protocol::encodeCall(c));
	std::vector<Reply> out;
	while (auto r = read(120000)) {
		out.push_back(*r);
		if (!r->continues)
			break;
	}
	return out;
}

Reply callAs(uid_t uid, const std::string &socket, const std::string &method, const Json &params)
{
	int fds[2];
	if (pipe(fds) < 0)
		throw std::runtime_error("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (setgroups(0, nullptr) || setresgid(kUsersGid, kUsersGid, kUsersGid) || setresuid(uid, uid, uid))
			_exit(3);
		VarlinkClient c(socket);
		Json out;
		if (!c.connected()) {
			out = { { "error", "connect failed" }, { "parameters", Json::object() } };
		} else {
			Reply r = c.call(method, params);
			out = { { "error", r.error }, { "parameters", r.parameters } };
		}
		std::string text = out.dump();
		ssize_t ignored = write(fds[1], text.data(), text.size());
		(void)ignored;
		_exit(0);
	}
	close(fds[1]);
	std::string text;
	char chunk[4096];
	ssize_t n;
	while ((n = ::read(fds[0], chunk, sizeof(chunk))) > 0)
		text.append(chunk, static_cast<size_t>(n));
	close(fds[0]);
	waitpid(pid, nullptr, 0);
	Json j = Json::parse(text, nullptr, false);
	if (j.is_discarded())
		throw std::runtime_error("callAs: child failed");
	return Reply{ j["error"].get<std::string>(), j["parameters"], false };
}

int64_t submitJob(const std::string &socket, const std::vector<std::string> &argv, int runs, const Json &extra)
{
	VarlinkClient c(socket);
	Json params = extra;
	params["argv"] = argv;
	params["runs"] = runs;
	Reply r = c.call("io.benchd.Supervisor.Submit", params);
	if (!r.error.empty())
		throw std::runtime_error("submit refused: " + r.error + " " + r.parameters.dump());
	return r.parameters["id"].get<int64_t>();
}

bool isTerminal(const std::string &state)
{
	return state == "completed" || state == "failed" || state == "timed_out" || state == "aborted";
}

Json waitFor(const std::string &socket, int64_t id, const std::function<bool(const Json &)> &pred, int timeoutMs)
{
	auto start = std::chrono::steady_clock::now();
	Json job;
	while (msSince(start) < timeoutMs) {
		VarlinkClient c(socket);
		if (c.connected()) {
			try {
				Reply r = c.call("io.benchd.Supervisor.Status", { { "id", id } });
				if (r.error.empty()) {
					job = r.parameters["job"];
					if (pred(job))
						return job;
				}
			} catch (const std::exception &) {
				/* The daemon went away mid-call (a test crashing it): ask again. */
			}
		}
		usleep(20000);
	}
	return job;
}

Json waitJob(const std::string &socket, int64_t id, int timeoutMs)
{
	return waitFor(socket, id, [](const Json &j) { return isTerminal(j["state"].get<std::string>()); }, timeoutMs);
}

std::string fetchLogs(const std::string &socket, int64_t id, int run, const std::string &stream)
{
	VarlinkClient c(socket);
	std::string out;
	for (const auto &r : c.callMore("io.benchd.Supervisor.Logs", { { "id", id }, { "run", run }, { "stream", stream } })) {
		if (!r.error.empty())
			throw std::runtime_error("logs: " + r.error);
		auto bytes = protocol::base64Decode(r.parameters["data"].get<std::string>());
		if (!bytes)
			throw std::runtime_error("logs: bad base64");
		out += *bytes;
	}
	return out;
}

} /* namespace benchd::test */
