/* SPDX-License-Identifier: MIT */
/*
 * Varlink calls -> the supervisor. Parameters are checked here (naming
 * the one that is wrong); identity is the peer's uid, never a field.
 */
#include "api.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/fs.hpp"
#include "log.hpp"

namespace benchd::daemon {

using protocol::Json;

namespace {

constexpr size_t kLogChunk = 256 * 1024;
/* A stream reads ahead only while the client has less than this queued. */
constexpr size_t kLogBacklog = 1 << 20;

template<typename T>
bool sendIfError(const ApiResult<T> &r, Responder &responder)
{
	if (auto *e = std::get_if<ApiError>(&r)) {
		responder.error(e->name, e->parameters);
		return true;
	}
	return false;
}

void invalid(Responder &responder, const protocol::InvalidArgument &bad)
{
	responder.error(protocol::errors::kInvalidArgument, bad.toJson());
}

/*
 * One Logs call: read the run's file from an offset and send it in
 * chunks; with `follow`, keep going as the run writes, until it ended
 * and everything was sent.
 */
class LogStream : public std::enable_shared_from_this<LogStream>
{
public:
	LogStream(Supervisor &sup, Loop &loop, std::shared_ptr<Responder> responder,
		  Supervisor::LogTarget target, protocol::LogsParams params)
		: sup_(sup), responder_(std::move(responder)), target_(std::move(target)),
		  params_(std::move(params)), offset_(params_.offset),
		  buf_(std::make_shared<std::string>(kLogChunk, '\0')), op_(loop)
	{
	}

	~LogStream()
	{
		if (token_)
			sup_.unfollow(target_.runId, token_);
	}

	void start()
	{
		/* A stream lives until it ends, even while it waits for the client or the run. */
		self_ = shared_from_this();
		if (params_.follow && responder_->wantsMore()) {
			std::weak_ptr<LogStream> weak = shared_from_this();
			token_ = sup_.follow(target_.runId, [weak] {
				if (auto self = weak.lock())
					self->next();
			});
		}
		next();
	}

private:
	void next()
	{
		if (responder_->done())
			return;
		if (op_.pending()) {
			/* News while a read is in flight: look again once it completes. */
			wake_ = true;
			return;
		}
		wake_ = false;
		if (!responder_->connected()) {
			end();
			return;
		}
		if (responder_->backlog() >= kLogBacklog) {
			std::weak_ptr<LogStream> weak = shared_from_this();
			responder_->whenBacklogBelow(kLogBacklog / 2, [weak] {
				if (auto self = weak.lock())
					self->next();
			});
			return;
		}
		/* Is the run over? Asked before reading, so this read sees its last bytes. */
		over_ = sup_.runOver(target_.runId);
		if (!file_) {
			auto fd = openAt(AT_FDCWD, target_.path, O_RDONLY);
			if (!fd) {
				/* No file yet: the run has not started. */
				atEnd();
				return;
			}
			file_ = std::make_shared<UniqueFd>(std::move(*fd));
		}
		auto keep = file_;
		auto self = shared_from_this();
		op_.read(file_->get(), buf_, 0, kLogChunk, offset_, [self, keep](int res) { self->onRead(res); });
	}

	void onRead(int res)
	{
		if (res < 0) {
			responder_->error(protocol::errors::kInternal,
					  { { "reason", "read " + target_.path + ": " + strerror(-res) } });
			end();
			return;
		}
		if (res == 0) {
			atEnd();
			return;
		}
		offset_ += static_cast<uint64_t>(res);
		Json chunk = { { "data", protocol::base64Encode(std::string_view(buf_->data(), static_cast<size_t>(res))) },
			       { "offset", offset_ },
			       { "eof", false },
			       { "truncated", target_.truncated },
			       { "run_id", target_.runId },
			       { "attempt", target_.attempt } };
		if (!responder_->wantsMore()) {
			/* One reply only: it is the last one if the run is over and the file read to its end. */
			struct stat st;
			chunk["eof"] = over_ && ::fstat(file_->get(), &st) == 0 &&
				       offset_ >= static_cast<uint64_t>(st.st_size);
			responder_->reply(chunk);
			end();
			return;
		}
		responder_->partial(chunk);
		next();
	}

	/* Everything written so far was sent. */
	void atEnd()
	{
		if (!over_ && params_.follow && responder_->wantsMore()) {
			/* Wait for the run to write more or end, unless it did during that read. */
			if (wake_)
				next();
			return;
		}
		responder_->reply({ { "data", "" }, { "offset", offset_ }, { "eof", over_ }, { "truncated", target_.truncated },
				    { "run_id", target_.runId }, { "attempt", target_.attempt } });
		end();
	}

