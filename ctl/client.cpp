/* SPDX-License-Identifier: MIT */
#include "client.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>

namespace benchd::ctl {

namespace {

/* Replies carry whole job views and 256 KiB log chunks in base64. */
constexpr size_t kMaxReply = 64 << 20;

using Clock = std::chrono::steady_clock;

/* Milliseconds left until `deadline` for poll(2); -1 waits for ever. */
int msLeft(const std::optional<Clock::time_point> &deadline)
{
	if (!deadline)
		return -1;
	auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
	return left > 0 ? static_cast<int>(left) : 0;
}

std::optional<Clock::time_point> deadlineIn(int timeoutMs)
{
	if (timeoutMs < 0)
		return std::nullopt;
	return Clock::now() + std::chrono::milliseconds(timeoutMs);
}

/* Wait for `events` on fd; ETIMEDOUT when the deadline passes. */
Status waitFor(int fd, short events, const std::optional<Clock::time_point> &deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		int n = ::poll(&p, 1, msLeft(deadline));
		if (n > 0)
			return {};
		if (n == 0)
			return Error(ETIMEDOUT, "waiting for benchd");
		if (errno != EINTR)
			return Error::fromErrno("poll");
	}
}

} /* namespace */

Client::Client(UniqueFd fd, std::string path)
	: fd_(std::move(fd)), path_(std::move(path)), reader_(kMaxReply)
{
}

Result<Client> Client::connect(const std::string &path, int timeoutMs)
{
	const std::string what = "cannot reach benchd at " + path;
	struct sockaddr_un addr = {};
	addr.sun_family = AF_UNIX;
	if (path.empty() || path.size() >= sizeof(addr.sun_path))
		return Error(path.empty() ? ENOENT : ENAMETOOLONG, what);
	std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

	UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (!fd)
		return Error::fromErrno(what);
	auto deadline = deadlineIn(timeoutMs);
	for (;;) {
		if (::connect(fd.get(), reinterpret_cast<struct sockaddr *>(&addr), sizeof(addr)) == 0)
			break;
		/* A Unix socket says EAGAIN, not EINPROGRESS, when the listen backlog is full. */
		if (errno == EAGAIN && msLeft(deadline) != 0) {
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EINPROGRESS)
			return Error::fromErrno(what);
		if (auto s = waitFor(fd.get(), POLLOUT, deadline); !s)
			return std::move(s).error().wrap(what);
		int err = 0;
		socklen_t len = sizeof(err);
		if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return Error::fromErrno(what);
		if (err != 0)
			return Error(err, what);
		break;
	}
	return Client(std::move(fd), path);
}

Status Client::send(const protocol::Call &call, int timeoutMs)
{
	const std::string message = protocol::encodeCall(call);
	auto deadline = deadlineIn(timeoutMs);
	size_t off = 0;
	while (off < message.size()) {
		ssize_t n = ::send(fd_.get(), message.data() + off, message.size() - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += static_cast<size_t>(n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (auto s = waitFor(fd_.get(), POLLOUT, deadline); !s)
				return std::move(s).error().wrap("send to benchd at " + path_);
			continue;
		}
		return Error::fromErrno("send to benchd at " + path_);
	}
	return {};
}

Result<Reply> Client::next(int timeoutMs)
{
	auto deadline = deadlineIn(timeoutMs);
	while (readyPos_ == ready_.size()) {
		if (auto s = waitFor(fd_.get(), POLLIN, deadline); !s)
			return std::move(s).error().wrap("no reply from benchd at " + path_);
		char buf[65536];
		ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return Error::fromErrno("receive from benchd at " + path_);
		if (n == 0)
			return Error(ECONNRESET, "benchd at " + path_ + " closed the connection");
		auto messages = reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
		if (!messages)
			return std::move(messages).error().wrap("reply from benchd at " + path_);
		ready_ = std::move(*messages);
		readyPos_ = 0;
	}
	auto reply = protocol::parseReply(ready_[readyPos_++]);
	if (!reply)
		return std::move(reply).error().wrap("reply from benchd at " + path_);
	return reply;
}

Result<Reply> Client::call(std::string_view method, const Json &parameters, int timeoutMs)
{
	if (auto s = send({ std::string(method), parameters }, timeoutMs); !s)
		return std::move(s).error();
	auto reply = next(timeoutMs);
	if (reply && reply->continues)
		return Error(EPROTO, "benchd at " + path_ + " sent more than one reply to " + std::string(method));
	return reply;
}

Result<Reply> Client::callMore(std::string_view method, const Json &parameters, const OnReply &onReply,
			       int timeoutMs)
{
	if (auto s = send({ std::string(method), parameters, true }, timeoutMs); !s)
		return std::move(s).error();
	return more(onReply, timeoutMs);
}

Result<Reply> Client::more(const OnReply &onReply, int timeoutMs)
{
	for (;;) {
		auto reply = next(timeoutMs);
		if (!reply || !reply->error.empty())
			return reply;
		if (auto s = onReply(*reply); !s)
			return std::move(s).error();
		if (!reply->continues)
			return reply;
	}
}

bool isConnectionLoss(const Error &error)
{
	switch (error.code()) {
	case ECONNRESET:
	case ECONNREFUSED:
	case ECONNABORTED:
	case EPIPE:
	case ENOENT: /* the socket is gone while the daemon restarts */
	case EAGAIN:
		return true;
	default:
		return false;
	}
}

} /* namespace benchd::ctl */
