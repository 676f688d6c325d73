/* SPDX-License-Identifier: MIT */
/* A config file an operator wrote: refused with a message, never a crash. */
#include "fuzz.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace benchd::daemon;
	static const Config base = *loadConfig(std::nullopt);
	(void)parseConfig(std::string(reinterpret_cast<const char *>(data), size), "fuzz.toml", base);
	return 0;
}
