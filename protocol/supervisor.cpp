/* SPDX-License-Identifier: MIT */
#include "protocol/supervisor.hpp"

#include <limits>

namespace benchd::protocol {

const std::string &interfaceDescription()
{
	static const std::string text = R"(# benchd runs untrusted evaluation jobs in sandboxes, fairly, for many users.
# Identity is the caller's uid (SO_PEERCRED); a user sees only their own jobs.
interface io.benchd.Supervisor

# Per-run limits. Absent fields take the daemon's configured defaults.
type Limits (
  cpu_millis: ?int,
  memory_bytes: ?int,
  pids: ?int,
  timeout_ms: ?int,
  tmpfs_bytes: ?int
)

# How a run ended, as `benchd oneshot --result` writes it.
type Result (
  status: string,
  exit_code: ?int,
  signal: ?int,
  wall_ms: int,
  cpu_user_ms: int,
  cpu_sys_ms: int,
  memory_peak_bytes: ?int,
  oom_killed: bool,
  pids_limit_hit: bool,
  pids_peak: ?int,
  error: ?string
)

# One attempt of one of a job's runs.
# state: queued, preparing, running, parsing, completed, failed, timed_out, aborted
type Run (
  id: int,
  index: int,
  attempt: int,
  replaces: ?int,
  state: string,
  reason: ?string,
  created_at_ms: int,
  started_at_ms: ?int,
  finished_at_ms: ?int,
  result: ?Result,
  stdout_bytes: int,
  stderr_bytes: int,
  log_truncated: bool
)

# state: queued, running, completed, failed, timed_out or aborted.
# summary counts the job's runs (their latest attempts) by state.
# attempts is every attempt of every run; List leaves it out.
type Job (
  id: int,
  uid: int,
  user: string,
  state: string,
  argv: []string,
  meta: [string]string,
  limits: Limits,
  runs: int,
  parallel: int,
  created_at_ms: int,
  finished_at_ms: ?int,
  summary: [string]int,
  attempts: ?[]Run
)

# queued_jobs counts jobs none of whose runs has started yet;
# queued_runs every run waiting for a slot.
type Capacity (
  slots_total: int,
  slots_used: int,
  running_runs: int,
  queued_runs: int,
  queued_jobs: int
)

# Queue a job of `runs` identical runs; durable before the reply.
method Submit(
  argv: []string,
  env: ?[]string,
  meta: ?[string]string,
  limits: ?Limits,
  runs: ?int,
  parallel: ?int
) -> (id: int)

method Status(id: int) -> (job: Job)

# The caller's jobs, newest first. `all` lists every user's jobs for root and
# the admin group; anyone else still gets only their own.
method List(state: ?string, all: ?bool, limit: ?int) -> (jobs: []Job, capacity: Capacity)

# Bytes of a run's output from `offset`, base64 in `data`, from the run's
# latest attempt (`run_id`, `attempt`: a retried run starts a new file).
# With `more`, replies continue until the end of what is written; with
# `follow` too, until the run has ended and everything was sent.
method Logs(
  id: int,
  run: ?int,
  stream: ?string,
  offset: ?int,
  follow: ?bool
) -> (data: string, offset: int, eof: bool, truncated: bool, run_id: int, attempt: int)

# Stop a job: queued runs are dropped, running ones killed; all end aborted.
method Cancel(id: int) -> (job: Job)

# Queue new attempts of the runs of a finished job that did not complete.
method Retry(id: int) -> (job: Job)

error JobNotFound (id: int)
error PermissionDenied (id: int, reason: string)
error QueueFull (limit: string, value: int, reason: string)
error InvalidArgument (parameter: string, reason: string)
error NotRetryable (id: int, state: string)
error AlreadyFinished (id: int, state: string)
error InternalError (reason: string)
)";
	return text;
}

namespace {

InvalidArgument bad(std::string parameter, std::string reason)
{
	return { std::move(parameter), std::move(reason) };
}

/* An optional unsigned integer field within [min, max]. */
std::optional<InvalidArgument> readUint(const Json &j, const char *key, uint64_t min, uint64_t max,
					std::optional<uint64_t> &out, const std::string &prefix = "")
{
	auto it = j.find(key);
	if (it == j.end() || it->is_null())
		return std::nullopt;
	if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
		return bad(prefix + key, "must be a non-negative integer");
	uint64_t v = it->get<uint64_t>();
	if (v < min || v > max)
		return bad(prefix + key, "must be between " + std::to_string(min) + " and " +
						  std::to_string(max) + ", got " + std::to_string(v));
	out = v;
	return std::nullopt;
}

std::optional<InvalidArgument> readStrings(const Json &j, const char *key, std::vector<std::string> &out)
{
	auto it = j.find(key);
	if (it == j.end() || it->is_null())
		return std::nullopt;
	if (!it->is_array())
		return bad(key, "must be an array of strings");
	for (const auto &e : *it) {
		if (!e.is_string())
			return bad(key, "must be an array of strings");
		const auto &s = e.get_ref<const std::string &>();
		if (s.find('\0') != std::string::npos)
			return bad(key, "must not contain NUL bytes");
		out.push_back(s);
	}
	return std::nullopt;
}

std::optional<InvalidArgument> readLimits(const Json &j, LimitsParams &out)
{
	auto it = j.find("limits");
	if (it == j.end() || it->is_null())
		return std::nullopt;
	if (!it->is_object())
		return bad("limits", "must be an object");
	const uint64_t big = std::numeric_limits<int64_t>::max();
	std::optional<uint64_t> cpu;
	if (auto e = readUint(*it, "cpu_millis", 10, 1024000, cpu, "limits."))
		return e;
	if (cpu)
		out.cpuMillis = static_cast<uint32_t>(*cpu);
	if (auto e = readUint(*it, "memory_bytes", 1 << 20, big, out.memoryBytes, "limits."))
		return e;
	if (auto e = readUint(*it, "pids", 1, 4194304, out.pids, "limits."))
		return e;
	if (auto e = readUint(*it, "timeout_ms", 1, big, out.timeoutMs, "limits."))
		return e;
	if (auto e = readUint(*it, "tmpfs_bytes", 4096, big, out.tmpfsBytes, "limits."))
		return e;
	return std::nullopt;
}

} /* namespace */

