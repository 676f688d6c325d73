/* SPDX-License-Identifier: MIT */
/*
 * Parsers for the values people type: sizes, durations, CPU counts.
 * Pure functions over text (fuzzed by fuzz/units). Errors quote the value.
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace benchd {

/* "4096", "64K", "512M", "1.5G", "2GiB", "1T" (powers of 1024). */
Result<uint64_t> parseSize(std::string_view text);

/* "250ms", "10s", "1.5s", "2m", "1h30m", "90" (bare number = seconds). Milliseconds. */
Result<uint64_t> parseDurationMs(std::string_view text);

/* "0.5", "2", "1.25": CPU count with three decimals, returned in millicpus. */
Result<uint32_t> parseMilliCpus(std::string_view text);

/* A non-negative integer with an upper bound, named for messages. */
Result<uint64_t> parseCount(std::string_view text, uint64_t max,
			    std::string_view what);

std::string formatSize(uint64_t bytes);
std::string formatDurationMs(uint64_t ms);

} /* namespace benchd */
