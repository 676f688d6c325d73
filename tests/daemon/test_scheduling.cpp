/* SPDX-License-Identifier: MIT */
/*
 * Fair scheduling, caps and saturation, observed from the runs' own
 * start and finish times in a real daemon.
 */
#include <algorithm>
#include <csignal>
#include <unistd.h>

#include "daemon.hpp"

using namespace benchd::test;

TestSuite(scheduling, .fini = TestDaemon::atTestEnd, .timeout = 300);

namespace {

const char *kSubmit = "io.benchd.Supervisor.Submit";

int64_t submitAs(uid_t uid, const TestDaemon &d, const std::vector<std::string> &argv, int runs = 1)
{
	Reply r = callAs(uid, d.socket(), kSubmit, { { "argv", argv }, { "runs", runs } });
	cr_assert(r.error.empty(), "submit as %u refused: %s %s", uid, r.error.c_str(), r.parameters.dump().c_str());
	return r.parameters["id"].get<int64_t>();
}

struct Span {
	int64_t job;
	int64_t start;
	int64_t end;
};

/* Every attempt's [start, end] of these jobs, by start time. */
std::vector<Span> spans(const TestDaemon &d, const std::vector<int64_t> &jobs)
{
	std::vector<Span> out;
	for (int64_t id : jobs) {
		Json job = waitJob(d.socket(), id, 120000);
		cr_assert(isTerminal(job["state"].get<std::string>()), "job %ld did not finish", static_cast<long>(id));
		for (const auto &a : job["attempts"])
			if (!a["started_at_ms"].is_null())
				out.push_back({ id, a["started_at_ms"].get<int64_t>(), a["finished_at_ms"].get<int64_t>() });
	}
	std::sort(out.begin(), out.end(), [](const Span &a, const Span &b) { return a.start < b.start; });
	return out;
}

/* Most spans open at any moment. */
int maxOverlap(const std::vector<Span> &s)
{
	int best = 0;
	for (const auto &a : s) {
		int open = 0;
		for (const auto &b : s)
			open += b.start <= a.start && a.start < b.end;
		best = std::max(best, open);
	}
	return best;
}

} /* namespace */

Test(scheduling, round_robin_across_users_then_fifo_within_a_user)
{
	TestDaemon d(Keys{ { "limits.slots", "1" }, { "limits.user_queued_jobs", "10" } });
	uid_t a = testUser(0), b = testUser(1), c = testUser(2), gate = testUser(3);
	/* Hold the only slot while everyone queues. */
	int64_t blocker = submitAs(gate, d, { "/bin/sleep", "2" });
	waitFor(d.socket(), blocker, [](const Json &j) { return j["summary"].contains("running"); });
	std::vector<int64_t> aJobs;
	for (int i = 0; i < 4; i++)
		aJobs.push_back(submitAs(a, d, { "/bin/true" }));
	int64_t bJob = submitAs(b, d, { "/bin/true" });
	int64_t cJob = submitAs(c, d, { "/bin/true" });

	auto order = spans(d, { aJobs[0], aJobs[1], aJobs[2], aJobs[3], bJob, cJob });
	std::vector<int64_t> got;
	for (const auto &s : order)
		got.push_back(s.job);
	std::vector<int64_t> want = { aJobs[0], bJob, cJob, aJobs[1], aJobs[2], aJobs[3] };
	std::string text;
	for (auto j : got)
		text += std::to_string(j) + " ";
	cr_expect(got == want, "start order %s; wanted a1 b c a2 a3 a4", text.c_str());
}

Test(scheduling, a_user_with_many_queued_runs_cannot_starve_a_user_with_one)
{
	TestDaemon d(Keys{ { "limits.slots", "1" } });
	uid_t heavy = testUser(0), light = testUser(1);
	int64_t big = submitAs(heavy, d, { "/bin/sleep", "0.2" }, 20);
	waitFor(d.socket(), big, [](const Json &j) { return j["summary"].contains("running"); });
	int64_t small = submitAs(light, d, { "/bin/true" });
	Json s = waitJob(d.socket(), small, 60000);
	cr_assert_eq(s["state"], "completed");
	int64_t lightStart = s["attempts"][0]["started_at_ms"].get<int64_t>();
	Json b = waitJob(d.socket(), big, 120000);
	int before = 0;
	for (const auto &a : b["attempts"])
		before += a["started_at_ms"].get<int64_t>() < lightStart;
	cr_expect(before <= 2, "the one-run user waited behind %d of 20 runs", before);
}

