/* SPDX-License-Identifier: MIT */
/*
 * A small blocking Varlink client: one connection, one call at a time.
 *
 * Two kinds of failure, kept apart because benchctl exits differently:
 * an Error (the connection or the bytes on it went wrong) and a Reply
 * whose `error` is set (the daemon understood and refused). Library
 * code: it never prints.
 */
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "protocol/varlink.hpp"

namespace benchd::ctl {

using protocol::Json;
using protocol::Reply;

class Client
{
public:
	static constexpr int kConnectTimeoutMs = 5000;
	/* Submit is durable before its reply: allow a slow fsync. */
	static constexpr int kReplyTimeoutMs = 60000;
	static constexpr int kNoTimeout = -1;

	/*
	 * Errors read "cannot reach benchd at PATH: <errno>". A daemon whose
	 * listen backlog is full is waited for, up to the timeout.
	 */
	static Result<Client> connect(const std::string &path, int timeoutMs = kConnectTimeoutMs);

	/* One call, one reply. */
	Result<Reply> call(std::string_view method, const Json &parameters,
			   int timeoutMs = kReplyTimeoutMs);

	/*
	 * A call with `more`: `onReply` sees every successful reply in order
	 * (the last one too) and may stop the stream by failing. Returns the
	 * last reply, or the daemon's error reply. `timeoutMs` bounds the wait
	 * for each reply, not the whole stream.
	 */
	using OnReply = std::function<Status(const Reply &)>;
	Result<Reply> callMore(std::string_view method, const Json &parameters, const OnReply &onReply,
			       int timeoutMs = kReplyTimeoutMs);

	/*
	 * Go on reading the replies of the call callMore started, after it
	 * returned ETIMEDOUT: a quiet stream is not a broken one.
	 */
	Result<Reply> more(const OnReply &onReply, int timeoutMs = kReplyTimeoutMs);

	const std::string &path() const { return path_; }

private:
	Client(UniqueFd fd, std::string path);

	Status send(const protocol::Call &call, int timeoutMs);
	Result<Reply> next(int timeoutMs);

	UniqueFd fd_;
	std::string path_;
	protocol::MessageReader reader_;
	std::vector<std::string> ready_; /* messages read but not handed out yet */
	size_t readyPos_ = 0;
};

/* Did the connection go away (worth reconnecting), rather than speak nonsense? */
bool isConnectionLoss(const Error &error);

} /* namespace benchd::ctl */
