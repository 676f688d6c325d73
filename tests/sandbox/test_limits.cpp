/* SPDX-License-Identifier: MIT */
/*
 * Limits hold, and the result says which one acted.
 */
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "oneshot.hpp"

using namespace benchd::test;

TestSuite(limits, .timeout = 180);

Test(limits, memory_hog_is_oom_killed_and_reported)
{
	auto r = oneshot({ "--memory", "64M" }, { kProbe, "hog" });
	expect_exit(r.cmd, 137);
	cr_assert(r.result.is_object(), "no result file");
	cr_expect_eq(r.result["status"], "memory_limit", "%s", r.result.dump().c_str());
	cr_expect_eq(r.result["oom_killed"], true);
	cr_expect_eq(r.result["signal"], 9);
	if (!r.result["memory_peak_bytes"].is_null()) {
		auto peak = r.result["memory_peak_bytes"].get<uint64_t>();
		cr_expect(peak > (32u << 20) && peak <= (64u << 20) + (1u << 20), "peak %lu", peak);
	}
}

Test(limits, fork_bomb_is_held_by_pids_max_and_the_host_is_unaffected)
{
	auto r = oneshot({ "--pids", "32", "--timeout", "20s" }, { kProbe, "forkbomb", "5000" });
	expect_exit(r.cmd, 0);
	cr_expect_eq(r.field("fork"), "EAGAIN", "%s", r.cmd.out.c_str());
	int forked = std::stoi(r.field("forked"));
	/* init + the probe + its children must fit in 32. */
	cr_expect(forked <= 30 && forked >= 20, "forked %d", forked);
	cr_expect_eq(r.result["pids_limit_hit"], true, "%s", r.result.dump().c_str());
	if (!r.result["pids_peak"].is_null())
		cr_expect_leq(r.result["pids_peak"].get<int>(), 32);
	/* Every child was killed with the sandbox; the host still forks. */
	cr_expect(processesOfUid(testUid()).empty(), "processes of the sandbox uid survived");
	expect_exit(runCommand({ "/bin/true" }), 0);
}

Test(limits, cpu_quota_is_honoured)
{
	auto r = oneshot({ "--cpus", "0.5" }, { kProbe, "spin", "2000" });
	expect_exit(r.cmd, 0);
	double cpu = r.result["cpu_user_ms"].get<double>() + r.result["cpu_sys_ms"].get<double>();
	double wall = r.result["wall_ms"].get<double>();
	double share = cpu / wall;
	cr_expect(wall >= 2000, "wall %f", wall);
	cr_expect(share > 0.35 && share < 0.65, "used %.2f of a CPU under --cpus 0.5 (cpu %.0f ms, wall %.0f ms)",
		  share, cpu, wall);
}

Test(limits, unlimited_cpu_uses_a_whole_core)
{
	/* The control for the quota test: the same spin without a quota. */
	auto r = oneshot({ "--cpus", "2" }, { kProbe, "spin", "1000" });
	expect_exit(r.cmd, 0);
	double cpu = r.result["cpu_user_ms"].get<double>() + r.result["cpu_sys_ms"].get<double>();
	cr_expect(cpu / r.result["wall_ms"].get<double>() > 0.7, "%s", r.result.dump().c_str());
}

Test(limits, timeout_kills_the_whole_tree_including_daemonized_grandchildren)
{
	auto start = std::chrono::steady_clock::now();
	auto r = oneshot({ "--timeout", "1s" }, { kProbe, "daemonize", "wait" });
	auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
	expect_exit(r.cmd, 124);
	cr_expect(r.cmd.out.find("daemonized") != std::string::npos);
	cr_expect_eq(r.result["status"], "timed_out", "%s", r.result.dump().c_str());
	cr_expect(took.count() < 10000, "took %ld ms", static_cast<long>(took.count()));
	cr_expect(processesOfUid(testUid()).empty(), "a process of the sandbox survived the timeout");
}

Test(limits, daemonized_grandchildren_die_when_the_job_exits)
{
	auto r = oneshot({}, { kProbe, "daemonize" });
	expect_exit(r.cmd, 0);
	cr_expect_eq(r.result["status"], "ok");
	cr_expect(processesOfUid(testUid()).empty(), "a daemonized grandchild outlived the job");
}

Test(limits, exit_codes_and_signals_are_reported_exactly)
{
	auto exit3 = oneshot({}, { "/bin/sh", "-c", "exit 3" });
	expect_exit(exit3.cmd, 3);
	cr_expect_eq(exit3.result["status"], "exit_nonzero");
	cr_expect_eq(exit3.result["exit_code"], 3);
	cr_expect(exit3.result["signal"].is_null());

	auto segv = oneshot({}, { kProbe, "kill-self", "11" });
	expect_exit(segv.cmd, 139);
	cr_expect_eq(segv.result["status"], "signaled");
	cr_expect_eq(segv.result["signal"], 11);
	cr_expect(segv.result["exit_code"].is_null());
	cr_expect_eq(segv.result["oom_killed"], false);

	auto ok = oneshot({}, { "/bin/true" });
	expect_exit(ok.cmd, 0);
	cr_expect_eq(ok.result["status"], "ok");
	cr_expect_eq(ok.result["exit_code"], 0);
	for (const char *key : { "wall_ms", "cpu_user_ms", "cpu_sys_ms", "memory_peak_bytes", "oom_killed",
				 "pids_limit_hit", "pids_peak", "error" })
		cr_expect(ok.result.contains(key), "result lacks %s", key);
}

Test(limits, a_missing_command_is_the_jobs_failure_not_a_setup_error)
{
	auto r = oneshot({}, { "no-such-command-xyz" });
	expect_exit(r.cmd, 127);
	cr_expect_eq(r.result["status"], "exit_nonzero");
	cr_expect_eq(r.result["error"], "execve no-such-command-xyz: No such file or directory");
}

Test(limits, file_size_limit_caps_output)
{
	auto r = oneshot({ "--fsize", "1M" }, { kProbe, "write", "/work/big", std::to_string(4 << 20) });
	/* SIGXFSZ kills the writer at the limit. */
	expect_exit(r.cmd, 128 + SIGXFSZ);
	cr_expect_eq(r.result["signal"], SIGXFSZ);
}

Test(limits, sigterm_to_oneshot_reaches_the_job)
{
	TempDir dir;
	pid_t child = startCommand({ buildPath("daemon/benchd"), "oneshot", "--uid-range",
				     std::to_string(testUid()) + ":1", "--result", dir / "r.json", "--",
				     "/bin/sh", "-c", "exec sleep 100" });
	/* Wait until the job runs (init + sleep), then ask benchd to stop. */
	for (int i = 0; i < 200 && processesOfUid(testUid()).size() < 2; i++)
		usleep(50000);
	cr_assert(processesOfUid(testUid()).size() >= 2, "job never started");
	kill(child, SIGTERM);
	int status;
	waitpid(child, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM, "status %d", status);
	auto result = nlohmann::json::parse(readFile(dir / "r.json"));
	cr_expect_eq(result["status"], "signaled");
	cr_expect_eq(result["signal"], SIGTERM);
}
