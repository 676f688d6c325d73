/* SPDX-License-Identifier: MIT */
/* What people type for sizes, durations, CPU counts; and base64 from clients. */
#include "fuzz.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/units.hpp"
#include "protocol/varlink.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	(void)benchd::parseSize(text);
	(void)benchd::parseDurationMs(text);
	(void)benchd::parseMilliCpus(text);
	(void)benchd::parseCount(text, 1000, "count");
	auto decoded = benchd::protocol::base64Decode(text);
	if (decoded && benchd::protocol::base64Encode(*decoded) != text)
		__builtin_trap(); /* decoding must be exact */
	return 0;
}
