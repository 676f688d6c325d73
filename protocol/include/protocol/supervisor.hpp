/* SPDX-License-Identifier: MIT */
/*
 * The io.benchd.Supervisor Varlink interface: its description (served to
 * standard clients via org.varlink.service.GetInterfaceDescription), its
 * error names, and typed parameters for the calls that carry many of
 * them. Replies are built and read as JSON objects whose fields the IDL
 * below documents.
 */
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include "protocol/varlink.hpp"

namespace benchd::protocol {

inline constexpr const char *kInterface = "io.benchd.Supervisor";

/* The interface in Varlink's IDL. */
const std::string &interfaceDescription();

namespace errors {
inline constexpr const char *kJobNotFound = "io.benchd.Supervisor.JobNotFound";
inline constexpr const char *kPermissionDenied = "io.benchd.Supervisor.PermissionDenied";
inline constexpr const char *kQueueFull = "io.benchd.Supervisor.QueueFull";
inline constexpr const char *kInvalidArgument = "io.benchd.Supervisor.InvalidArgument";
inline constexpr const char *kNotRetryable = "io.benchd.Supervisor.NotRetryable";
inline constexpr const char *kAlreadyFinished = "io.benchd.Supervisor.AlreadyFinished";
inline constexpr const char *kInternal = "io.benchd.Supervisor.InternalError";
} /* namespace errors */

/* Per-run limits; absent fields take the daemon's defaults. */
struct LimitsParams {
	std::optional<uint32_t> cpuMillis;
	std::optional<uint64_t> memoryBytes;
	std::optional<uint64_t> pids;
	std::optional<uint64_t> timeoutMs;
	std::optional<uint64_t> tmpfsBytes;
};

struct SubmitParams {
	std::vector<std::string> argv;
	std::vector<std::string> env;
	std::map<std::string, std::string> meta;
	LimitsParams limits;
	uint32_t runs = 1;
	std::optional<uint32_t> parallel;
};

struct LogsParams {
	int64_t id = 0;
	uint32_t run = 0;	     /* which of the job's runs (index) */
	std::string stream = "stdout"; /* or "stderr" */
	uint64_t offset = 0;
	bool follow = false; /* with `more`: keep streaming until the run ends */
};

/*
 * A parameter that does not fit: which one and why. Sent as
 * io.benchd.Supervisor.InvalidArgument {parameter, reason}.
 */
struct InvalidArgument {
	std::string parameter;
	std::string reason;
	Json toJson() const { return { { "parameter", parameter }, { "reason", reason } }; }
};

template<typename T>
using Parsed = std::variant<T, InvalidArgument>;

Parsed<SubmitParams> parseSubmit(const Json &parameters);
Parsed<LogsParams> parseLogs(const Json &parameters);
/* {"id": N} for Status, Cancel and Retry. */
Parsed<int64_t> parseJobId(const Json &parameters);

Json toJson(const SubmitParams &params);
Json toJson(const LogsParams &params);

} /* namespace benchd::protocol */
