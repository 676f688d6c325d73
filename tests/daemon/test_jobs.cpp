/* SPDX-License-Identifier: MIT */
/*
 * The daemon end to end: jobs in, runs out, logs, cancel, retry, and
 * who may see what. A real benchd per test, real sandboxes, real SQLite.
 */
#include <chrono>
#include <ctime>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.hpp"
#include "protocol/varlink.hpp"

using namespace benchd::test;

TestSuite(jobs, .fini = TestDaemon::atTestEnd, .timeout = 300);

namespace {

const char *kSubmit = "io.benchd.Supervisor.Submit";
const char *kStatus = "io.benchd.Supervisor.Status";
const char *kList = "io.benchd.Supervisor.List";
const char *kCancel = "io.benchd.Supervisor.Cancel";
const char *kRetry = "io.benchd.Supervisor.Retry";
const char *kLogs = "io.benchd.Supervisor.Logs";

int64_t nowMs()
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

} /* namespace */

Test(jobs, a_job_of_several_runs_completes_and_reports_each_run)
{
	TestDaemon d;
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", "echo out; echo err >&2; exit 0" }, 3);
	Json job = waitJob(d.socket(), id);
	cr_assert_eq(job["state"], "completed", "%s\n%s", job.dump().c_str(), d.log().c_str());
	cr_expect_eq(job["attempts"].size(), 3u);
	for (const auto &run : job["attempts"]) {
		cr_expect_eq(run["state"], "completed");
		cr_expect_eq(run["result"]["status"], "ok");
		cr_expect_eq(run["stdout_bytes"], 4);
		cr_expect_eq(run["stderr_bytes"], 4);
	}
	cr_expect_eq(fetchLogs(d.socket(), id, 2, "stderr"), "err\n");
	cr_expect(d.sandboxProcesses().empty());
}

Test(jobs, a_submit_is_durable_before_it_is_acknowledged)
{
	TestDaemon d;
	int64_t id = submitJob(d.socket(), { "/bin/true" });
	/* The reply came, so the row is on disk: a second reader (sqlite3) sees it now. */
	auto out = runCommand({ "sqlite3", d.stateDir() + "/benchd.db", "SELECT id FROM jobs WHERE id=" + std::to_string(id) });
	cr_expect_eq(out.out, std::to_string(id) + "\n", "%s %s", out.out.c_str(), out.err.c_str());
	waitJob(d.socket(), id);
}

Test(jobs, failures_and_limits_come_back_as_result_records)
{
	TestDaemon d;
	int64_t fail = submitJob(d.socket(), { "/bin/sh", "-c", "exit 7" });
	int64_t slow = submitJob(d.socket(), { "/bin/sleep", "30" }, 1, { { "limits", { { "timeout_ms", 500 } } } });
	Json f = waitJob(d.socket(), fail);
	cr_expect_eq(f["state"], "failed");
	cr_expect_eq(f["attempts"][0]["result"]["exit_code"], 7);
	cr_expect_eq(f["attempts"][0]["result"]["status"], "exit_nonzero");
	Json s = waitJob(d.socket(), slow);
	cr_expect_eq(s["state"], "timed_out", "%s", s.dump().c_str());
	cr_expect_eq(s["attempts"][0]["result"]["status"], "timed_out");
}

Test(jobs, logs_are_exact_bytes_even_for_100_megabytes)
{
	TestDaemon d(Keys{ { "defaults.log_cap", "\"256M\"" }, { "defaults.timeout", "\"5m\"" } });
	/* 100,000,000 bytes: 11,111,111 lines of "%08.0f\n" (9 bytes each) and one NUL byte. */
	const long lines = 11111111;
	std::string script = "seq -f '%08.0f' 1 " + std::to_string(lines) + "; head -c 1 /dev/zero";
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", script });
	Json job = waitJob(d.socket(), id, 240000);
	cr_assert_eq(job["state"], "completed", "%s", job.dump().c_str());
	auto expected = runCommand({ "/bin/sh", "-c", script });
	cr_assert_eq(expected.out.size(), 100000000u);
	std::string got = fetchLogs(d.socket(), id);
	cr_expect_eq(got.size(), expected.out.size());
	cr_expect(got == expected.out, "log bytes differ from what the job wrote");
	cr_expect_eq(job["attempts"][0]["stdout_bytes"], 100000000);
	cr_expect_eq(job["attempts"][0]["log_truncated"], false);
}

