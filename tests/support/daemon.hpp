/* SPDX-License-Identifier: MIT */
/*
 * A real benchd for one test: its own state dir, socket, cgroup sub-tree
 * and sandbox uid range, so tests (each a forked process) never share
 * anything. And a small blocking Varlink client to talk to it, as root,
 * as another uid, or as a hostile client.
 */
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "support.hpp"

namespace benchd::test {

using Json = nlohmann::json;

/* Config keys for a TestDaemon: "limits.slots" -> "1" (TOML values). */
using Keys = std::map<std::string, std::string>;

struct Reply {
	std::string error; /* empty on success */
	Json parameters = Json::object();
	bool continues = false;
};

class TestDaemon
{
public:
	/*
	 * `config` sets keys on top of the test's own ("limits.slots" -> "1";
	 * values are TOML, so strings carry their quotes); `env` is added to
	 * the daemon's environment.
	 */
	explicit TestDaemon(const std::map<std::string, std::string> &config = {},
			    const std::map<std::string, std::string> &env = {});
	~TestDaemon();

	/* Start (again) on the same state; waits until the socket answers. */
	void start();
	/* SIGTERM and wait. */
	int stop();
	/* kill -9 and reap, like a crash. */
	void crash();
	/* Wait for the daemon to exit by itself (e.g. the crash hook); false on timeout. */
	bool waitExit(int timeoutMs, int *status = nullptr);
	pid_t pid() const { return pid_; }

	const std::string &socket() const { return socket_; }
	const std::string &stateDir() const { return stateDir_; }
	const std::string &configPath() const { return configPath_; }
	std::string log() const;
	unsigned uidFirst() const { return uidFirst_; }
	static constexpr unsigned kUidCount = 8;

	/* Processes still alive with a uid of this daemon's sandbox range. */
	std::vector<int> sandboxProcesses() const;

	void setEnv(const std::map<std::string, std::string> &env) { env_ = env; }

	/*
	 * For a suite's .fini: a failed assert skips destructors, so this stops
	 * the test's daemon and removes its cgroup sub-tree anyway.
	 */
	static void atTestEnd();

private:
	TempDir dir_;
	std::string stateDir_, socket_, configPath_, logPath_;
	std::map<std::string, std::string> env_;
	unsigned uidFirst_;
	pid_t pid_ = -1;
};

/* A test user: uid in a range of its own, primary group "users" (may use the socket). */
uid_t testUser(int n);
inline constexpr gid_t kUsersGid = 100;

class VarlinkClient
{
public:
	explicit VarlinkClient(const std::string &socket);
	~VarlinkClient();
	bool connected() const { return fd_ >= 0; }

	Reply call(const std::string &method, const Json &params = Json::object());
	/* Collect replies until one without continues (or the connection ends). */
	std::vector<Reply> callMore(const std::string &method, const Json &params);

	void sendRaw(const std::string &bytes);
	/* The next reply, or nullopt on timeout or when the peer closed. */
	std::optional<Reply> read(int timeoutMs = 10000);
	/* Did the daemon hang up on us (within timeoutMs)? */
	bool closedByPeer(int timeoutMs);

private:
	int fd_ = -1;
	std::string buf_;
};

/* Call as another uid (forks; the child drops to uid/gid and connects). */
Reply callAs(uid_t uid, const std::string &socket, const std::string &method,
	     const Json &params = Json::object());

/* Submit argv (runs N) as root; returns the job id or fails the test. */
int64_t submitJob(const std::string &socket, const std::vector<std::string> &argv, int runs = 1,
		  const Json &extra = Json::object());
/* Poll Status until the job's state is terminal; returns the job object. */
Json waitJob(const std::string &socket, int64_t id, int timeoutMs = 60000);
/* Poll until `pred(job)` holds; returns the last job object. */
Json waitFor(const std::string &socket, int64_t id, const std::function<bool(const Json &)> &pred,
	     int timeoutMs = 60000);
/* All of a run's stream, decoded. */
std::string fetchLogs(const std::string &socket, int64_t id, int run = 0, const std::string &stream = "stdout");

bool isTerminal(const std::string &state);

} /* namespace benchd::test */
