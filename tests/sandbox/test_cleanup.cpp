/* SPDX-License-Identifier: MIT */
/*
 * Nothing is left behind after a run (no cgroup, mount, process or fd),
 * and a sandbox that cannot be set up says exactly why.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/manager.hpp"
#include "oneshot.hpp"
#include "runner/run.hpp"
#include "sandbox/uid_pool.hpp"

using namespace benchd;
using namespace benchd::test;

namespace {

/* The in-process tests make a sub-tree of their own: gone at the end, whatever happened. */
void removeOwnSubtree()
{
	removeCgroupSubtree("benchd-test-" + std::to_string(getpid()));
}

std::string mountTable()
{
	return readFile("/proc/self/mountinfo");
}

/* The leaf a oneshot with this pid would use, in any hierarchy. */
bool anyOneshotLeafOf(pid_t pid)
{
	auto out = runCommand({ "find", "/sys/fs/cgroup", "-maxdepth", "6", "-type", "d",
				"-name", "oneshot-" + std::to_string(pid) });
	return !out.out.empty();
}

struct InProcess {
	std::unique_ptr<cgroups::Manager> mgr;
	sandbox::SeccompProgram filter;
	sandbox::HostFacts facts;
};

InProcess setUp()
{
	cgroups::Options options;
	options.name = "benchd-test-" + std::to_string(getpid());
	auto mgr = cgroups::Manager::open(options);
	cr_assert(mgr, "%s", mgr ? "" : mgr.error().message().c_str());
	auto filter = sandbox::SeccompProgram::build();
	cr_assert(filter);
	auto facts = sandbox::probeHost("/");
	cr_assert(facts);
	return { std::move(*mgr), std::move(*filter), std::move(*facts) };
}

sandbox::SandboxSpec specFor(std::vector<std::string> argv)
{
	sandbox::SandboxSpec spec;
	spec.argv = std::move(argv);
	spec.uid = spec.gid = testUid();
	spec.binds.push_back({ probeHostPath(), kProbe, true });
	return spec;
}

runner::RunResult runToEnd(InProcess &env, const sandbox::Plan &plan, const std::string &name)
{
	runner::RunContext ctx{ *env.mgr, env.filter };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	auto run = runner::Run::start(ctx, { name, { 500, 64 << 20, 64 } }, plan, { null, null, null });
	close(null);
	if (!run)
		return runner::RunResult::setupFailure(run.error());
	while (true) {
		char buf[512];
		ssize_t n = read((*run)->reportFd(), buf, sizeof(buf));
		if (n > 0)
			(*run)->onReport(std::string_view(buf, static_cast<size_t>(n)));
		if (n <= 0)
			break;
	}
	for (;;) {
		auto exited = (*run)->pollExit();
		cr_assert(exited);
		if (*exited)
			break;
		usleep(1000);
	}
	return (*run)->finish();
}

} /* namespace */

TestSuite(cleanup, .fini = removeOwnSubtree, .timeout = 120);

Test(cleanup, nothing_is_left_after_a_run)
{
	std::string mountsBefore = mountTable();
	auto r = oneshot({}, { kProbe, "daemonize" });
	expect_exit(r.cmd, 0);
	cr_expect(processesOfUid(testUid()).empty(), "processes left");
	cr_expect_eq(mountTable(), mountsBefore, "the host's mount table changed");
	/* The oneshot's pid names its leaf; it is gone in every hierarchy. */
	auto again = runCommand({ buildPath("daemon/benchd"), "oneshot", "-v", "--uid-range",
				  std::to_string(testUid()) + ":1", "--", "/bin/true" });
	expect_exit(again, 0);
	auto pos = again.err.find("leaf oneshot-");
	cr_assert(pos != std::string::npos, "%s", again.err.c_str());
	pid_t pid = std::stoi(again.err.substr(pos + 13));
	cr_expect(!anyOneshotLeafOf(pid), "cgroup leaf oneshot-%d left behind", pid);
}

