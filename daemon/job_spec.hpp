/* SPDX-License-Identifier: MIT */
/*
 * What a job asked for, resolved against the config: every limit has a
 * value, none above the configured maximum. Stored as the job's spec JSON
 * and turned into a SandboxSpec for each run.
 */
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "cgroups/manager.hpp"
#include "config.hpp"
#include "protocol/supervisor.hpp"
#include "sandbox/spec.hpp"

namespace benchd::daemon {

struct JobSpec {
	std::vector<std::string> argv;
	std::vector<std::string> env;
	std::map<std::string, std::string> meta;
	RunLimits limits;
	uint64_t logCapBytes = 0;
	uint32_t runs = 1;
	uint32_t parallel = 1;
};

/* Defaults filled in, maxima enforced; the error names the parameter. */
std::variant<JobSpec, protocol::InvalidArgument> resolveSubmit(const protocol::SubmitParams &params,
								 const Config &config);

protocol::Json specToJson(const JobSpec &spec);
Result<JobSpec> specFromJson(const std::string &text);
protocol::Json limitsToJson(const RunLimits &limits);

/* One run's sandbox and cgroup from the job and the host's config. */
sandbox::SandboxSpec sandboxSpecFor(const JobSpec &spec, const Config &config, uid_t uid);
cgroups::Limits cgroupLimitsFor(const JobSpec &spec);

} /* namespace benchd::daemon */