Parsed<SubmitParams> parseSubmit(const Json &p)
{
	SubmitParams s;
	if (auto e = readStrings(p, "argv", s.argv))
		return *e;
	if (s.argv.empty() || s.argv[0].empty())
		return bad("argv", "must name a command");
	if (auto e = readStrings(p, "env", s.env))
		return *e;
	for (const auto &kv : s.env)
		if (kv.find('=') == std::string::npos || kv[0] == '=')
			return bad("env", "entry '" + kv + "' is not KEY=VALUE");
	if (auto it = p.find("meta"); it != p.end() && !it->is_null()) {
		if (!it->is_object())
			return bad("meta", "must be an object of strings");
		for (const auto &[k, v] : it->items()) {
			if (!v.is_string() || k.empty())
				return bad("meta", "must be an object of strings");
			s.meta[k] = v.get<std::string>();
		}
	}
	if (auto e = readLimits(p, s.limits))
		return *e;
	std::optional<uint64_t> runs, parallel;
	if (auto e = readUint(p, "runs", 1, 100000, runs))
		return *e;
	if (auto e = readUint(p, "parallel", 1, 100000, parallel))
		return *e;
	s.runs = static_cast<uint32_t>(runs.value_or(1));
	if (parallel)
		s.parallel = static_cast<uint32_t>(*parallel);
	return s;
}

Parsed<int64_t> parseJobId(const Json &p)
{
	std::optional<uint64_t> id;
	if (auto e = readUint(p, "id", 1, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), id))
		return *e;
	if (!id)
		return bad("id", "is required");
	return static_cast<int64_t>(*id);
}

Parsed<LogsParams> parseLogs(const Json &p)
{
	LogsParams l;
	auto id = parseJobId(p);
	if (auto *e = std::get_if<InvalidArgument>(&id))
		return *e;
	l.id = std::get<int64_t>(id);
	std::optional<uint64_t> run, offset;
	if (auto e = readUint(p, "run", 0, 100000, run))
		return *e;
	if (auto e = readUint(p, "offset", 0, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), offset))
		return *e;
	l.run = static_cast<uint32_t>(run.value_or(0));
	l.offset = offset.value_or(0);
	if (auto it = p.find("stream"); it != p.end() && !it->is_null()) {
		if (!it->is_string() || (*it != "stdout" && *it != "stderr"))
			return bad("stream", "must be \"stdout\" or \"stderr\"");
		l.stream = it->get<std::string>();
	}
	if (auto it = p.find("follow"); it != p.end() && !it->is_null()) {
		if (!it->is_boolean())
			return bad("follow", "must be a boolean");
		l.follow = it->get<bool>();
	}
	return l;
}

Json toJson(const SubmitParams &s)
{
	Json j = { { "argv", s.argv }, { "runs", s.runs } };
	if (!s.env.empty())
		j["env"] = s.env;
	if (!s.meta.empty())
		j["meta"] = s.meta;
	if (s.parallel)
		j["parallel"] = *s.parallel;
	Json limits = Json::object();
	if (s.limits.cpuMillis)
		limits["cpu_millis"] = *s.limits.cpuMillis;
	if (s.limits.memoryBytes)
		limits["memory_bytes"] = *s.limits.memoryBytes;
	if (s.limits.pids)
		limits["pids"] = *s.limits.pids;
	if (s.limits.timeoutMs)
		limits["timeout_ms"] = *s.limits.timeoutMs;
	if (s.limits.tmpfsBytes)
		limits["tmpfs_bytes"] = *s.limits.tmpfsBytes;
	if (!limits.empty())
		j["limits"] = limits;
	return j;
}

Json toJson(const LogsParams &l)
{
	return { { "id", l.id }, { "run", l.run }, { "stream", l.stream }, { "offset", l.offset }, { "follow", l.follow } };
}

} /* namespace benchd::protocol */
