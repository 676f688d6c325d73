/* SPDX-License-Identifier: MIT */
/*
 * Turning the daemon's JSON into text for people. Readers are tolerant:
 * a field a newer or older daemon leaves out shows as "-", never throws.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/varlink.hpp"

namespace benchd::ctl {

using protocol::Json;

/* A field as an integer / string, or nothing when absent, null or another type. */
std::optional<int64_t> intField(const Json &object, const char *key);
std::string stringField(const Json &object, const char *key, std::string_view fallback = "-");

/*
 * Text from the daemon that may carry another user's bytes (argv, names):
 * control characters would drive our terminal, so they become \xNN.
 */
std::string printable(std::string_view text);

/* argv as a shell would need it typed: plain words bare, others quoted. */
std::string shellJoin(const std::vector<std::string> &argv);

/* At most `width` bytes, ending in "..." when cut; never splits a UTF-8 sequence. */
std::string truncated(std::string_view text, size_t width);

/* "2026-11-23 16:06:55" in local time, from milliseconds since the epoch. */
std::string localTime(int64_t ms);

/* An age or elapsed time: whole seconds once past one. */
std::string formatAge(int64_t ms);

/* Milli-CPUs as people type them: 1000 -> "1", 1500 -> "1.5". */
std::string formatCpus(int64_t milli);

/* Milliseconds since the epoch, now. */
int64_t nowMs();

/* "2/3 done" from a job's summary of run states. */
std::string runsDone(const Json &job);

/* How one attempt ended: "0", "3", "SIGKILL", or "-" while it has not. */
std::string exitText(const Json &run);

bool isTerminalState(std::string_view state);

} /* namespace benchd::ctl */