Test(jobs, output_over_the_cap_is_truncated_marked_and_recorded)
{
	TestDaemon d(Keys{ { "defaults.log_cap", "\"64K\"" } });
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a" });
	Json job = waitJob(d.socket(), id);
	cr_assert_eq(job["state"], "completed", "the job must not be blocked by the cap: %s", job.dump().c_str());
	cr_expect_eq(job["attempts"][0]["log_truncated"], true);
	std::string log = fetchLogs(d.socket(), id);
	cr_expect_eq(log.substr(0, 65536), std::string(65536, 'a'));
	cr_expect(log.find("[benchd: output truncated") != std::string::npos, "no marker: %s", log.substr(65536).c_str());
}

Test(jobs, logs_resume_from_an_offset)
{
	TestDaemon d;
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", "printf 'abcdefghij'" });
	waitJob(d.socket(), id);
	VarlinkClient c(d.socket());
	Reply r = c.call(kLogs, { { "id", id }, { "offset", 4 } });
	cr_assert(r.error.empty(), "%s", r.error.c_str());
	cr_expect_eq(*benchd::protocol::base64Decode(r.parameters["data"].get<std::string>()), "efghij");
	cr_expect_eq(r.parameters["offset"], 10);
	cr_expect_eq(r.parameters["eof"], true);
}

Test(jobs, follow_streams_bytes_as_written_and_ends_with_the_run)
{
	TestDaemon d;
	/* The job prints the wall clock (ms) when it writes; we compare with when it arrives. */
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c",
					     "sleep 0.5; echo $(($(date +%s%N)/1000000)); sleep 1; "
					     "echo $(($(date +%s%N)/1000000)); sleep 0.5" });
	VarlinkClient c(d.socket());
	c.sendRaw(benchd::protocol::encodeCall({ kLogs, { { "id", id }, { "follow", true } }, true }));
	std::vector<int64_t> latencies;
	std::string all;
	bool ended = false;
	while (auto r = c.read(30000)) {
		cr_assert(r->error.empty(), "%s %s", r->error.c_str(), r->parameters.dump().c_str());
		std::string data = *benchd::protocol::base64Decode(r->parameters["data"].get<std::string>());
		int64_t arrived = nowMs();
		for (size_t pos = 0; (pos = data.find('\n')) != std::string::npos;) {
			latencies.push_back(arrived - std::stoll(data.substr(0, pos)));
			all += data.substr(0, pos + 1);
			data.erase(0, pos + 1);
		}
		if (!r->continues) {
			ended = true;
			cr_expect_eq(r->parameters["eof"], true);
			break;
		}
	}
	cr_expect(ended, "the stream did not end with the run");
	cr_assert_eq(latencies.size(), 2u, "got: %s", all.c_str());
	for (int64_t l : latencies)
		cr_expect(l >= 0 && l < 500, "a line took %ld ms to arrive", static_cast<long>(l));
	cr_expect_eq(waitJob(d.socket(), id)["state"], "completed");
}

