/* SPDX-License-Identifier: MIT */
/*
 * The Varlink wire protocol: JSON objects, each terminated by a NUL byte.
 *
 *   call:  {"method": "io.benchd.Supervisor.Status", "parameters": {...},
 *           "more": true?, "oneway": true?}
 *   reply: {"parameters": {...}, "continues": true?}
 *   error: {"error": "io.benchd.Supervisor.JobNotFound", "parameters": {...}}
 *
 * Everything here is a pure function over bytes, fuzzed in fuzz/.
 */
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace benchd::protocol {

using Json = nlohmann::json;

/* Splits a byte stream into messages and refuses any larger than a cap. */
class MessageReader
{
public:
	explicit MessageReader(size_t maxMessage) : max_(maxMessage) {}

	/* Append bytes; returns the messages they complete (without the NUL). */
	Result<std::vector<std::string>> feed(std::string_view bytes);

	/* Bytes of an incomplete message held back. */
	size_t pending() const { return buffer_.size(); }

private:
	size_t max_;
	std::string buffer_;
};

struct Call {
	std::string method;
	Json parameters = Json::object();
	bool more = false;
	bool oneway = false;
};

struct Reply {
	std::string error; /* empty for a successful reply */
	Json parameters = Json::object();
	bool continues = false;
};

Result<Call> parseCall(std::string_view message);
Result<Reply> parseReply(std::string_view message);

/* Encoders return the message with its terminating NUL. */
std::string encodeCall(const Call &call);
std::string encodeReply(const Json &parameters, bool continues = false);
std::string encodeError(std::string_view error, const Json &parameters = Json::object());

/* The standard org.varlink.service errors. */
namespace errors {
inline constexpr const char *kMethodNotFound = "org.varlink.service.MethodNotFound";
inline constexpr const char *kInterfaceNotFound = "org.varlink.service.InterfaceNotFound";
inline constexpr const char *kInvalidParameter = "org.varlink.service.InvalidParameter";
inline constexpr const char *kExpectedMore = "org.varlink.service.ExpectedMore";
} /* namespace errors */

/* Base64 (RFC 4648, padded) for bytes that JSON strings cannot carry. */
std::string base64Encode(std::string_view bytes);
Result<std::string> base64Decode(std::string_view text);

} /* namespace benchd::protocol */
