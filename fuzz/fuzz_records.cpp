/* SPDX-License-Identifier: MIT */
/* Bytes from a sandbox's report pipe (the sandbox is untrusted once the job runs). */
#include "fuzz.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sandbox/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	benchd::sandbox::RecordReader reader;
	/* Feed in two pieces to exercise reassembly. */
	std::string_view all(reinterpret_cast<const char *>(data), size);
	auto first = reader.feed(all.substr(0, size / 2));
	if (!first)
		return 0;
	auto rest = reader.feed(all.substr(size / 2));
	if (rest)
		for (const auto &r : *rest)
			(void)benchd::sandbox::recordToError(r);
	return 0;
}
