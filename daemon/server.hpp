/* SPDX-License-Identifier: MIT */
/*
 * The Varlink socket: accept clients, read NUL-framed calls, hand each to
 * the handler with a Responder, queue replies, and drop clients that
 * misbehave (oversized or malformed messages, a half-sent message left
 * hanging, a reply backlog they never read) without disturbing anyone
 * else. Calls of one client are answered in order, one at a time, as
 * Varlink requires.
 */
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "base/unique_fd.hpp"
#include "loop.hpp"
#include "protocol/varlink.hpp"

namespace benchd::daemon {

/* Who is on the other end, from the kernel (SO_PEERCRED / SO_PEERGROUPS). */
struct Peer {
	uid_t uid = 0;
	gid_t gid = 0;
	pid_t pid = 0;
	std::vector<gid_t> groups;
	bool inGroup(gid_t g) const;
};

class Client;

/* Answers one call; can outlive the call's handler (async replies, streams). */
class Responder
{
public:
	Responder(std::weak_ptr<Client> client, bool more, bool oneway);
	~Responder();

	bool wantsMore() const { return more_; }
	bool connected() const;
	bool done() const { return done_; }

	/* A reply with continues=true (only when the caller asked for more). */
	void partial(const protocol::Json &parameters);
	/* The final reply, or an error. */
	void reply(const protocol::Json &parameters = protocol::Json::object());
	void error(const std::string &name, const protocol::Json &parameters = protocol::Json::object());

	/* Bytes queued for the client and not yet sent (flow control for streams). */
	size_t backlog() const;
	/* Called once when the client's backlog falls below `bytes` (or it goes away). */
	void whenBacklogBelow(size_t bytes, std::function<void()> cb);

private:
	void send(std::string message, bool final);

	std::weak_ptr<Client> client_;
	bool more_;
	bool oneway_;
	bool done_ = false;
};

struct ServerLimits {
	size_t maxMessage = 1 << 20;
	size_t maxBacklog = 16 << 20;
	size_t maxClients = 1024;
	uint64_t clientTimeoutMs = 30000;
	size_t maxPendingCalls = 64;
};

class Server
{
public:
	using Handler = std::function<void(const Peer &, protocol::Call, std::shared_ptr<Responder>)>;

	Server(Loop &loop, ServerLimits limits, Handler handler);
	~Server();

	/* Listen at `path` (mode 0660, group `gid`), or adopt an inherited socket. */
	Status listen(const std::string &path, gid_t gid);
	void adopt(UniqueFd fd);

	void setLimits(const ServerLimits &limits) { limits_ = limits; }
	size_t clients() const { return clients_.size(); }
	uint64_t dropped() const { return dropped_; }

private:
	friend class Client;
	void acceptNext();
	void remove(Client *client, const char *why);

	Loop &loop_;
	ServerLimits limits_;
	Handler handler_;
	UniqueFd listen_;
	Op acceptOp_;
	Op retryOp_;
	std::map<Client *, std::shared_ptr<Client>> clients_;
	uint64_t dropped_ = 0;
};

} /* namespace benchd::daemon */
