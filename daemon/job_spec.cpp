/* SPDX-License-Identifier: MIT */
#include "job_spec.hpp"

#include "base/units.hpp"

namespace benchd::daemon {

namespace {

protocol::InvalidArgument tooBig(const std::string &parameter, const std::string &asked,
				 const std::string &max)
{
	return { parameter, "asks for " + asked + ", more than this host allows (" + max + ")" };
}

} /* namespace */

std::variant<JobSpec, protocol::InvalidArgument> resolveSubmit(const protocol::SubmitParams &p,
								 const Config &c)
{
	JobSpec s;
	s.argv = p.argv;
	s.env = p.env;
	s.meta = p.meta;
	s.logCapBytes = c.logCapBytes;
	s.limits.cpuMillis = p.limits.cpuMillis.value_or(c.defaults.cpuMillis);
	s.limits.memoryBytes = p.limits.memoryBytes.value_or(c.defaults.memoryBytes);
	s.limits.pids = p.limits.pids.value_or(c.defaults.pids);
	s.limits.timeoutMs = p.limits.timeoutMs.value_or(c.defaults.timeoutMs);
	s.limits.tmpfsBytes = p.limits.tmpfsBytes.value_or(c.defaults.tmpfsBytes);

	if (s.limits.cpuMillis > c.maximum.cpuMillis)
		return tooBig("limits.cpu_millis", std::to_string(s.limits.cpuMillis),
			      std::to_string(c.maximum.cpuMillis));
	if (s.limits.memoryBytes > c.maximum.memoryBytes)
		return tooBig("limits.memory_bytes", formatSize(s.limits.memoryBytes), formatSize(c.maximum.memoryBytes));
	if (s.limits.pids > c.maximum.pids)
		return tooBig("limits.pids", std::to_string(s.limits.pids), std::to_string(c.maximum.pids));
	if (s.limits.timeoutMs > c.maximum.timeoutMs)
		return tooBig("limits.timeout_ms", formatDurationMs(s.limits.timeoutMs),
			      formatDurationMs(c.maximum.timeoutMs));
	if (s.limits.tmpfsBytes > c.maximum.tmpfsBytes)
		return tooBig("limits.tmpfs_bytes", formatSize(s.limits.tmpfsBytes), formatSize(c.maximum.tmpfsBytes));
	if (p.runs > c.maxRunsPerJob)
		return protocol::InvalidArgument{ "runs", "asks for " + std::to_string(p.runs) +
							   " runs; at most " + std::to_string(c.maxRunsPerJob) +
							   " (max_runs_per_job)" };
	s.runs = p.runs;
	/* Up to job_parallel_runs at once unless the job asks for fewer. */
	s.parallel = std::min(p.parallel.value_or(p.runs), c.jobParallelRuns);
	if (s.parallel == 0)
		s.parallel = 1;
	return s;
}

protocol::Json limitsToJson(const RunLimits &l)
{
	return {
		{ "cpu_millis", l.cpuMillis }, { "memory_bytes", l.memoryBytes }, { "pids", l.pids },
		{ "timeout_ms", l.timeoutMs }, { "tmpfs_bytes", l.tmpfsBytes },
	};
}

protocol::Json specToJson(const JobSpec &s)
{
	return {
		{ "argv", s.argv }, { "env", s.env }, { "meta", s.meta }, { "limits", limitsToJson(s.limits) },
		{ "log_cap_bytes", s.logCapBytes }, { "runs", s.runs }, { "parallel", s.parallel },
	};
}

Result<JobSpec> specFromJson(const std::string &text)
{
	auto j = protocol::Json::parse(text, nullptr, false);
	if (j.is_discarded() || !j.is_object())
		return Error::invalid("job spec: not a JSON object");
	try {
		JobSpec s;
		s.argv = j.at("argv").get<std::vector<std::string>>();
		s.env = j.at("env").get<std::vector<std::string>>();
		s.meta = j.at("meta").get<std::map<std::string, std::string>>();
		const auto &l = j.at("limits");
		s.limits.cpuMillis = l.at("cpu_millis").get<uint32_t>();
		s.limits.memoryBytes = l.at("memory_bytes").get<uint64_t>();
		s.limits.pids = l.at("pids").get<uint64_t>();
		s.limits.timeoutMs = l.at("timeout_ms").get<uint64_t>();
		s.limits.tmpfsBytes = l.at("tmpfs_bytes").get<uint64_t>();
		s.logCapBytes = j.at("log_cap_bytes").get<uint64_t>();
		s.runs = j.at("runs").get<uint32_t>();
		s.parallel = j.at("parallel").get<uint32_t>();
		return s;
	} catch (const protocol::Json::exception &e) {
		return Error::invalid(std::string("job spec: ") + e.what());
	}
}

sandbox::SandboxSpec sandboxSpecFor(const JobSpec &s, const Config &c, uid_t uid)
{
	sandbox::SandboxSpec spec;
	spec.argv = s.argv;
	spec.env = s.env;
	spec.rootfs = c.rootfs;
	/* Never let a job read the daemon's own state (other users' logs, the database). */
	spec.masks.push_back(c.stateDir);
	spec.masks.insert(spec.masks.end(), c.masks.begin(), c.masks.end());
	spec.workspaceBytes = s.limits.tmpfsBytes;
	spec.tmpBytes = s.limits.tmpfsBytes;
	spec.uid = uid;
	spec.gid = uid;
	/* If the daemon dies, its runs die too; a restart finishes and retries them. */
	spec.dieWithParent = true;
	return spec;
}

cgroups::Limits cgroupLimitsFor(const JobSpec &s)
{
	return { s.limits.cpuMillis, s.limits.memoryBytes, s.limits.pids };
}

} /* namespace benchd::daemon */
