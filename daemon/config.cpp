/* SPDX-License-Identifier: MIT */
/*
 * TOML -> Config. toml++ reports problems with exceptions; they stay in
 * this file and come out as Errors with file:line:column and the key.
 */
#include "config.hpp"

#include <fcntl.h>
#include <functional>
#include <unistd.h>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "base/fs.hpp"
#include "base/units.hpp"
#include "default_config.hpp"

namespace benchd::daemon {

namespace {

/* A problem with one value; the caller adds where it is. */
struct ValueError {
	std::string text;
};

std::string where(const std::string &name, const toml::source_region &src)
{
	return name + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

std::string asString(const toml::node &n)
{
	if (auto s = n.value<std::string>())
		return *s;
	throw ValueError{ "expected a string" };
}

uint64_t asCount(const toml::node &n, uint64_t max)
{
	auto v = n.value<int64_t>();
	if (!v || *v < 0)
		throw ValueError{ "expected a whole number of at least 0" };
	if (static_cast<uint64_t>(*v) > max)
		throw ValueError{ "at most " + std::to_string(max) };
	return static_cast<uint64_t>(*v);
}

template<typename T>
T orThrow(Result<T> r)
{
	if (!r)
		throw ValueError{ r.error().message() };
	return *r;
}

/* Sizes and durations: a string with a unit, or a bare integer (bytes / seconds). */
uint64_t asSize(const toml::node &n)
{
	if (n.is_integer())
		return asCount(n, UINT64_MAX >> 1);
	return orThrow(parseSize(asString(n)));
}

uint64_t asDurationMs(const toml::node &n)
{
	if (n.is_integer())
		return asCount(n, UINT64_MAX / 2000) * 1000;
	return orThrow(parseDurationMs(asString(n)));
}

/* "0" means every CPU. */
uint32_t asCpus(const toml::node &n)
{
	std::string text = n.is_string() ? asString(n) : std::to_string(asCount(n, 1024));
	if (text == "0")
		return static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN)) * 1000;
	return orThrow(parseMilliCpus(text));
}

std::vector<std::string> asStrings(const toml::node &n)
{
	const toml::array *a = n.as_array();
	if (!a)
		throw ValueError{ "expected an array" };
	std::vector<std::string> out;
	for (const auto &e : *a) {
		if (auto s = e.value<std::string>())
			out.push_back(*s);
		else if (auto i = e.value<int64_t>())
			out.push_back(std::to_string(*i));
		else
			throw ValueError{ "expected strings (or numeric uids)" };
	}
	return out;
}

using Setter = std::function<void(Config &, const toml::node &)>;

const std::map<std::string, Setter> &setters()
{
	static const std::map<std::string, Setter> table = {
		{ "daemon.state_dir", [](Config &c, const toml::node &n) { c.stateDir = asString(n); } },
		{ "daemon.socket", [](Config &c, const toml::node &n) { c.socketPath = asString(n); } },
		{ "daemon.socket_group", [](Config &c, const toml::node &n) { c.socketGroup = asString(n); } },
		{ "daemon.admin_group", [](Config &c, const toml::node &n) { c.adminGroup = asString(n); } },
		{ "daemon.runtime_dir", [](Config &c, const toml::node &n) { c.runtimeDir = asString(n); } },
		{ "daemon.heartbeat", [](Config &c, const toml::node &n) { c.heartbeatMs = asDurationMs(n); } },
		{ "daemon.max_message", [](Config &c, const toml::node &n) { c.maxMessageBytes = asSize(n); } },
		{ "daemon.max_client_backlog", [](Config &c, const toml::node &n) { c.maxClientBacklogBytes = asSize(n); } },
		{ "daemon.max_clients", [](Config &c, const toml::node &n) { c.maxClients = static_cast<uint32_t>(asCount(n, 1 << 20)); } },
		{ "daemon.client_timeout", [](Config &c, const toml::node &n) { c.clientTimeoutMs = asDurationMs(n); } },
		{ "limits.slots", [](Config &c, const toml::node &n) { c.slots = static_cast<uint32_t>(asCount(n, 100000)); } },
		{ "limits.user_active_jobs", [](Config &c, const toml::node &n) { c.userActiveJobs = static_cast<uint32_t>(asCount(n, 100000)); } },
		{ "limits.user_queued_jobs", [](Config &c, const toml::node &n) { c.userQueuedJobs = static_cast<uint32_t>(asCount(n, 10000000)); } },
		{ "limits.org_active_runs", [](Config &c, const toml::node &n) { c.orgActiveRuns = static_cast<uint32_t>(asCount(n, 100000)); } },
		{ "limits.job_parallel_runs", [](Config &c, const toml::node &n) { c.jobParallelRuns = static_cast<uint32_t>(asCount(n, 100000)); } },
		{ "limits.max_runs_per_job", [](Config &c, const toml::node &n) { c.maxRunsPerJob = static_cast<uint32_t>(asCount(n, 100000)); } },
		{ "limits.auto_retries", [](Config &c, const toml::node &n) { c.autoRetries = static_cast<uint32_t>(asCount(n, 100)); } },
		{ "defaults.cpus", [](Config &c, const toml::node &n) { c.defaults.cpuMillis = asCpus(n); } },
		{ "defaults.memory", [](Config &c, const toml::node &n) { c.defaults.memoryBytes = asSize(n); } },
		{ "defaults.pids", [](Config &c, const toml::node &n) { c.defaults.pids = asCount(n, 4194304); } },
		{ "defaults.timeout", [](Config &c, const toml::node &n) { c.defaults.timeoutMs = asDurationMs(n); } },
		{ "defaults.tmpfs", [](Config &c, const toml::node &n) { c.defaults.tmpfsBytes = asSize(n); } },
		{ "defaults.log_cap", [](Config &c, const toml::node &n) { c.logCapBytes = asSize(n); } },
		{ "maximum.cpus", [](Config &c, const toml::node &n) { c.maximum.cpuMillis = asCpus(n); } },
		{ "maximum.memory", [](Config &c, const toml::node &n) { c.maximum.memoryBytes = asSize(n); } },
		{ "maximum.pids", [](Config &c, const toml::node &n) { c.maximum.pids = asCount(n, 4194304); } },
		{ "maximum.timeout", [](Config &c, const toml::node &n) { c.maximum.timeoutMs = asDurationMs(n); } },
		{ "maximum.tmpfs", [](Config &c, const toml::node &n) { c.maximum.tmpfsBytes = asSize(n); } },
		{ "sandbox.rootfs", [](Config &c, const toml::node &n) { c.rootfs = asString(n); } },
		{ "sandbox.mask", [](Config &c, const toml::node &n) { c.masks = asStrings(n); } },
		{ "sandbox.uid_first", [](Config &c, const toml::node &n) { c.uidFirst = static_cast<uid_t>(asCount(n, 0xfffffffe)); } },
		{ "sandbox.uid_count", [](Config &c, const toml::node &n) { c.uidCount = static_cast<uid_t>(asCount(n, 1 << 20)); } },
		{ "cgroup.root", [](Config &c, const toml::node &n) { c.cgroupRoot = asString(n); } },
		{ "cgroup.name", [](Config &c, const toml::node &n) { c.cgroupName = asString(n); } },
	};
	return table;
}

void applyOrg(Config &c, const std::string &org, const toml::table &t, const std::string &name)
{
	OrgConfig o;
	for (const auto &[k, v] : t) {
		std::string key(k.str());
		try {
			if (key == "users")
				o.users = asStrings(v);
			else if (key == "active_runs")
				o.activeRuns = static_cast<uint32_t>(asCount(v, 100000));
			else
				throw ValueError{ "unknown key (expected users or active_runs)" };
		} catch (const ValueError &e) {
			throw Error::invalid(where(name, v.source()) + ": [orgs." + org + "] " + key + ": " + e.text);
		}
	}
	c.orgs[org] = std::move(o);
}

void apply(Config &c, const toml::table &root, const std::string &name)
{
	for (const auto &[section, node] : root) {
		std::string sec(section.str());
		const toml::table *t = node.as_table();
		if (!t)
			throw Error::invalid(where(name, node.source()) + ": '" + sec + "' must be a [section]");
		if (sec == "orgs") {
			for (const auto &[org, orgNode] : *t) {
				const toml::table *ot = orgNode.as_table();
				if (!ot)
					throw Error::invalid(where(name, orgNode.source()) + ": [orgs." +
							     std::string(org.str()) + "] must be a table");
				applyOrg(c, std::string(org.str()), *ot, name);
			}
			continue;
		}
		for (const auto &[key, value] : *t) {
			std::string full = sec + "." + std::string(key.str());
			auto it = setters().find(full);
			if (it == setters().end())
				throw Error::invalid(where(name, value.source()) + ": unknown key [" + sec + "] " +
						     std::string(key.str()));
			try {
				it->second(c, value);
			} catch (const ValueError &e) {
				throw Error::invalid(where(name, value.source()) + ": [" + sec + "] " +
						     std::string(key.str()) + ": " + e.text);
			}
		}
	}
}

Status check(const Config &c, const std::string &name)
{
	auto bad = [&](const std::string &what) { return Error::invalid(name + ": " + what); };
	if (c.stateDir.empty() || c.stateDir[0] != '/')
		return bad("[daemon] state_dir must be an absolute path");
	if (c.socketPath.empty() || c.socketPath[0] != '/')
		return bad("[daemon] socket must be an absolute path");
	if (c.socketPath.size() >= 108)
		return bad("[daemon] socket path is longer than a Unix socket allows (107 bytes)");
	if (c.uidFirst == 0 || c.uidCount == 0)
		return bad("[sandbox] uid_first and uid_count must be more than 0");
	if (c.userActiveJobs == 0 || c.jobParallelRuns == 0 || c.maxRunsPerJob == 0)
		return bad("[limits] user_active_jobs, job_parallel_runs and max_runs_per_job must be at least 1");
	if (c.heartbeatMs == 0)
		return bad("[daemon] heartbeat must be more than 0");
	return {};
}

} /* namespace */

const std::string &defaultConfigText()
{
	static const std::string text = kDefaultConfigToml;
	return text;
}

Result<Config> parseConfig(const std::string &text, const std::string &name, Config base)
{
	try {
		toml::table root = toml::parse(text, name);
		apply(base, root, name);
	} catch (const toml::parse_error &e) {
		return Error::invalid(where(name, e.source()) + ": " + std::string(e.description()));
	} catch (const Error &e) {
		return e;
	}
	if (base.slots == 0)
		base.slots = static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN));
	if (auto s = check(base, name); !s)
		return std::move(s).error();
	return base;
}

Result<Config> loadConfig(const std::optional<std::string> &path)
{
	auto base = parseConfig(defaultConfigText(), "default-config.toml", Config{});
	if (!base || !path)
		return base;
	auto text = readFileAt(AT_FDCWD, *path);
	if (!text)
		return std::move(text).error().wrap("config");
	return parseConfig(*text, *path, *base);
}

} /* namespace benchd::daemon */