Test(scheduling, queue_caps_refuse_naming_the_cap_and_its_value)
{
	TestDaemon d(Keys{ { "limits.slots", "1" }, { "limits.user_queued_jobs", "2" } });
	uid_t u = testUser(0);
	int64_t running = submitAs(u, d, { "/bin/sleep", "30" });
	waitFor(d.socket(), running, [](const Json &j) { return j["summary"].contains("running"); });
	submitAs(u, d, { "/bin/true" });
	submitAs(u, d, { "/bin/true" });
	Reply r = callAs(u, d.socket(), kSubmit, { { "argv", { "/bin/true" } } });
	cr_expect_eq(r.error, "io.benchd.Supervisor.QueueFull");
	cr_expect_eq(r.parameters["limit"], "user_queued_jobs");
	cr_expect_eq(r.parameters["value"], 2);
	cr_expect(r.parameters["reason"].get<std::string>().find("2") != std::string::npos, "%s",
		  r.parameters.dump().c_str());
	/* Another user is not affected by this user's cap. */
	cr_expect(callAs(testUser(1), d.socket(), kSubmit, { { "argv", { "/bin/true" } } }).error.empty());
	VarlinkClient c(d.socket());
	c.call("io.benchd.Supervisor.Cancel", { { "id", running } });
}

Test(scheduling, a_user_runs_one_job_at_a_time_by_default)
{
	TestDaemon d(Keys{ { "limits.slots", "3" } });
	uid_t u = testUser(0);
	int64_t j1 = submitAs(u, d, { "/bin/sleep", "0.5" });
	int64_t j2 = submitAs(u, d, { "/bin/sleep", "0.5" });
	auto s = spans(d, { j1, j2 });
	cr_assert_eq(s.size(), 2u);
	cr_expect_geq(s[1].start, s[0].end, "the user's second job started before the first ended");
}

Test(scheduling, a_jobs_parallel_runs_are_capped)
{
	TestDaemon d(Keys{ { "limits.slots", "4" }, { "limits.job_parallel_runs", "2" } });
	int64_t id = submitJob(d.socket(), { "/bin/sleep", "0.4" }, 5);
	auto s = spans(d, { id });
	cr_assert_eq(s.size(), 5u);
	cr_expect_eq(maxOverlap(s), 2, "overlap %d", maxOverlap(s));
}

Test(scheduling, saturation_queues_instead_of_starting)
{
	TestDaemon d(Keys{ { "limits.slots", "1" } });
	std::vector<int64_t> jobs;
	for (int i = 0; i < 3; i++)
		jobs.push_back(submitAs(testUser(i), d, { "/bin/sleep", "0.5" }));
	VarlinkClient c(d.socket());
	Json cap = c.call("io.benchd.Supervisor.List", {}).parameters["capacity"];
	cr_expect_eq(cap["slots_total"], 1);
	cr_expect_leq(cap["running_runs"].get<int>(), 1);
	auto s = spans(d, jobs);
	cr_expect_eq(maxOverlap(s), 1);
}

Test(scheduling, an_orgs_cap_holds_across_its_users)
{
	TestDaemon d(Keys{ { "limits.slots", "4" },
			   { "orgs.acme", "{ users = [\"" + std::to_string(testUser(0)) + "\", \"" +
						  std::to_string(testUser(1)) + "\"], active_runs = 1 }" } });
	int64_t a = submitAs(testUser(0), d, { "/bin/sleep", "0.5" });
	int64_t b = submitAs(testUser(1), d, { "/bin/sleep", "0.5" });
	int64_t outsider = submitAs(testUser(2), d, { "/bin/sleep", "0.5" });
	auto org = spans(d, { a, b });
	cr_expect_eq(maxOverlap(org), 1, "the org ran %d at once", maxOverlap(org));
	auto all = spans(d, { a, b, outsider });
	cr_expect_eq(maxOverlap(all), 2, "the outsider should run beside the org");
}

Test(scheduling, sighup_reloads_limits_without_touching_running_jobs)
{
	TestDaemon d(Keys{ { "limits.slots", "1" } });
	int64_t running = submitJob(d.socket(), { "/bin/sleep", "2" });
	waitFor(d.socket(), running, [](const Json &j) { return j["summary"].contains("running"); });
	std::string config = readFile(d.configPath());
	auto pos = config.find("slots = 1");
	cr_assert(pos != std::string::npos);
	config.replace(pos, 9, "slots = 3");
	writeFile(d.configPath(), config);
	kill(d.pid(), SIGHUP);
	VarlinkClient c(d.socket());
	Json cap;
	for (int i = 0; i < 100; i++) {
		cap = c.call("io.benchd.Supervisor.List", {}).parameters["capacity"];
		if (cap["slots_total"] == 3)
			break;
		usleep(20000);
	}
	cr_expect_eq(cap["slots_total"], 3, "%s", d.log().c_str());
	cr_expect_eq(waitJob(d.socket(), running)["state"], "completed", "the running job was disturbed");

	/* A broken file is refused and the running configuration kept. */
	writeFile(d.configPath(), config + "[limits\n");
	kill(d.pid(), SIGHUP);
	usleep(300000);
	cr_expect(d.log().find("reload refused") != std::string::npos);
	cr_expect(c.call("io.benchd.Supervisor.List", {}).parameters["capacity"]["slots_total"] == 3);
}
