/* SPDX-License-Identifier: MIT */
#include "server.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "protocol/supervisor.hpp"

namespace benchd::daemon {

bool Peer::inGroup(gid_t g) const
{
	return gid == g || std::find(groups.begin(), groups.end(), g) != groups.end();
}

/* One connection. Owned by the Server; Responders hold weak references. */
class Client : public std::enable_shared_from_this<Client>
{
public:
	Client(Server &server, UniqueFd fd, Peer peer)
		: server_(server), fd_(std::move(fd)), peer_(std::move(peer)),
		  reader_(server.limits_.maxMessage), recvBuf_(std::make_shared<std::string>(65536, '\0')),
		  recvOp_(server.loop_), sendOp_(server.loop_), timerOp_(server.loop_)
	{
	}

	void start() { receive(); }
	void queue(std::string message);
	void callDone();
	size_t backlog() const { return backlog_; }
	void whenBacklogBelow(size_t bytes, std::function<void()> cb);
	void close(const char *why);
	bool closed() const { return closed_; }

private:
	void receive();
	void onMessages(std::vector<std::string> messages);
	void dispatchNext();
	void sendNext();
	void checkWaiters();
	void protocolError(const std::string &reason);

	Server &server_;
	UniqueFd fd_;
	Peer peer_;
	protocol::MessageReader reader_;
	Buffer recvBuf_;
	Op recvOp_;
	Op sendOp_;
	Op timerOp_;
	std::deque<protocol::Call> calls_;
	bool inCall_ = false;
	bool eof_ = false;
	bool closed_ = false;
	std::deque<Buffer> sendQueue_;
	size_t sendOffset_ = 0;
	size_t backlog_ = 0;
	std::vector<std::pair<size_t, std::function<void()>>> waiters_;
};

void Client::receive()
{
	recvOp_.recv(fd_.get(), recvBuf_, recvBuf_->size(), [this](int res) {
		if (res == -EINTR || res == -EAGAIN) {
			receive();
			return;
		}
		if (res < 0) {
			close("receive failed");
			return;
		}
		if (res == 0) {
			eof_ = true;
			if (!inCall_ && calls_.empty() && sendQueue_.empty())
				close(nullptr);
			return;
		}
		auto messages = reader_.feed(std::string_view(recvBuf_->data(), static_cast<size_t>(res)));
		if (!messages) {
			protocolError(messages.error().message());
			return;
		}
		/* A message left half-sent for too long drops the client. */
		if (reader_.pending() == 0)
			timerOp_.cancel();
		else if (!timerOp_.pending())
			timerOp_.timeout(server_.limits_.clientTimeoutMs, [this](int r) {
				if (r == -ETIME)
					close("a message stayed incomplete too long");
			});
		onMessages(std::move(*messages));
		if (!closed_)
			receive();
	});
}

void Client::onMessages(std::vector<std::string> messages)
{
	for (auto &m : messages) {
		auto call = protocol::parseCall(m);
		if (!call) {
			protocolError(call.error().message());
			return;
		}
		if (calls_.size() >= server_.limits_.maxPendingCalls) {
			protocolError("more than " + std::to_string(server_.limits_.maxPendingCalls) +
				      " calls waiting for replies");
			return;
		}
		calls_.push_back(std::move(*call));
	}
	dispatchNext();
}

void Client::protocolError(const std::string &reason)
{
	queue(protocol::encodeError(protocol::errors::kInvalidArgument,
				    { { "parameter", "message" }, { "reason", reason } }));
	/* Let that one reply go out, then hang up. */
	eof_ = true;
	calls_.clear();
	recvOp_.cancel();
	timerOp_.cancel();
	if (!inCall_ && sendQueue_.empty())
		close("protocol error");
}

void Client::dispatchNext()
{
	while (!inCall_ && !calls_.empty() && !closed_) {
		protocol::Call call = std::move(calls_.front());
		calls_.pop_front();
		bool oneway = call.oneway;
		inCall_ = !oneway;
		auto responder = std::make_shared<Responder>(weak_from_this(), call.more, oneway);
		server_.handler_(peer_, std::move(call), responder);
	}
}

void Client::callDone()
{
	inCall_ = false;
	if (eof_ && calls_.empty() && sendQueue_.empty()) {
		close(nullptr);
		return;
	}
	/* Not from inside the handler that just replied: avoid deep recursion. */
	auto self = weak_from_this();
	server_.loop_.defer([self] {
		if (auto c = self.lock())
			c->dispatchNext();
	});
}

void Client::queue(std::string message)
{
	if (closed_)
		return;
	backlog_ += message.size();
	if (backlog_ > server_.limits_.maxBacklog) {
		close("it does not read its replies");
		return;
	}
	sendQueue_.push_back(std::make_shared<std::string>(std::move(message)));
	if (!sendOp_.pending())
		sendNext();
}

void Client::sendNext()
{
	if (sendQueue_.empty()) {
		if (eof_ && !inCall_ && calls_.empty())
			close(nullptr);
		return;
	}
	Buffer front = sendQueue_.front();
	size_t off = sendOffset_;
	sendOp_.send(fd_.get(), front, off, front->size() - off, [this](int res) {
		if (res == -EINTR || res == -EAGAIN) {
			sendNext();
			return;
		}
		if (res <= 0) {
			close("send failed");
			return;
		}
		sendOffset_ += static_cast<size_t>(res);
		backlog_ -= static_cast<size_t>(res);
		if (sendOffset_ == sendQueue_.front()->size()) {
			sendQueue_.pop_front();
			sendOffset_ = 0;
		}
		checkWaiters();
		if (!closed_)
			sendNext();
	});
}

void Client::whenBacklogBelow(size_t bytes, std::function<void()> cb)
{
	if (backlog_ < bytes || closed_) {
		server_.loop_.defer(std::move(cb));
		return;
	}
	waiters_.emplace_back(bytes, std::move(cb));
}

void Client::checkWaiters()
{
	for (size_t i = 0; i < waiters_.size();) {
		if (backlog_ < waiters_[i].first) {
			server_.loop_.defer(std::move(waiters_[i].second));
			waiters_.erase(waiters_.begin() + static_cast<long>(i));
		} else {
			i++;
		}
	}
}

void Client::close(const char *why)
{
	if (closed_)
		return;
	closed_ = true;
	recvOp_.cancel();
	sendOp_.cancel();
	timerOp_.cancel();
	for (auto &w : waiters_)
		server_.loop_.defer(std::move(w.second));
	waiters_.clear();
	server_.remove(this, why);
}

Responder::Responder(std::weak_ptr<Client> client, bool more, bool oneway)
	: client_(std::move(client)), more_(more), oneway_(oneway)
{
}

Responder::~Responder()
{
	/* A handler that forgot to answer must not leave the client hanging. */
	if (!done_ && !oneway_)
		error(protocol::errors::kInternal, { { "reason", "the call ended without a reply" } });
}

bool Responder::connected() const
{
	auto c = client_.lock();
	return c && !c->closed();
}

void Responder::send(std::string message, bool final)
{
	if (done_)
		return;
	if (final)
		done_ = true;
	if (oneway_)
		return;
	auto c = client_.lock();
	if (!c)
		return;
	c->queue(std::move(message));
	if (final)
		c->callDone();
}

void Responder::partial(const protocol::Json &parameters)
{
	send(protocol::encodeReply(parameters, more_), !more_);
}

void Responder::reply(const protocol::Json &parameters)
{
	send(protocol::encodeReply(parameters, false), true);
}

void Responder::error(const std::string &name, const protocol::Json &parameters)
{
	send(protocol::encodeError(name, parameters), true);
}

size_t Responder::backlog() const
{
	auto c = client_.lock();
	return c ? c->backlog() : 0;
}

void Responder::whenBacklogBelow(size_t bytes, std::function<void()> cb)
{
	if (auto c = client_.lock())
		c->whenBacklogBelow(bytes, std::move(cb));
}

Server::Server(Loop &loop, ServerLimits limits, Handler handler)
	: loop_(loop), limits_(limits), handler_(std::move(handler)), acceptOp_(loop), retryOp_(loop)
{
}

Server::~Server()
{
	acceptOp_.cancel();
	retryOp_.cancel();
	for (auto &[ptr, client] : clients_)
		client->close(nullptr);
}

Status Server::listen(const std::string &path, gid_t gid)
{
	UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (!fd)
		return Error::fromErrno("socket");
	struct sockaddr_un addr = {};
	addr.sun_family = AF_UNIX;
	if (path.size() >= sizeof(addr.sun_path))
		return Error::invalid("socket path too long: " + path);
	std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	/* A stale socket from an earlier run; the instance lock says nobody is using it. */
	struct stat st;
	if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
		::unlink(path.c_str());
	if (::bind(fd.get(), reinterpret_cast<struct sockaddr *>(&addr), sizeof(addr)) < 0)
		return Error::fromErrno("bind " + path);
	if (::chown(path.c_str(), 0, gid) < 0 || ::chmod(path.c_str(), 0660) < 0)
		return Error::fromErrno("set owner and mode of " + path);
	if (::listen(fd.get(), 256) < 0)
		return Error::fromErrno("listen on " + path);
	adopt(std::move(fd));
	return {};
}

void Server::adopt(UniqueFd fd)
{
	listen_ = std::move(fd);
	acceptNext();
}

namespace {

Peer peerOf(int fd)
{
	Peer p;
	struct ucred cred = {};
	socklen_t len = sizeof(cred);
	if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		p.uid = cred.uid;
		p.gid = cred.gid;
		p.pid = cred.pid;
	} else {
		/* Unknown peer: treat as nobody. */
		p.uid = p.gid = 65534;
	}
	std::vector<gid_t> groups(64);
	len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
	if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) < 0 && errno == ERANGE) {
		groups.resize(len / sizeof(gid_t));
		if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) < 0)
			len = 0;
	}
	groups.resize(len / sizeof(gid_t));
	p.groups = std::move(groups);
	return p;
}

} /* namespace */

void Server::acceptNext()
{
	acceptOp_.accept(listen_.get(), [this](int res) {
		if (res >= 0) {
			UniqueFd fd(res);
			if (clients_.size() >= limits_.maxClients) {
				dropped_++;
			} else {
				auto client = std::make_shared<Client>(*this, std::move(fd), peerOf(res));
				clients_[client.get()] = client;
				client->start();
			}
		}
		if (res < 0 && res != -EINTR && res != -ECONNABORTED) {
			/* EMFILE and friends: back off instead of spinning; the backlog waits. */
			retryOp_.timeout(100, [this](int) { acceptNext(); });
			return;
		}
		acceptNext();
	});
}

void Server::remove(Client *client, const char *why)
{
	auto it = clients_.find(client);
	if (it == clients_.end())
		return;
	if (why)
		dropped_++;
	/* Destroyed after the batch: we may be inside one of its callbacks. */
	loop_.defer([keep = std::move(it->second)] {});
	clients_.erase(it);
}

} /* namespace benchd::daemon */
