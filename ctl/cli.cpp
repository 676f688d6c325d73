/* SPDX-License-Identifier: MIT */
#include "cli.hpp"

#include <chrono>
#include <cstdio>
#include <limits>
#include <thread>

#include "base/units.hpp"
#include "format.hpp"
#include "protocol/supervisor.hpp"

namespace benchd::ctl {

namespace {

std::string field(const Json &parameters, const char *key)
{
	auto it = parameters.find(key);
	if (it == parameters.end() || it->is_null())
		return "?";
	return it->is_string() ? it->get<std::string>() : it->dump();
}

} /* namespace */

int reconnectDelayMs(int n)
{
	return std::min(100 << std::min(n, 5), 2000);
}

void printHelp(const Help &help)
{
	std::printf("Usage: benchctl [--socket PATH] %s\n\n%s\nOptions:\n%s"
		    "  -h, --help           show this help\n\nExit status:\n%s"
		    "  2  a bad option or value; nothing was sent to benchd\n"
		    "  3  benchd could not be reached, or the connection broke\n\nExamples:\n%s",
		    help.synopsis, help.description, help.options, help.exitStatus, help.examples);
}

int fail(int code, std::string_view message)
{
	std::fprintf(stderr, "benchctl: %.*s\n", static_cast<int>(message.size()), message.data());
	return code;
}

void note(std::string_view message)
{
	fail(kExitOk, message);
}

int badOption(const char *command, int opt, char **argv)
{
	/* getopt_long leaves the offending word just before optind. */
	std::string word = argv[optind - 1];
	if (optopt > 0 && optopt < 128 && word.rfind("--", 0) != 0)
		word = std::string("-") + static_cast<char>(optopt);
	std::string problem = opt == ':' ? "option '" + word + "' needs a value" : "unknown option '" + word + "'";
	std::string cmd = command ? std::string(command) : "";
	return fail(kExitUsage, (cmd.empty() ? "" : cmd + ": ") + problem + " (see benchctl " +
					(cmd.empty() ? "" : cmd + " ") + "--help)");
}

Result<int64_t> parseJobId(std::string_view text)
{
	auto id = parseCount(text, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "job id");
	if (!id)
		return std::move(id).error();
	if (*id == 0)
		return Error::invalid("invalid job id '0': job ids start at 1");
	return static_cast<int64_t>(*id);
}

std::string method(std::string_view name)
{
	return std::string(protocol::kInterface) + "." + std::string(name);
}

Result<Reply> Session::callOnce(std::string_view name, const Json &parameters, bool &connectFailed)
{
	connectFailed = false;
	if (!client_) {
		auto c = Client::connect(ctx_.socket);
		if (!c) {
			connectFailed = true;
			return std::move(c).error();
		}
		client_.emplace(std::move(*c));
	}
	auto reply = client_->call(method(name), parameters);
	if (!reply)
		client_.reset();
	return reply;
}

std::optional<Json> Session::call(std::string_view name, const Json &parameters, Retry retry)
{
	const int tries = retry == Retry::Never ? 1 : kReconnectTries;
	for (int attempt = 0;; attempt++) {
		bool connectFailed;
		auto reply = callOnce(name, parameters, connectFailed);
		if (reply && reply->error.empty())
			return std::move(reply->parameters);
		if (reply) {
			exit_ = refused(*reply);
			return std::nullopt;
		}
		if (attempt + 1 >= tries || !isConnectionLoss(reply.error())) {
			exit_ = connectFailed ? unreachable(reply.error()) : lost(reply.error());
			return std::nullopt;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(reconnectDelayMs(attempt + 1)));
	}
}

int unreachable(const Error &error)
{
	const char *hint = error.code() == EACCES || error.code() == EPERM
				   ? " (is your user in benchd's socket_group? set BENCHD_SOCKET or --socket)"
				   : " (is benchd running? set BENCHD_SOCKET or --socket)";
	return fail(kExitUnreachable, error.message() + hint);
}

int lost(const Error &error)
{
	return fail(kExitUnreachable, error.message());
}

int refused(const Reply &reply)
{
	namespace e = protocol::errors;
	const Json &p = reply.parameters;
	const std::string &name = reply.error;
	const std::string job = "job " + field(p, "id");
	if (name == e::kJobNotFound)
		return fail(kExitFailed, job + " not found");
	if (name == e::kPermissionDenied)
		return fail(kExitFailed, job + " belongs to another user");
	if (name == e::kQueueFull)
		return fail(kExitFailed, field(p, "reason"));
	if (name == e::kInvalidArgument)
		return fail(kExitFailed, "invalid " + field(p, "parameter") + ": " + field(p, "reason"));
	if (name == e::kAlreadyFinished)
		return fail(kExitFailed, job + " already finished (" + field(p, "state") + ")");
	if (name == e::kNotRetryable) {
		std::string state = field(p, "state");
		return fail(kExitFailed, job + " cannot be retried: " +
						 (isTerminalState(state) ? "every run completed"
									 : "it is still " + state));
	}
	if (name == e::kInternal)
		return fail(kExitFailed, "benchd failed: " + field(p, "reason"));
	/* org.varlink.service.* and names we do not know: client and daemon disagree. */
	bool ours = name.rfind(std::string(protocol::kInterface) + ".", 0) == 0;
	return fail(ours ? kExitFailed : kExitUnreachable, "benchd replied " + name + " " + p.dump());
}

} /* namespace benchd::ctl */