	void end()
	{
		if (token_) {
			sup_.unfollow(target_.runId, token_);
			token_ = 0;
		}
		/* Released after this callback returns (the loop holds `self` meanwhile). */
		self_.reset();
	}

	Supervisor &sup_;
	std::shared_ptr<Responder> responder_;
	Supervisor::LogTarget target_;
	protocol::LogsParams params_;
	uint64_t offset_;
	Buffer buf_;
	Op op_;
	std::shared_ptr<UniqueFd> file_;
	uint64_t token_ = 0;
	bool over_ = false;
	bool wake_ = false;
	std::shared_ptr<LogStream> self_;
};

} /* namespace */

Api::Api(Supervisor &supervisor, Loop &loop) : sup_(supervisor), loop_(loop) {}

void Api::handle(const Peer &peer, protocol::Call call, std::shared_ptr<Responder> r)
{
	const std::string &m = call.method;
	const Json &p = call.parameters;
	static const std::string ours = std::string(protocol::kInterface) + ".";

	if (m == "org.varlink.service.GetInfo") {
		r->reply({ { "vendor", "benchd" }, { "product", "benchd" }, { "version", BENCHD_VERSION },
			   { "url", "https://benchd.invalid" },
			   { "interfaces", { "org.varlink.service", protocol::kInterface } } });
		return;
	}
	if (m == "org.varlink.service.GetInterfaceDescription") {
		std::string iface = p.value("interface", "");
		if (iface == protocol::kInterface)
			r->reply({ { "description", protocol::interfaceDescription() } });
		else
			r->error(protocol::errors::kInterfaceNotFound, { { "interface", iface } });
		return;
	}
	if (m.compare(0, ours.size(), ours) != 0) {
		std::string iface = m.substr(0, m.rfind('.'));
		r->error(protocol::errors::kInterfaceNotFound, { { "interface", iface } });
		return;
	}
	std::string method = m.substr(ours.size());
	if (method == "Submit")
		return submit(peer, p, r);
	if (method == "Logs")
		return logs(peer, call, r);
	if (method == "List") {
		std::optional<std::string> state;
		if (p.contains("state") && p["state"].is_string())
			state = p["state"].get<std::string>();
		bool all = p.value("all", false);
		int64_t limit = p.contains("limit") && p["limit"].is_number_integer() ? p["limit"].get<int64_t>() : 100;
		auto res = sup_.list(peer, state, all, std::clamp<int64_t>(limit, 1, 100000));
		if (!sendIfError(res, *r))
			r->reply(std::get<Json>(res));
		return;
	}
	if (method == "Status" || method == "Cancel" || method == "Retry") {
		auto id = protocol::parseJobId(p);
		if (auto *bad = std::get_if<protocol::InvalidArgument>(&id))
			return invalid(*r, *bad);
		int64_t job = std::get<int64_t>(id);
		auto res = method == "Status" ? sup_.status(peer, job)
			 : method == "Cancel" ? sup_.cancel(peer, job)
					      : sup_.retry(peer, job);
		if (!sendIfError(res, *r))
			r->reply({ { "job", std::get<Json>(res) } });
		return;
	}
	r->error(protocol::errors::kMethodNotFound, { { "method", m } });
}

void Api::submit(const Peer &peer, const Json &p, std::shared_ptr<Responder> r)
{
	auto params = protocol::parseSubmit(p);
	if (auto *bad = std::get_if<protocol::InvalidArgument>(&params))
		return invalid(*r, *bad);
	sup_.submit(peer, std::get<protocol::SubmitParams>(params), [r](ApiResult<int64_t> res) {
		if (!sendIfError(res, *r))
			r->reply({ { "id", std::get<int64_t>(res) } });
	});
}

void Api::logs(const Peer &peer, const protocol::Call &call, std::shared_ptr<Responder> r)
{
	auto params = protocol::parseLogs(call.parameters);
	if (auto *bad = std::get_if<protocol::InvalidArgument>(&params))
		return invalid(*r, *bad);
	auto &lp = std::get<protocol::LogsParams>(params);
	if (lp.follow && !call.more) {
		r->error(protocol::errors::kExpectedMore, {});
		return;
	}
	auto target = sup_.logTarget(peer, lp.id, lp.run, lp.stream);
	if (sendIfError(target, *r))
		return;
	auto stream = std::make_shared<LogStream>(sup_, loop_, r, std::get<Supervisor::LogTarget>(target), lp);
	stream->start();
}

} /* namespace benchd::daemon */