Test(jobs, cancel_aborts_queued_and_running_runs)
{
	TestDaemon d(Keys{ { "limits.slots", "1" } });
	int64_t running = submitJob(d.socket(), { "/bin/sleep", "100" });
	waitFor(d.socket(), running, [](const Json &j) { return j["summary"].contains("running"); });
	VarlinkClient c(d.socket());
	Reply r = c.call(kCancel, { { "id", running } });
	cr_assert(r.error.empty(), "%s", r.error.c_str());
	Json job = waitJob(d.socket(), running, 20000);
	cr_expect_eq(job["state"], "aborted", "%s", job.dump().c_str());
	cr_expect_eq(job["attempts"][0]["state"], "aborted");
	cr_expect(d.sandboxProcesses().empty(), "the cancelled run's processes survived");

	/* A queued job (behind a long one) is aborted without ever starting. */
	int64_t blocker = submitJob(d.socket(), { "/bin/sleep", "100" });
	int64_t queued = submitJob(d.socket(), { "/bin/true" });
	Reply q = c.call(kCancel, { { "id", queued } });
	cr_assert(q.error.empty());
	Json qj = waitJob(d.socket(), queued, 5000);
	cr_expect_eq(qj["state"], "aborted");
	cr_expect(qj["attempts"][0]["started_at_ms"].is_null(), "a cancelled queued run started");
	/* Cancelling something finished says so. */
	Reply again = c.call(kCancel, { { "id", queued } });
	cr_expect_eq(again.error, "io.benchd.Supervisor.AlreadyFinished");
	c.call(kCancel, { { "id", blocker } });
}

Test(jobs, retry_reruns_only_what_did_not_complete)
{
	TestDaemon d;
	/* Run 0 fails on its first attempt only; run 1 succeeds: only run 0 gets a new attempt. */
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c",
					     "test \"$BENCHD_RUN_INDEX\" = 1 || test \"$BENCHD_ATTEMPT\" = 2" }, 2);
	Json first = waitJob(d.socket(), id);
	cr_assert_eq(first["state"], "failed", "%s", first.dump().c_str());
	VarlinkClient c(d.socket());
	Reply r = c.call(kRetry, { { "id", id } });
	cr_assert(r.error.empty(), "%s %s", r.error.c_str(), r.parameters.dump().c_str());
	Json job = waitJob(d.socket(), id);
	cr_assert_eq(job["attempts"].size(), 3u, "%s", job.dump().c_str());
	const Json *retried = nullptr;
	for (const auto &a : job["attempts"])
		if (a["attempt"] == 2)
			retried = &a;
	cr_assert(retried);
	cr_expect_eq((*retried)["index"], 0);
	cr_expect_eq((*retried)["replaces"], job["attempts"][0]["id"]);
	cr_expect_eq((*retried)["state"], "completed");
	cr_expect_eq(job["state"], "completed", "%s", job.dump().c_str());

	int64_t ok = submitJob(d.socket(), { "/bin/true" });
	waitJob(d.socket(), ok);
	Reply none = c.call(kRetry, { { "id", ok } });
	cr_expect_eq(none.error, "io.benchd.Supervisor.NotRetryable");
}

Test(jobs, users_see_follow_and_cancel_only_their_own_jobs)
{
	TestDaemon d;
	uid_t alice = testUser(0), bob = testUser(1);
	Reply sub = callAs(alice, d.socket(), kSubmit, { { "argv", { "/bin/sleep", "30" } } });
	cr_assert(sub.error.empty(), "alice could not submit: %s %s", sub.error.c_str(), d.log().c_str());
	int64_t id = sub.parameters["id"].get<int64_t>();

	cr_expect_eq(callAs(bob, d.socket(), kStatus, { { "id", id } }).error, "io.benchd.Supervisor.PermissionDenied");
	cr_expect_eq(callAs(bob, d.socket(), kCancel, { { "id", id } }).error, "io.benchd.Supervisor.PermissionDenied");
	cr_expect_eq(callAs(bob, d.socket(), kLogs, { { "id", id } }).error, "io.benchd.Supervisor.PermissionDenied");
	cr_expect_eq(callAs(bob, d.socket(), kList, { { "all", true } }).parameters["jobs"].size(), 0u,
		     "bob sees alice's job");
	Reply mine = callAs(alice, d.socket(), kStatus, { { "id", id } });
	cr_expect(mine.error.empty());
	cr_expect_eq(mine.parameters["job"]["uid"], alice);
	/* Root sees everyone's. */
	VarlinkClient root(d.socket());
	cr_expect_eq(root.call(kList, { { "all", true } }).parameters["jobs"].size(), 1u);
	cr_expect(callAs(alice, d.socket(), kCancel, { { "id", id } }).error.empty());
	waitJob(d.socket(), id);
}

