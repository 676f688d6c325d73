/* SPDX-License-Identifier: MIT */
/*
 * kill -9 (and a clean stop) at each point of a run's life, then a
 * restart on the same state: no job is left running forever, none is
 * lost, none runs twice at once.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.hpp"
#include "protocol/varlink.hpp"

using namespace benchd::test;

TestSuite(recovery, .fini = TestDaemon::atTestEnd, .timeout = 300);

namespace {

/* After the daemon died, its sandboxes die too (parent-death signal). */
void expectSandboxesGone(const TestDaemon &d)
{
	for (int i = 0; i < 100 && !d.sandboxProcesses().empty(); i++)
		usleep(20000);
	cr_expect(d.sandboxProcesses().empty(), "a sandbox outlived its daemon");
}

/* The job's attempts: the first failed because of the restart, the second completed. */
void expectRetriedOnce(const Json &job, const char *wasState)
{
	cr_assert_eq(job["state"], "completed", "%s", job.dump(2).c_str());
	cr_assert_eq(job["attempts"].size(), 2u, "%s", job.dump(2).c_str());
	const Json &first = job["attempts"][0];
	const Json &second = job["attempts"][1];
	cr_expect_eq(first["state"], "failed");
	std::string reason = first["reason"].get<std::string>();
	cr_expect(reason.find(std::string("the daemon restarted while the run was ") + wasState) == 0, "%s",
		  reason.c_str());
	cr_expect_eq(second["replaces"], first["id"]);
	cr_expect_eq(second["state"], "completed");
	/* Never two at once: the retry started after the first attempt was finished. */
	cr_expect_geq(second["started_at_ms"].get<int64_t>(), first["finished_at_ms"].get<int64_t>());
}

} /* namespace */

Test(recovery, kill_9_while_running_fails_the_run_and_retries_it)
{
	TestDaemon d;
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", "sleep 2; echo done" });
	waitFor(d.socket(), id, [](const Json &j) { return j["summary"].contains("running"); });
	d.crash();
	expectSandboxesGone(d);
	d.start();
	Json job = waitJob(d.socket(), id);
	expectRetriedOnce(job, "running");
	cr_expect_eq(fetchLogs(d.socket(), id), "done\n");
}

Test(recovery, kill_9_while_queued_keeps_the_job_queued)
{
	TestDaemon d(Keys{ { "limits.slots", "1" } });
	int64_t blocker = submitJob(d.socket(), { "/bin/sleep", "1" });
	waitFor(d.socket(), blocker, [](const Json &j) { return j["summary"].contains("running"); });
	int64_t queued = submitJob(d.socket(), { "/bin/true" });
	d.crash();
	expectSandboxesGone(d);
	d.start();
	Json q = waitJob(d.socket(), queued);
	cr_expect_eq(q["state"], "completed");
	cr_expect_eq(q["attempts"].size(), 1u, "a queued run needs no retry: %s", q.dump().c_str());
	expectRetriedOnce(waitJob(d.socket(), blocker), "running");
}

Test(recovery, kill_9_right_after_preparing_is_committed)
{
	TestDaemon d(Keys{}, { { "BENCHD_CRASH_AT", "preparing" } });
	VarlinkClient c(d.socket());
	c.sendRaw(benchd::protocol::encodeCall({ "io.benchd.Supervisor.Submit", { { "argv", { "/bin/true" } } } }));
	cr_assert(d.waitExit(20000), "the crash hook did not fire");
	d.setEnv({});
	d.start();
	expectSandboxesGone(d);
	expectRetriedOnce(waitJob(d.socket(), 1), "preparing");
}

Test(recovery, kill_9_right_after_parsing_is_committed)
{
	TestDaemon d(Keys{}, { { "BENCHD_CRASH_AT", "parsing" } });
	VarlinkClient c(d.socket());
	c.sendRaw(benchd::protocol::encodeCall({ "io.benchd.Supervisor.Submit", { { "argv", { "/bin/true" } } } }));
	cr_assert(d.waitExit(20000), "the crash hook did not fire");
	d.setEnv({});
	d.start();
	expectRetriedOnce(waitJob(d.socket(), 1), "parsing");
}