Test(cleanup, the_library_leaks_no_fds_across_runs_and_failures)
{
	auto env = setUp();
	auto spec = specFor({ kProbe, "daemonize" });
	auto plan = sandbox::buildPlan(spec, env.facts);
	cr_assert(plan, "%s", plan ? "" : plan.error().message().c_str());
	/* Warm up once: libraries open what they keep (e.g. /dev/urandom). */
	runToEnd(env, *plan, "warm");
	int before = countOpenFds();
	for (int i = 0; i < 5; i++) {
		auto res = runToEnd(env, *plan, "run-" + std::to_string(i));
		cr_expect_eq(res.status, runner::RunStatus::Ok, "%s", res.error.c_str());
	}
	/* A failing setup (the working directory does not exist) releases everything too. */
	spec.workdir = "/nonexistent";
	auto bad = sandbox::buildPlan(spec, env.facts);
	cr_assert(bad);
	auto res = runToEnd(env, *bad, "bad");
	cr_expect_eq(res.status, runner::RunStatus::SetupError);
	/* And so does a leaf that cannot be created (its name is taken). */
	auto taken = env.mgr->createLeaf("taken", {});
	cr_assert(taken);
	auto clash = runToEnd(env, *plan, "taken");
	cr_expect_eq(clash.status, runner::RunStatus::SetupError);
	(void)(*taken)->destroy();
	cr_expect_eq(countOpenFds(), before, "fds leaked: %d before, %d after", before, countOpenFds());
	auto leaves = env.mgr->listLeaves();
	cr_assert(leaves);
	cr_expect(leaves->empty(), "leaves left: %zu", leaves->size());
	cr_expect(processesOfUid(testUid()).empty());
}

Test(cleanup, setup_errors_name_the_step_and_the_reason)
{
	auto r = oneshot({ "--workdir", "/nonexistent" }, { "/bin/true" });
	expect_exit(r.cmd, 125);
	cr_expect_eq(r.result["status"], "setup_error");
	cr_expect_eq(r.result["error"], "sandbox: enter working directory /nonexistent: No such file or directory");
	cr_expect(r.cmd.err.find("sandbox: enter working directory /nonexistent: No such file or directory") !=
		  std::string::npos, "stderr: %s", r.cmd.err.c_str());

	/* The job's uid may not enter a root-only directory. */
	auto denied = oneshot({ "--workdir", "/etc/ssl/private" }, { "/bin/true" });
	expect_exit(denied.cmd, 125);
	cr_expect_eq(denied.result["error"], "sandbox: enter working directory /etc/ssl/private: Permission denied");

}

Test(cleanup, a_failing_mount_step_is_reported_with_its_phrase_and_errno)
{
	/* A plan is data: give the workspace tmpfs an option the kernel rejects. */
	auto env = setUp();
	auto spec = specFor({ "/bin/true" });
	auto plan = sandbox::buildPlan(spec, env.facts);
	cr_assert(plan);
	bool found = false;
	for (auto &op : plan->mounts) {
		if (op.what.find("workspace") != std::string::npos) {
			op.data = "size=12Q";
			found = true;
		}
	}
	cr_assert(found);
	auto res = runToEnd(env, *plan, "badmount");
	cr_expect_eq(res.status, runner::RunStatus::SetupError);
	cr_expect_eq(res.error, "sandbox: mount the workspace tmpfs on /work: Invalid argument");
	cr_expect(processesOfUid(testUid()).empty());
}

Test(cleanup, a_root_filesystem_without_the_command_is_the_jobs_failure)
{
	TempDir empty;
	auto r = oneshot({ "--rootfs", empty.path() }, { "/bin/true" });
	expect_exit(r.cmd, 127);
	cr_expect_eq(r.result["status"], "exit_nonzero");
	cr_expect_eq(r.result["error"], "execve /bin/true: No such file or directory");
}

Test(cleanup, a_leaf_left_by_a_killed_oneshot_is_removed_by_the_next)
{
	/* kill -9 benchd while its job runs: the sandbox dies with it, the leaf stays. */
	pid_t child = startCommand({ buildPath("daemon/benchd"), "oneshot", "--uid-range",
				     std::to_string(testUid()) + ":1", "--", "/bin/sleep", "100" });
	for (int i = 0; i < 200 && processesOfUid(testUid()).size() < 2; i++)
		usleep(50000);
	cr_assert(processesOfUid(testUid()).size() >= 2, "job never started");
	kill(child, SIGKILL);
	waitpid(child, nullptr, 0);
	for (int i = 0; i < 100 && !processesOfUid(testUid()).empty(); i++)
		usleep(50000);
	cr_expect(processesOfUid(testUid()).empty(), "the sandbox outlived its oneshot");
	cr_assert(anyOneshotLeafOf(child), "expected the killed oneshot's leaf to remain");

	auto next = runCommand({ buildPath("daemon/benchd"), "oneshot", "--uid-range",
				 std::to_string(testUid()) + ":1", "--", "/bin/true" });
	expect_exit(next, 0);
	cr_expect(!anyOneshotLeafOf(child), "the next oneshot did not remove the leftover leaf");
}
