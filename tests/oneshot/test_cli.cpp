/* SPDX-License-Identifier: MIT */
/*
 * `benchd oneshot` as people and scripts use it: help, refusals, results.
 */
#include <unistd.h>

#include "oneshot.hpp"

using namespace benchd::test;

TestSuite(oneshot_cli, .timeout = 60);

namespace {

std::string benchdPath()
{
	return buildPath("daemon/benchd");
}

/* A sub-tree name no other test uses: if it exists afterwards, setup got that far. */
std::string uniqueTree()
{
	return "benchd-clitest-" + std::to_string(getpid());
}

bool treeExists(const std::string &name)
{
	return pathExists("/sys/fs/cgroup/" + name) || pathExists("/sys/fs/cgroup/unified/" + name) ||
	       pathExists("/sys/fs/cgroup/pids/" + name);
}

} /* namespace */

Test(oneshot_cli, help_documents_every_option_and_the_exit_codes)
{
	auto r = runCommand({ benchdPath(), "oneshot", "--help" });
	expect_exit(r, 0);
	for (const char *needle : { "--cpus", "--memory", "--pids", "--timeout", "--tmpfs", "--bind",
				    "--ro-bind", "--env", "--workdir", "--result", "--nofile", "--fsize",
				    "124", "125", "128+N", "memory_limit", "setup_error" })
		cr_expect(r.out.find(needle) != std::string::npos, "--help does not mention %s", needle);
	auto top = runCommand({ benchdPath(), "--help" });
	expect_exit(top, 0);
	cr_expect(top.out.find("oneshot") != std::string::npos);
}

Test(oneshot_cli, bad_values_are_refused_before_anything_is_created_naming_the_value)
{
	struct Case {
		std::vector<std::string> args;
		const char *quoted;
	} cases[] = {
		{ { "--memory", "12Q" }, "'12Q'" },
		{ { "--cpus", "abc" }, "'abc'" },
		{ { "--cpus", "0" }, "'0'" },
		{ { "--timeout", "10x" }, "'10x'" },
		{ { "--pids", "-1" }, "'-1'" },
		{ { "--tmpfs", "1" }, "'1'" },
		{ { "--bind", "relative/path" }, "'relative/path'" },
		{ { "--ro-bind", "/nonexistent-benchd-src" }, "'/nonexistent-benchd-src'" },
		{ { "--env", "NOEQUALS" }, "'NOEQUALS'" },
		{ { "--workdir", "rel" }, "'rel'" },
		{ { "--uid-range", "0:5" }, "'0:5'" },
		{ { "--frobnicate" }, "'--frobnicate'" },
	};
	for (const auto &c : cases) {
		std::vector<std::string> argv = { benchdPath(), "oneshot", "--cgroup-name", uniqueTree() };
		argv.insert(argv.end(), c.args.begin(), c.args.end());
		argv.insert(argv.end(), { "--", "/bin/true" });
		auto r = runCommand(argv);
		cr_expect_eq(r.code(), 125, "%s: exit %d", c.args[0].c_str(), r.code());
		cr_expect(r.err.find(c.quoted) != std::string::npos, "%s: message does not quote %s: %s",
			  c.args[0].c_str(), c.quoted, r.err.c_str());
		cr_expect(r.out.empty());
		cr_expect(!treeExists(uniqueTree()), "%s: a cgroup sub-tree was created", c.args[0].c_str());
	}
}

Test(oneshot_cli, a_missing_command_is_refused)
{
	auto r = runCommand({ benchdPath(), "oneshot", "--memory", "1G" });
	cr_expect_eq(r.code(), 125);
	cr_expect(r.err.find("no command given") != std::string::npos, "%s", r.err.c_str());
}

Test(oneshot_cli, setup_errors_are_written_to_the_result_file_too)
{
	TempDir dir;
	auto r = runCommand({ benchdPath(), "oneshot", "--result", dir / "r.json", "--memory", "12Q", "--", "true" });
	cr_expect_eq(r.code(), 125);
	auto j = nlohmann::json::parse(readFile(dir / "r.json"), nullptr, false);
	cr_assert(j.is_object(), "no result file");
	cr_expect_eq(j["status"], "setup_error");
	cr_expect(j["error"].get<std::string>().find("'12Q'") != std::string::npos);
}

Test(oneshot_cli, only_root_may_run_it)
{
	auto r = runCommand({ benchdPath(), "oneshot", "--", "/bin/true" }, { .uid = testUid(), .gid = testUid() });
	cr_expect_eq(r.code(), 125);
	cr_expect(r.err.find("must run as root") != std::string::npos, "%s", r.err.c_str());
}

Test(oneshot_cli, the_result_file_has_every_field_for_a_normal_run)
{
	auto r = oneshot({ "--memory", "256M", "--pids", "64", "--cpus", "1" }, { "/bin/sh", "-c", "echo hi" });
	expect_exit(r.cmd, 0);
	cr_expect_eq(r.cmd.out, "hi\n");
	auto &j = r.result;
	cr_expect_eq(j["status"], "ok");
	cr_expect(j["wall_ms"].is_number_unsigned());
	cr_expect(j["cpu_user_ms"].is_number_unsigned());
	cr_expect(j["cpu_sys_ms"].is_number_unsigned());
	cr_expect(j["memory_peak_bytes"].is_number_unsigned() && j["memory_peak_bytes"].get<uint64_t>() > 0);
	cr_expect(j["pids_peak"].is_number_unsigned() && j["pids_peak"].get<int>() >= 2);
	cr_expect_eq(j["oom_killed"], false);
	cr_expect_eq(j["pids_limit_hit"], false);
	cr_expect(j["error"].is_null());
}