Test(recovery, a_submit_committed_just_before_a_crash_is_not_lost)
{
	TestDaemon d(Keys{}, { { "BENCHD_CRASH_AT", "submit" } });
	VarlinkClient c(d.socket());
	c.sendRaw(benchd::protocol::encodeCall({ "io.benchd.Supervisor.Submit", { { "argv", { "/bin/true" } } } }));
	cr_assert(d.waitExit(20000), "the crash hook did not fire");
	d.setEnv({});
	d.start();
	Json job = waitJob(d.socket(), 1);
	cr_expect_eq(job["state"], "completed", "%s", job.dump().c_str());
	cr_expect_eq(job["attempts"].size(), 1u);
}

Test(recovery, a_clean_stop_records_running_runs_and_the_next_start_retries_them)
{
	TestDaemon d;
	int64_t id = submitJob(d.socket(), { "/bin/sleep", "1" });
	waitFor(d.socket(), id, [](const Json &j) { return j["summary"].contains("running"); });
	int status = d.stop();
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "stop status %d:\n%s", status, d.log().c_str());
	cr_expect(d.sandboxProcesses().empty());
	d.start();
	Json job = waitJob(d.socket(), id);
	cr_assert_eq(job["attempts"].size(), 2u, "%s", job.dump(2).c_str());
	cr_expect_eq(job["attempts"][0]["reason"], "the daemon stopped");
	cr_expect_eq(job["state"], "completed");
}

Test(recovery, retries_for_restarts_stop_at_auto_retries)
{
	TestDaemon d(Keys{ { "limits.auto_retries", "1" } });
	int64_t id = submitJob(d.socket(), { "/bin/sleep", "30" });
	for (int crash = 0; crash < 2; crash++) {
		waitFor(d.socket(), id, [](const Json &j) { return j["summary"].contains("running"); });
		d.crash();
		expectSandboxesGone(d);
		d.start();
	}
	Json job = waitJob(d.socket(), id, 20000);
	cr_expect_eq(job["state"], "failed", "%s", job.dump(2).c_str());
	cr_expect_eq(job["attempts"].size(), 2u);
}

Test(recovery, the_watchdog_finishes_a_run_nobody_supervises_and_retries_it)
{
	TestDaemon d(Keys{ { "limits.slots", "1" } });
	int64_t blocker = submitJob(d.socket(), { "/bin/sleep", "2" });
	waitFor(d.socket(), blocker, [](const Json &j) { return j["summary"].contains("running"); });
	int64_t id = submitJob(d.socket(), { "/bin/true" });
	Json job = waitFor(d.socket(), id, [](const Json &) { return true; });
	int64_t runId = job["attempts"][0]["id"].get<int64_t>();
	/* Behind the daemon's back (as a failed commit or a bug would leave it): "running", no sandbox. */
	auto r = runCommand({ "sqlite3", "-cmd", ".timeout 5000", d.stateDir() + "/benchd.db",
			      "UPDATE runs SET state = 'running', started_at = 0 WHERE id = " + std::to_string(runId) });
	cr_assert_eq(r.code(), 0, "%s", r.err.c_str());
	Json done = waitJob(d.socket(), id, 30000);
	cr_assert_eq(done["state"], "completed", "%s\n%s", done.dump(2).c_str(), d.log().c_str());
	cr_assert_eq(done["attempts"].size(), 2u);
	std::string reason = done["attempts"][0]["reason"].get<std::string>();
	cr_expect(reason.rfind("watchdog: no sandbox is supervising this run", 0) == 0, "%s", reason.c_str());
	cr_expect_eq(done["attempts"][1]["state"], "completed");
	cr_expect_eq(waitJob(d.socket(), blocker)["state"], "completed");
}

Test(recovery, nothing_new_starts_while_the_daemon_stops)
{
	TestDaemon d(Keys{ { "limits.slots", "1" } });
	int64_t running = submitJob(d.socket(), { "/bin/sleep", "30" });
	waitFor(d.socket(), running, [](const Json &j) { return j["summary"].contains("running"); });
	int64_t queued = submitJob(d.socket(), { "/bin/true" });
	d.stop();
	d.start();
	Json q = waitJob(d.socket(), queued);
	cr_expect_eq(q["state"], "completed");
	cr_expect_eq(q["attempts"].size(), 1u, "the queued job was started (and killed) during the stop: %s",
		     q.dump(2).c_str());
	VarlinkClient c(d.socket());
	c.call("io.benchd.Supervisor.Cancel", { { "id", running } });
}
