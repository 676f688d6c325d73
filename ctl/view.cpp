/* SPDX-License-Identifier: MIT */
#include "view.hpp"

#include <algorithm>
#include <cstdio>

#include "base/units.hpp"
#include "cli.hpp"
#include "format.hpp"
#include "table.hpp"

namespace benchd::ctl {

namespace {

/* Run states in the order a run goes through them. */
const char *const kRunStates[] = { "queued", "preparing", "running", "parsing",
				   "completed", "failed", "timed_out", "aborted" };

std::string orDash(const std::optional<int64_t> &v, std::string (*format)(uint64_t))
{
	if (!v || *v < 0)
		return "-";
	return format(static_cast<uint64_t>(*v));
}

std::vector<std::string> argvOf(const Json &job)
{
	std::vector<std::string> argv;
	if (auto it = job.find("argv"); it != job.end() && it->is_array())
		for (const auto &word : *it)
			argv.push_back(word.is_string() ? word.get<std::string>() : word.dump());
	return argv;
}

/* "2/3 done: 1 completed, 1 failed, 1 running" */
std::string runsLine(const Json &job)
{
	std::string out = runsDone(job);
	auto summary = job.find("summary");
	std::string counts;
	if (summary != job.end() && summary->is_object()) {
		for (const char *state : kRunStates) {
			auto n = intField(*summary, state);
			if (n && *n > 0)
				counts += (counts.empty() ? "" : ", ") + std::to_string(*n) + " " + state;
		}
	}
	if (!counts.empty())
		out += ": " + counts;
	if (auto parallel = intField(job, "parallel"))
		out += "; up to " + std::to_string(*parallel) + " at once";
	return out;
}

std::string limitsLine(const Json &job)
{
	auto it = job.find("limits");
	if (it == job.end() || !it->is_object())
		return "-";
	const Json &l = *it;
	std::vector<std::string> parts;
	if (auto v = intField(l, "cpu_millis"))
		parts.push_back("cpus " + formatCpus(*v));
	if (auto v = intField(l, "memory_bytes"))
		parts.push_back("memory " + formatSize(static_cast<uint64_t>(*v)));
	if (auto v = intField(l, "pids"))
		parts.push_back("pids " + std::to_string(*v));
	if (auto v = intField(l, "timeout_ms"))
		parts.push_back("timeout " + formatDurationMs(static_cast<uint64_t>(*v)));
	if (auto v = intField(l, "tmpfs_bytes"))
		parts.push_back("tmpfs " + formatSize(static_cast<uint64_t>(*v)));
	std::string out;
	for (const auto &p : parts)
		out += (out.empty() ? "" : ", ") + p;
	return out.empty() ? "-" : out;
}

std::string metaLine(const Json &job)
{
	auto it = job.find("meta");
	if (it == job.end() || !it->is_object() || it->empty())
		return "";
	std::string out;
	for (const auto &[k, v] : it->items())
		out += (out.empty() ? "" : ", ") + printable(k) + "=" +
		       printable(v.is_string() ? v.get<std::string>() : v.dump());
	return out;
}

/* What else to know about how an attempt ended. */
std::string reasonOf(const Json &run)
{
	std::vector<std::string> parts;
	/* "ok" and a reason that repeats the state say nothing the table does not. */
	std::string reason = stringField(run, "reason", "");
	if (!reason.empty() && reason != "ok" && reason != stringField(run, "state"))
		parts.push_back(reason);
	if (auto res = run.find("result"); res != run.end() && res->is_object()) {
		std::string error = stringField(*res, "error", "");
		if (!error.empty())
			parts.push_back(error);
		if (res->value("oom_killed", false))
			parts.push_back("oom-killed");
		if (res->value("pids_limit_hit", false))
			parts.push_back("pids limit hit");
	}
	if (run.value("log_truncated", false))
		parts.push_back("log truncated");
	std::string out;
	for (const auto &p : parts)
		out += (out.empty() ? "" : "; ") + p;
	return printable(out);
}

std::string wallOf(const Json &run)
{
	auto res = run.find("result");
	if (res != run.end() && res->is_object())
		return orDash(intField(*res, "wall_ms"), formatDurationMs);
	/* Still going: how long so far. */
	auto started = intField(run, "started_at_ms");
	if (started && !intField(run, "finished_at_ms"))
		return formatAge(nowMs() - *started);
	return "-";
}

std::string cpuOf(const Json &run)
{
	auto res = run.find("result");
	if (res == run.end() || !res->is_object())
		return "-";
	auto user = intField(*res, "cpu_user_ms"), sys = intField(*res, "cpu_sys_ms");
	if (!user && !sys)
		return "-";
	return formatDurationMs(static_cast<uint64_t>(user.value_or(0) + sys.value_or(0)));
}

std::string memoryOf(const Json &run)
{
	auto res = run.find("result");
	if (res == run.end() || !res->is_object())
		return "-";
	return orDash(intField(*res, "memory_peak_bytes"), formatSize);
}

std::string attemptsTable(const Json &job)
{
	auto it = job.find("attempts");
	if (it == job.end() || !it->is_array() || it->empty())
		return "";
	std::vector<const Json *> runs;
	for (const auto &r : *it)
		runs.push_back(&r);
	std::stable_sort(runs.begin(), runs.end(), [](const Json *a, const Json *b) {
		return std::pair(intField(*a, "index"), intField(*a, "attempt")) <
		       std::pair(intField(*b, "index"), intField(*b, "attempt"));
	});
	using A = Table::Align;
	Table t({ { "RUN", A::Right }, { "ATTEMPT", A::Right }, { "STATE" }, { "EXIT", A::Right },
		  { "WALL", A::Right }, { "CPU", A::Right }, { "MEMORY", A::Right }, { "REASON" } });
	for (const Json *r : runs) {
		auto index = intField(*r, "index"), attempt = intField(*r, "attempt");
		t.add({ index ? std::to_string(*index) : "-", attempt ? std::to_string(*attempt) : "-",
			printable(stringField(*r, "state")), exitText(*r), wallOf(*r), cpuOf(*r), memoryOf(*r),
			reasonOf(*r) });
	}
	return t.render();
}

} /* namespace */

std::string renderJob(const Json &job)
{
	auto line = [](const char *label, const std::string &value) {
		std::string l = std::string(label) + ":";
		l.resize(std::max<size_t>(l.size() + 1, 11), ' ');
		return l + value + "\n";
	};
	std::string out;
	auto id = intField(job, "id");
	out += line("Job", id ? std::to_string(*id) : "-");
	out += line("State", printable(stringField(job, "state")));
	std::string user = printable(stringField(job, "user"));
	if (auto uid = intField(job, "uid"))
		user += " (uid " + std::to_string(*uid) + ")";
	out += line("User", user);
	out += line("Command", shellJoin(argvOf(job)));
	out += line("Runs", runsLine(job));
	out += line("Limits", limitsLine(job));
	if (std::string meta = metaLine(job); !meta.empty())
		out += line("Meta", meta);
	auto created = intField(job, "created_at_ms");
	auto finished = intField(job, "finished_at_ms");
	if (created)
		out += line("Created", localTime(*created) + " (" + formatAge(nowMs() - *created) + " ago)");
	if (finished)
		out += line("Finished", localTime(*finished) +
					 (created && *finished >= *created
						  ? " (took " + formatDurationMs(static_cast<uint64_t>(*finished - *created)) + ")"
						  : ""));
	if (std::string table = attemptsTable(job); !table.empty())
		out += "\n" + table;
	return out;
}

std::string renderJobList(const Json &list, const ListStyle &style)
{
	using A = Table::Align;
	std::vector<Table::Column> columns = { { "ID", A::Right } };
	if (style.showUser)
		columns.push_back({ "USER" });
	for (const char *title : { "STATE", "RUNS" })
		columns.push_back({ title });
	columns.push_back({ "AGE", A::Right });
	columns.push_back({ "COMMAND" });

	/* Widths of everything before COMMAND, to give it what is left of the line. */
	std::vector<std::vector<std::string>> rows;
	size_t before = 0;
	if (auto jobs = list.find("jobs"); jobs != list.end() && jobs->is_array()) {
		for (const auto &job : *jobs) {
			auto id = intField(job, "id");
			auto created = intField(job, "created_at_ms");
			std::vector<std::string> row = { id ? std::to_string(*id) : "-" };
			if (style.showUser)
				row.push_back(printable(stringField(job, "user")));
			row.push_back(printable(stringField(job, "state")));
			row.push_back(runsDone(job));
			row.push_back(created ? formatAge(nowMs() - *created) : "-");
			size_t w = 0;
			for (const auto &cell : row)
				w += displayWidth(cell) + 2;
			before = std::max(before, w);
			row.push_back(shellJoin(argvOf(job)));
			rows.push_back(std::move(row));
		}
	}
	/* Off a terminal nothing says how wide; keep lines readable anyway. */
	size_t commandWidth = style.width > before + 20 ? style.width - before - 1 : 60;
	Table t(std::move(columns));
	for (auto &row : rows) {
		row.back() = truncated(row.back(), commandWidth);
		t.add(std::move(row));
	}
	std::string out = t.empty() ? "No jobs.\n" : t.render();

	auto cap = list.find("capacity");
	if (cap != list.end() && cap->is_object()) {
		/* "1 run", "2 runs"; "?" when a field is missing. */
		auto n = [&](const char *key, const char *noun) {
			auto v = intField(*cap, key);
			std::string count = v ? std::to_string(*v) : "?";
			return noun ? count + " " + noun + (v && *v == 1 ? "" : "s") : count;
		};
		out += "\nCapacity: " + n("slots_used", nullptr) + "/" + n("slots_total", nullptr) + " slots used, " +
		       n("running_runs", "run") + " running, " + n("queued_runs", "run") + " and " +
		       n("queued_jobs", "job") + " queued\n";
	}
	return out;
}

int printJobReply(const Json &parameters, bool json)
{
	auto job = parameters.find("job");
	if (job == parameters.end() || !job->is_object())
		return fail(kExitUnreachable, "benchd's reply has no job: " + parameters.dump());
	std::fputs(json ? renderJson(*job).c_str() : renderJob(*job).c_str(), stdout);
	return kExitOk;
}

std::string renderJson(const Json &value)
{
	return value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

} /* namespace benchd::ctl */
