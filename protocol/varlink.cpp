/* SPDX-License-Identifier: MIT */
#include "protocol/varlink.hpp"

namespace benchd::protocol {

Result<std::vector<std::string>> MessageReader::feed(std::string_view bytes)
{
	std::vector<std::string> out;
	while (!bytes.empty()) {
		size_t nul = bytes.find('\0');
		std::string_view part = bytes.substr(0, nul);
		if (buffer_.size() + part.size() > max_)
			return Error(EMSGSIZE, "varlink: message larger than " + std::to_string(max_) +
						       " bytes");
		buffer_.append(part);
		if (nul == std::string_view::npos)
			break;
		out.push_back(std::move(buffer_));
		buffer_.clear();
		bytes.remove_prefix(nul + 1);
	}
	return out;
}

namespace {

Result<Json> parseObject(std::string_view message)
{
	Json j = Json::parse(message.begin(), message.end(), nullptr, false);
	if (j.is_discarded())
		return Error::invalid("varlink: message is not valid JSON");
	if (!j.is_object())
		return Error::invalid("varlink: message is not a JSON object");
	return j;
}

Status optionalBool(const Json &j, const char *key, bool &out)
{
	auto it = j.find(key);
	if (it == j.end() || it->is_null())
		return {};
	if (!it->is_boolean())
		return Error::invalid(std::string("varlink: '") + key + "' must be a boolean");
	out = it->get<bool>();
	return {};
}

Status optionalParameters(const Json &j, Json &out)
{
	auto it = j.find("parameters");
	if (it == j.end() || it->is_null())
		return {};
	if (!it->is_object())
		return Error::invalid("varlink: 'parameters' must be an object");
	out = *it;
	return {};
}

} /* namespace */

Result<Call> parseCall(std::string_view message)
{
	auto j = parseObject(message);
	if (!j)
		return std::move(j).error();
	Call call;
	auto method = j->find("method");
	if (method == j->end() || !method->is_string() || method->get_ref<const std::string &>().empty())
		return Error::invalid("varlink: call without a 'method' string");
	call.method = method->get<std::string>();
	if (auto s = optionalParameters(*j, call.parameters); !s)
		return std::move(s).error();
	if (auto s = optionalBool(*j, "more", call.more); !s)
		return std::move(s).error();
	if (auto s = optionalBool(*j, "oneway", call.oneway); !s)
		return std::move(s).error();
	return call;
}

Result<Reply> parseReply(std::string_view message)
{
	auto j = parseObject(message);
	if (!j)
		return std::move(j).error();
	Reply reply;
	if (auto e = j->find("error"); e != j->end() && !e->is_null()) {
		if (!e->is_string())
			return Error::invalid("varlink: 'error' must be a string");
		reply.error = e->get<std::string>();
	}
	if (auto s = optionalParameters(*j, reply.parameters); !s)
		return std::move(s).error();
	if (auto s = optionalBool(*j, "continues", reply.continues); !s)
		return std::move(s).error();
	return reply;
}

std::string encodeCall(const Call &call)
{
	Json j = { { "method", call.method }, { "parameters", call.parameters } };
	if (call.more)
		j["more"] = true;
	if (call.oneway)
		j["oneway"] = true;
	std::string out = j.dump(-1, ' ', false, Json::error_handler_t::replace);
	out.push_back('\0');
	return out;
}

std::string encodeReply(const Json &parameters, bool continues)
{
	Json j = { { "parameters", parameters } };
	if (continues)
		j["continues"] = true;
	std::string out = j.dump(-1, ' ', false, Json::error_handler_t::replace);
	out.push_back('\0');
	return out;
}

std::string encodeError(std::string_view error, const Json &parameters)
{
	Json j = { { "error", std::string(error) }, { "parameters", parameters } };
	std::string out = j.dump(-1, ' ', false, Json::error_handler_t::replace);
	out.push_back('\0');
	return out;
}

namespace {

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int decodeChar(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

} /* namespace */

std::string base64Encode(std::string_view bytes)
{
	std::string out;
	out.reserve((bytes.size() + 2) / 3 * 4);
	size_t i = 0;
	auto at = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
	for (; i + 3 <= bytes.size(); i += 3) {
		uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
		out += kAlphabet[v >> 18];
		out += kAlphabet[(v >> 12) & 63];
		out += kAlphabet[(v >> 6) & 63];
		out += kAlphabet[v & 63];
	}
	size_t rest = bytes.size() - i;
	if (rest) {
		uint32_t v = at(i) << 16;
		if (rest == 2)
			v |= at(i + 1) << 8;
		out += kAlphabet[v >> 18];
		out += kAlphabet[(v >> 12) & 63];
		out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
		out += '=';
	}
	return out;
}

Result<std::string> base64Decode(std::string_view text)
{
	if (text.size() % 4 != 0)
		return Error::invalid("base64: length is not a multiple of 4");
	std::string out;
	out.reserve(text.size() / 4 * 3);
	for (size_t i = 0; i < text.size(); i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = text[i + static_cast<size_t>(k)];
			if (c == '=' && i + 4 == text.size() && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return Error::invalid("base64: data after padding");
			v[k] = decodeChar(c);
			if (v[k] < 0)
				return Error::invalid("base64: invalid character");
		}
		/* Bits under the padding must be zero: one text per byte string (RFC 4648, 3.5). */
		if ((pad == 1 && (v[2] & 0x3)) || (pad == 2 && (v[1] & 0xf)))
			return Error::invalid("base64: non-canonical padding bits");
		uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
			     (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
		out += static_cast<char>(n >> 16);
		if (pad < 2)
			out += static_cast<char>((n >> 8) & 0xff);
		if (pad < 1)
			out += static_cast<char>(n & 0xff);
	}
	return out;
}

} /* namespace benchd::protocol */
