/* SPDX-License-Identifier: MIT */
/* Bytes from a client socket: framing, then a call, then its parameters. */
#include "fuzz.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/supervisor.hpp"
#include "protocol/varlink.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace benchd::protocol;
	MessageReader reader(1 << 16);
	auto messages = reader.feed(std::string_view(reinterpret_cast<const char *>(data), size));
	if (!messages)
		return 0;
	for (const auto &m : *messages) {
		auto call = parseCall(m);
		if (!call)
			continue;
		(void)parseSubmit(call->parameters);
		(void)parseLogs(call->parameters);
		(void)parseJobId(call->parameters);
		(void)encodeCall(*call);
		(void)parseReply(m);
	}
	return 0;
}
