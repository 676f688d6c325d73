/* SPDX-License-Identifier: MIT */
/*
 * What the benchctl tests need around the binary: a real benchd of
 * their own, a fake one that follows a script (to break connections on
 * purpose), raw Varlink calls to compare against, and a way to watch
 * benchctl's stdout as it arrives.
 */
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "protocol/varlink.hpp"
#include "support.hpp"

namespace benchd::test {

using protocol::Json;

/*
 * A benchd for one test (Criterion forks each): its own state dir,
 * socket, uid range and cgroup sub-tree. Dies with the test process.
 */
class Daemon
{
public:
	/* `config` is TOML appended to the test's own keys (sections not used there). */
	explicit Daemon(const std::string &config = "");
	~Daemon();
	Daemon(const Daemon &) = delete;
	Daemon &operator=(const Daemon &) = delete;

	const std::string &socket() const { return socket_; }
	std::string log() const;
	void stop();

	/*
	 * For TestSuite's .fini: a failed assert leaves the test without
	 * running destructors; stop the test's daemon and remove its cgroups.
	 */
	static void atTestEnd();

private:
	TempDir dir_;
	std::string socket_;
	std::string cgroupName_;
	pid_t pid_ = -1;
};

/* benchctl --socket SOCKET ARGS... */
CommandResult benchctl(const std::string &socket, const std::vector<std::string> &args,
		       const RunOptions &options = {});
std::string benchctlPath();

/* One call on a fresh connection, for comparing with what benchctl prints. */
protocol::Reply rawCall(const std::string &socket, const std::string &method, const Json &params);

/* Status of `id` until its state is terminal; returns the job. */
Json waitForJob(const std::string &socket, int64_t id, int timeoutMs = 60000);

/* benchctl's stdout chunk by chunk, with when each arrived (ms after start). */
struct Streamed {
	std::string out;
	std::string err;
	std::vector<std::pair<long, std::string>> chunks;
	int code = -1;
	long elapsedMs = 0;
};
Streamed streamBenchctl(const std::string &socket, const std::vector<std::string> &args,
			int timeoutMs = 60000);

/*
 * A fake benchd: accepts connections one after another and hands each
 * call to `serve`, which answers with raw messages (encodeReply/encodeError)
 * or closes the connection by returning false.
 */
class FakeDaemon
{
public:
	using Serve = std::function<bool(int connection, const protocol::Call &call, int fd)>;
	FakeDaemon(const std::string &socket, Serve serve);
	~FakeDaemon();

private:
	int listenFd_ = -1;
	std::thread thread_;
};

/* Write all of `message` to fd. */
void sendRaw(int fd, const std::string &message);

} /* namespace benchd::test */