Test(jobs, identity_comes_from_the_socket_not_from_the_request)
{
	TestDaemon d;
	uid_t alice = testUser(0);
	Reply sub = callAs(alice, d.socket(), kSubmit, { { "argv", { "/bin/true" } }, { "uid", 0 }, { "user", "root" } });
	cr_assert(sub.error.empty(), "%s", sub.error.c_str());
	Json job = waitJob(d.socket(), sub.parameters["id"].get<int64_t>());
	cr_expect_eq(job["uid"], alice);
}

Test(jobs, bad_requests_name_the_parameter)
{
	TestDaemon d;
	VarlinkClient c(d.socket());
	Reply r = c.call(kSubmit, { { "argv", Json::array() } });
	cr_expect_eq(r.error, "io.benchd.Supervisor.InvalidArgument");
	cr_expect_eq(r.parameters["parameter"], "argv");
	Reply big = c.call(kSubmit, { { "argv", { "/bin/true" } }, { "limits", { { "memory_bytes", 1ull << 50 } } } });
	cr_expect_eq(big.parameters["parameter"], "limits.memory_bytes", "%s", big.parameters.dump().c_str());
	Reply missing = c.call(kStatus, { { "id", 999 } });
	cr_expect_eq(missing.error, "io.benchd.Supervisor.JobNotFound");
	Reply unknown = c.call("io.benchd.Supervisor.Frobnicate", {});
	cr_expect_eq(unknown.error, "org.varlink.service.MethodNotFound");
	Reply info = c.call("org.varlink.service.GetInterfaceDescription", { { "interface", "io.benchd.Supervisor" } });
	cr_expect(info.parameters["description"].get<std::string>().find("method Submit") != std::string::npos);
}

Test(jobs, following_a_run_that_writes_and_ends_at_once_ends_promptly)
{
	/* A run's last bytes and its end can arrive while a read is in flight. */
	TestDaemon d;
	for (int i = 0; i < 20; i++) {
		int64_t id = submitJob(d.socket(), { "/bin/echo", "x" });
		VarlinkClient c(d.socket());
		c.sendRaw(benchd::protocol::encodeCall({ kLogs, { { "id", id }, { "follow", true } }, true }));
		std::string got;
		bool ended = false;
		while (auto r = c.read(3000)) {
			got += *benchd::protocol::base64Decode(r->parameters["data"].get<std::string>());
			cr_expect_eq(r->parameters["attempt"], 1);
			if (!r->continues) {
				ended = true;
				break;
			}
		}
		cr_assert(ended, "follow %d did not end within 3 s after the run did (got '%s')", i, got.c_str());
		cr_expect_eq(got, "x\n");
	}
}

Test(jobs, only_the_socket_group_may_connect)
{
	TestDaemon d;
	struct stat st;
	cr_assert_eq(stat(d.socket().c_str(), &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0660u);
	cr_expect_eq(st.st_gid, kUsersGid);
	/* A uid outside the group "users" is refused by the kernel before benchd sees it. */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, nullptr) || setresgid(65534, 65534, 65534) || setresuid(testUser(5), testUser(5), testUser(5)))
			_exit(3);
		VarlinkClient c(d.socket());
		_exit(c.connected() ? 1 : 0);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a user outside the socket group connected (status %d)",
		  status);
}
