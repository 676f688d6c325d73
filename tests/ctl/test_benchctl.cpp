/* SPDX-License-Identifier: MIT */
/*
 * benchctl as people and scripts use it, against a real benchd (and a
 * fake one where a connection has to break on purpose).
 */
#include <regex>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.hpp"

using namespace benchd::test;
using benchd::protocol::encodeReply;

TestSuite(benchctl, .fini = Daemon::atTestEnd, .timeout = 180);

namespace {

bool has(const std::string &text, const std::string &needle)
{
	return text.find(needle) != std::string::npos;
}

size_t lineCount(const std::string &text)
{
	return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

int64_t submitted(const CommandResult &r)
{
	cr_assert(std::regex_match(r.out, std::regex("[0-9]+\n")), "submit printed '%s' (stderr %s)", r.out.c_str(),
		  r.err.c_str());
	return std::stoll(r.out);
}

int64_t submit(const Daemon &d, const std::vector<std::string> &args)
{
	std::vector<std::string> argv = { "submit" };
	argv.insert(argv.end(), args.begin(), args.end());
	auto r = benchctl(d.socket(), argv);
	expect_exit(r, 0);
	return submitted(r);
}

Json parseJson(const std::string &text)
{
	Json j = Json::parse(text, nullptr, false);
	cr_assert(!j.is_discarded(), "not JSON: %s", text.c_str());
	return j;
}

std::string missingSocket()
{
	return "/tmp/benchctl-test-no-such-socket-" + std::to_string(getpid());
}

} /* namespace */

Test(benchctl, help_documents_commands_options_and_exit_codes)
{
	auto r = runCommand({ benchctlPath(), "--help" });
	expect_exit(r, 0);
	for (const char *needle :
	     { "Usage: benchctl", "submit", "status", "list", "logs", "cancel", "retry", "--socket", "--cpus",
	       "--memory", "--pids", "--timeout", "--tmpfs", "--runs", "--parallel", "--env", "--meta", "--wait",
	       "--json", "--state", "--all", "--run N", "--stderr", "--follow", "BENCHD_SOCKET",
	       "/run/benchd/benchd.sock", "Exit status", "  0  ", "  1  ", "  2  ", "  3  ", "Examples" })
		cr_expect(has(r.out, needle), "benchctl --help does not mention %s", needle);

	for (const char *cmd : { "submit", "status", "list", "logs", "cancel", "retry" }) {
		auto c = runCommand({ benchctlPath(), cmd, "--help" });
		expect_exit(c, 0);
		cr_expect(has(c.out, std::string("Usage: benchctl [--socket PATH] ") + cmd), "%s --help: %s", cmd,
			  c.out.c_str());
		cr_expect(has(c.out, "Exit status") && has(c.out, "Examples"), "%s --help", cmd);
		auto h = runCommand({ benchctlPath(), "help", cmd });
		cr_expect_eq(h.out, c.out, "benchctl help %s differs from %s --help", cmd, cmd);
	}
	auto sub = runCommand({ benchctlPath(), "submit", "--help" });
	cr_expect(has(sub.out, "--memory SIZE") && has(sub.out, "timed_out"));

	auto none = runCommand({ benchctlPath() });
	cr_expect_eq(none.code(), 2);
	auto unknown = runCommand({ benchctlPath(), "frobnicate" });
	cr_expect_eq(unknown.code(), 2);
	cr_expect(has(unknown.err, "'frobnicate'"));
}

Test(benchctl, bad_values_are_refused_before_connecting)
{
	struct Case {
		std::vector<std::string> args;
		const char *named; /* the option or word the message must name */
		const char *quoted;
	} cases[] = {
		{ { "submit", "--memory", "12Q", "--", "true" }, "--memory", "'12Q'" },
		{ { "submit", "--memory", "512K", "--", "true" }, "--memory", "'512K'" },
		{ { "submit", "--cpus", "abc", "true" }, "--cpus", "'abc'" },
		{ { "submit", "--cpus", "0", "true" }, "--cpus", "'0'" },
		{ { "submit", "--timeout", "10x", "true" }, "--timeout", "'10x'" },
		{ { "submit", "--timeout", "0", "true" }, "--timeout", "'0'" },
		{ { "submit", "--pids", "-1", "true" }, "--pids", "'-1'" },
		{ { "submit", "--tmpfs", "1", "true" }, "--tmpfs", "'1'" },
		{ { "submit", "--runs", "0", "true" }, "--runs", "'0'" },
		{ { "submit", "--parallel", "many", "true" }, "--parallel", "'many'" },
		{ { "submit", "--env", "NOEQUALS", "true" }, "--env", "'NOEQUALS'" },
		{ { "submit", "--meta", "=v", "true" }, "--meta", "'=v'" },
		{ { "submit", "--frobnicate", "true" }, "submit", "'--frobnicate'" },
		{ { "submit", "--memory" }, "submit", "'--memory'" },
		{ { "submit", "--cpus", "1" }, "submit", "no command" },
		{ { "status", "abc" }, "job id", "'abc'" },
		{ { "status", "0" }, "job id", "'0'" },
		{ { "logs", "1", "--run", "x" }, "--run", "'x'" },
		{ { "logs" }, "logs", "which job" },
		{ { "cancel", "1", "2" }, "cancel", "'2'" },
		{ { "list", "--state", "bogus" }, "--state", "'bogus'" },
		{ { "list", "--limit", "0" }, "--limit", "'0'" },
		{ { "--frobnicate", "list" }, "benchctl", "'--frobnicate'" },
	};
	for (const auto &c : cases) {
		auto r = benchctl(missingSocket(), c.args);
		const char *what = c.args.size() > 1 ? c.args[1].c_str() : c.args[0].c_str();
		cr_expect_eq(r.code(), 2, "%s %s: exit %d: %s", c.args[0].c_str(), what, r.code(), r.err.c_str());
		cr_expect(has(r.err, c.quoted), "%s %s: message does not quote %s: %s", c.args[0].c_str(), what,
			  c.quoted, r.err.c_str());
		cr_expect(has(r.err, c.named), "%s %s: message does not name %s: %s", c.args[0].c_str(), what, c.named,
			  r.err.c_str());
		cr_expect(!has(r.err, "cannot reach"), "%s %s: it tried to connect", c.args[0].c_str(), what);
		cr_expect_eq(lineCount(r.err), 1u, "%s %s: %s", c.args[0].c_str(), what, r.err.c_str());
		cr_expect(r.out.empty());
	}
	auto exact = benchctl(missingSocket(), { "submit", "--memory", "12Q", "--", "true" });
	cr_expect(exact.err.rfind("benchctl: --memory: invalid size '12Q': ", 0) == 0, "%s", exact.err.c_str());
}

Test(benchctl, unreachable_daemon_gives_one_clear_line_naming_the_socket)
{
	std::string path = missingSocket();
	auto r = benchctl(path, { "status" });
	expect_exit(r, 3);
	cr_expect_eq(r.err, "benchctl: cannot reach benchd at " + path +
				    ": No such file or directory (is benchd running? set BENCHD_SOCKET or --socket)\n");
	cr_expect(r.out.empty());

	/* BENCHD_SOCKET when there is no --socket. */
	auto env = runCommand({ benchctlPath(), "submit", "--", "true" }, { .env = { { "BENCHD_SOCKET", path + "-env" } } });
	expect_exit(env, 3);
	cr_expect(has(env.err, "cannot reach benchd at " + path + "-env: "), "%s", env.err.c_str());

	/* A socket nobody listens on any more. */
	TempDir dir;
	std::string dead = dir / "dead.sock";
	int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {};
	a.sun_family = AF_UNIX;
	std::strncpy(a.sun_path, dead.c_str(), sizeof(a.sun_path) - 1);
	cr_assert_eq(::bind(fd, reinterpret_cast<struct sockaddr *>(&a), sizeof(a)), 0);
	::close(fd);
	for (const char *cmd : { "list", "logs", "cancel" }) {
		std::vector<std::string> args = { cmd };
		if (std::string(cmd) != "list")
			args.push_back("7");
		auto refused = benchctl(dead, args);
		expect_exit(refused, 3);
		cr_expect_eq(lineCount(refused.err), 1u);
		cr_expect(has(refused.err, "cannot reach benchd at " + dead + ": Connection refused"), "%s: %s", cmd,
			  refused.err.c_str());
	}

	/* Neither: the default path. */
	if (!pathExists("/run/benchd/benchd.sock")) {
		auto def = runCommand({ benchctlPath(), "list" }, { .env = { { "BENCHD_SOCKET", "" } } });
		expect_exit(def, 3);
		cr_expect(has(def.err, "cannot reach benchd at /run/benchd/benchd.sock: "), "%s", def.err.c_str());
	}
}

Test(benchctl, socket_option_overrides_the_environment)
{
	Daemon d;
	auto r = runCommand({ benchctlPath(), "--socket", d.socket(), "list" },
			    { .env = { { "BENCHD_SOCKET", missingSocket() } } });
	expect_exit(r, 0);
	auto e = runCommand({ benchctlPath(), "list" }, { .env = { { "BENCHD_SOCKET", d.socket() } } });
	expect_exit(e, 0);
	cr_expect(has(e.out, "Capacity:"));
}

Test(benchctl, submit_prints_the_job_id_and_json_with_json)
{
	Daemon d;
	int64_t first = submit(d, { "--", "/bin/sh", "-c", "echo hi" });
	cr_expect_gt(first, 0);
	auto j = benchctl(d.socket(), { "submit", "--json", "--", "true" });
	expect_exit(j, 0);
	Json id = parseJson(j.out);
	cr_expect_eq(id, Json({ { "id", first + 1 } }), "%s", j.out.c_str());
	/* The command's own options stay its own. */
	int64_t third = submit(d, { "/bin/echo", "--json", "-n" });
	cr_expect_eq(third, first + 2);
	auto job = waitForJob(d.socket(), third);
	cr_expect_eq(job["argv"], Json({ "/bin/echo", "--json", "-n" }));
}

Test(benchctl, submit_sends_the_limits_env_and_meta_given)
{
	Daemon d;
	auto r = benchctl(d.socket(), { "submit", "--cpus", "0.5", "--memory", "64M", "--pids", "32", "--timeout",
					"1m30s", "--tmpfs", "8M", "--runs", "2", "--parallel", "1", "--env", "GREETING=hi there",
					"--meta", "task=t17", "--meta", "model=m1", "--wait", "--json", "--", "/bin/sh", "-c",
					"echo \"$GREETING\"" });
	expect_exit(r, 0);
	Json job = parseJson(r.out);
	cr_expect_eq(job["state"], "completed");
	cr_expect_eq(job["limits"], Json({ { "cpu_millis", 500 }, { "memory_bytes", 64 << 20 }, { "pids", 32 },
					   { "timeout_ms", 90000 }, { "tmpfs_bytes", 8 << 20 } }),
		     "%s", job["limits"].dump().c_str());
	cr_expect_eq(job["runs"], 2);
	cr_expect_eq(job["parallel"], 1);
	cr_expect_eq(job["meta"], Json({ { "task", "t17" }, { "model", "m1" } }));
	auto logs = benchctl(d.socket(), { "logs", std::to_string(job["id"].get<int64_t>()), "--run", "1" });
	expect_exit(logs, 0);
	cr_expect_eq(logs.out, "hi there\n");
}

Test(benchctl, submit_wait_exits_zero_only_when_every_run_completed)
{
	Daemon d;
	auto ok = benchctl(d.socket(), { "submit", "--wait", "--", "true" });
	expect_exit(ok, 0);
	cr_expect(std::regex_search(ok.out, std::regex("^[0-9]+\n")), "the id comes first: %s", ok.out.c_str());
	cr_expect(has(ok.out, "State:     completed"), "%s", ok.out.c_str());

	auto bad = benchctl(d.socket(), { "submit", "--wait", "--", "false" });
	expect_exit(bad, 1);
	cr_expect(has(bad.out, "State:     failed"), "%s", bad.out.c_str());
	cr_expect(has(bad.out, "exit_nonzero"), "%s", bad.out.c_str());

	/* One run of two failing is enough to fail. */
	auto half = benchctl(d.socket(), { "submit", "--wait", "--runs", "2", "--", "/bin/sh", "-c",
					   "exit $BENCHD_RUN_INDEX" });
	expect_exit(half, 1);

	auto slow = benchctl(d.socket(), { "submit", "--wait", "--json", "--timeout", "300ms", "--", "sleep", "10" });
	expect_exit(slow, 1);
	cr_expect_eq(parseJson(slow.out)["state"], "timed_out");
}

Test(benchctl, status_and_list_show_tables_and_json)
{
	Daemon d;
	int64_t good = submit(d, { "--runs", "2", "--meta", "task=t1", "--", "/bin/sh", "-c", "echo hi" });
	int64_t badJob = submit(d, { "--", "/bin/sh", "-c", "exit 3" });
	waitForJob(d.socket(), good);
	waitForJob(d.socket(), badJob);

	auto st = benchctl(d.socket(), { "status", std::to_string(badJob) });
	expect_exit(st, 0);
	for (const char *needle : { "Job:       ", "State:     failed", "User:      root (uid 0)",
				    "Command:   /bin/sh -c 'exit 3'", "Runs:      1/1 done: 1 failed", "Limits:    cpus 1",
				    "Created:   ", "Finished:  ", "exit_nonzero" })
		cr_expect(has(st.out, needle), "status lacks '%s':\n%s", needle, st.out.c_str());
	cr_expect(std::regex_search(st.out, std::regex("\n\nRUN  ATTEMPT  STATE +EXIT +WALL +CPU +MEMORY  REASON\n")),
		  "%s", st.out.c_str());
	/* The attempt's row: index, attempt, state, exit code, right-aligned numbers. */
	cr_expect(std::regex_search(st.out, std::regex("\n  0        1  failed     3 +[0-9.]+m?s ")), "%s", st.out.c_str());

	auto js = benchctl(d.socket(), { "status", std::to_string(good), "--json" });
	expect_exit(js, 0);
	auto raw = rawCall(d.socket(), "io.benchd.Supervisor.Status", { { "id", good } });
	cr_expect_eq(parseJson(js.out), raw.parameters["job"], "--json is not the job as benchd sent it");

	auto list = benchctl(d.socket(), { "list" });
	expect_exit(list, 0);
	cr_expect(std::regex_search(list.out, std::regex("^ID  STATE +RUNS +AGE  COMMAND\n")), "%s", list.out.c_str());
	cr_expect(std::regex_search(list.out, std::regex(" " + std::to_string(good) + "  completed  2/2 done +[0-9.]+m?s  /bin/sh -c 'echo hi'\n")),
		  "%s", list.out.c_str());
	cr_expect(has(list.out, "\nCapacity: 0/2 slots used, 0 runs running, 0 runs and 0 jobs queued\n"), "%s",
		  list.out.c_str());
	/* Newest first. */
	cr_expect_lt(list.out.find("exit 3"), list.out.find("echo hi"));

	auto status = benchctl(d.socket(), { "status" });
	expect_exit(status, 0);
	cr_expect(has(status.out, "ID  STATE") && has(status.out, "Capacity:"), "%s", status.out.c_str());

	auto failed = benchctl(d.socket(), { "list", "--state", "failed" });
	expect_exit(failed, 0);
	cr_expect(has(failed.out, "exit 3") && !has(failed.out, "echo hi"), "%s", failed.out.c_str());
	auto queued = benchctl(d.socket(), { "list", "--state", "queued" });
	cr_expect(has(queued.out, "No jobs.\n"), "%s", queued.out.c_str());

	auto lj = benchctl(d.socket(), { "list", "--json" });
	expect_exit(lj, 0);
	Json all = parseJson(lj.out);
	cr_expect_eq(all["jobs"].size(), 2u);
	cr_expect(all["capacity"].contains("slots_total"));
	auto sj = benchctl(d.socket(), { "status", "--json" });
	cr_expect_eq(parseJson(sj.out)["jobs"], all["jobs"]);
}

Test(benchctl, logs_prints_the_exact_bytes)
{
	Daemon d;
	/* NUL, a byte that is not UTF-8, a newline in the middle, none at the end. */
	int64_t id = submit(d, { "--", "/bin/sh", "-c", "printf 'a\\000b\\377\\ncd'; printf 'E\\001' >&2" });
	waitForJob(d.socket(), id);
	auto out = benchctl(d.socket(), { "logs", std::to_string(id) });
	expect_exit(out, 0);
	cr_expect_eq(out.out, std::string("a\0b\xff\ncd", 7), "got %zu bytes", out.out.size());
	cr_expect(out.err.empty(), "%s", out.err.c_str());
	auto err = benchctl(d.socket(), { "logs", std::to_string(id), "--stderr" });
	expect_exit(err, 0);
	cr_expect_eq(err.out, std::string("E\x01", 2));

	/* More than one of the daemon's chunks (256 KiB). */
	int64_t big = submit(d, { "--", "seq", "1", "200000" });
	waitForJob(d.socket(), big);
	std::string want;
	for (int i = 1; i <= 200000; i++)
		want += std::to_string(i) + "\n";
	auto many = benchctl(d.socket(), { "logs", std::to_string(big) });
	expect_exit(many, 0);
	cr_expect_eq(many.out.size(), want.size());
	cr_expect(many.out == want, "the bytes differ");

	auto noRun = benchctl(d.socket(), { "logs", std::to_string(id), "--run", "5" });
	expect_exit(noRun, 1);
	cr_expect_eq(noRun.err, "benchctl: invalid run: job " + std::to_string(id) + " has runs 0 to 0, not 5\n");
}

Test(benchctl, logs_follow_streams_until_the_run_ends)
{
	Daemon d;
	int64_t id = submit(d, { "--", "/bin/sh", "-c", "echo one; sleep 2; echo two; sleep 1; printf three" });
	auto s = streamBenchctl(d.socket(), { "logs", "--follow", std::to_string(id) });
	cr_expect_eq(s.code, 0, "exit %d: %s", s.code, s.err.c_str());
	cr_expect_eq(s.out, "one\ntwo\nthree");
	cr_assert(!s.chunks.empty());
	/* The first line arrived while the run was still sleeping, not at its end. */
	cr_expect(s.chunks.front().second.rfind("one\n", 0) == 0);
	cr_expect_lt(s.chunks.front().first, 1800, "first bytes after %ld ms", s.chunks.front().first);
	cr_expect_geq(s.elapsedMs, 2900, "returned after %ld ms, before the run ended", s.elapsedMs);
	cr_expect_eq(waitForJob(d.socket(), id)["state"], "completed");

	/* Following a finished run prints it all and returns. */
	auto again = streamBenchctl(d.socket(), { "logs", "-f", std::to_string(id) });
	cr_expect_eq(again.code, 0);
	cr_expect_eq(again.out, "one\ntwo\nthree");

	/* A queued run is waited for: both slots are busy for a while first. */
	submit(d, { "--runs", "2", "--", "sleep", "1.5" });
	int64_t queued = submit(d, { "--", "/bin/echo", "queued, then ran" });
	auto late = streamBenchctl(d.socket(), { "logs", "--follow", std::to_string(queued) });
	cr_expect_eq(late.code, 0, "exit %d: %s", late.code, late.err.c_str());
	cr_expect_eq(late.out, "queued, then ran\n");
	cr_expect_geq(late.elapsedMs, 1000, "returned after %ld ms, before the run started", late.elapsedMs);
}

Test(benchctl, logs_follow_resumes_from_the_last_offset_after_a_drop)
{
	TempDir dir;
	std::string sock = dir / "fake.sock";
	std::vector<uint64_t> offsets;
	bool following = true;
	Json job = { { "id", 9 }, { "state", "running" }, { "runs", 1 },
		     { "attempts", { { { "id", 90 }, { "index", 0 }, { "attempt", 1 }, { "state", "running" } } } } };
	CommandResult r;
	{
		FakeDaemon fake(sock, [&](int connection, const benchd::protocol::Call &call, int fd) {
			if (call.method == "io.benchd.Supervisor.Status") {
				sendRaw(fd, encodeReply({ { "job", job } }));
				return true;
			}
			offsets.push_back(call.parameters.value("offset", 0u));
			following = following && call.more && call.parameters.value("follow", false);
			if (connection == 0) {
				/* Half of it, then the connection breaks. */
				sendRaw(fd, encodeReply({ { "data", "YWJj" }, { "offset", 3 }, { "eof", false }, { "truncated", false } }, true));
				return false;
			}
			sendRaw(fd, encodeReply({ { "data", "ZGVm" }, { "offset", 6 }, { "eof", false }, { "truncated", false } }, true));
			sendRaw(fd, encodeReply({ { "data", "" }, { "offset", 6 }, { "eof", true }, { "truncated", false } }));
			return true;
		});
		r = benchctl(sock, { "logs", "--follow", "9" });
	} /* the fake is joined: `offsets` is complete */
	expect_exit(r, 0);
	cr_expect_eq(r.out, "abcdef");
	cr_expect_eq(offsets, (std::vector<uint64_t>{ 0, 3 }));
	cr_expect(following, "a Logs call without more and follow");
}

Test(benchctl, logs_start_over_when_the_run_was_restarted_as_a_new_attempt)
{
	TempDir dir;
	std::string sock = dir / "fake.sock";
	std::vector<uint64_t> offsets;
	CommandResult r;
	{
		FakeDaemon fake(sock, [&](int connection, const benchd::protocol::Call &call, int fd) {
			if (call.method == "io.benchd.Supervisor.Status") {
				Json runs = { { { "id", 90 }, { "index", 0 }, { "attempt", 1 } } };
				if (connection > 0)
					runs.push_back({ { "id", 91 }, { "index", 0 }, { "attempt", 2 } });
				sendRaw(fd, encodeReply({ { "job", { { "id", 9 }, { "attempts", runs } } } }));
				return true;
			}
			offsets.push_back(call.parameters.value("offset", 0u));
			if (connection == 0) {
				sendRaw(fd, encodeReply({ { "data", "b2xk" }, { "offset", 3 }, { "eof", false }, { "truncated", false } }, true));
				return false;
			}
			sendRaw(fd, encodeReply({ { "data", "bmV3" }, { "offset", 3 }, { "eof", true }, { "truncated", false } }));
			return true;
		});
		r = benchctl(sock, { "logs", "-f", "9" });
	} /* the fake is joined: `offsets` is complete */
	expect_exit(r, 0);
	cr_expect_eq(r.out, "oldnew");
	cr_expect_eq(offsets, (std::vector<uint64_t>{ 0, 0 }));
	cr_expect(has(r.err, "new attempt"), "%s", r.err.c_str());
}

Test(benchctl, job_not_found_is_one_clear_line)
{
	Daemon d;
	for (const char *cmd : { "status", "logs", "cancel", "retry" }) {
		auto r = benchctl(d.socket(), { cmd, "999" });
		expect_exit(r, 1);
		cr_expect_eq(r.err, "benchctl: job 999 not found\n", "%s: %s", cmd, r.err.c_str());
		cr_expect(r.out.empty());
	}
}

Test(benchctl, daemon_refusals_are_one_clear_line)
{
	Daemon d;
	auto big = benchctl(d.socket(), { "submit", "--memory", "1T", "--", "true" });
	expect_exit(big, 1);
	cr_expect_eq(big.err,
		     "benchctl: invalid limits.memory_bytes: asks for 1TiB, more than this host allows (16GiB)\n");

	/* Another user's job: benchctl as an unprivileged uid in the socket's group. */
	int64_t id = submit(d, { "--", "true" });
	waitForJob(d.socket(), id);
	RunOptions other{ .uid = 60123, .gid = 100 };
	auto denied = benchctl(d.socket(), { "status", std::to_string(id) }, other);
	expect_exit(denied, 1);
	cr_expect_eq(denied.err, "benchctl: job " + std::to_string(id) + " belongs to another user\n");
	/* --all is for admins: others still see only their own jobs. */
	auto all = benchctl(d.socket(), { "list", "--all" }, other);
	expect_exit(all, 0);
	cr_expect(has(all.out, "No jobs.\n"), "%s", all.out.c_str());
}

Test(benchctl, cancel_and_retry_print_the_job)
{
	Daemon d;
	int64_t id = submit(d, { "--runs", "2", "--", "sleep", "60" });
	std::string sid = std::to_string(id);
	auto c = benchctl(d.socket(), { "cancel", sid });
	expect_exit(c, 0);
	cr_expect(has(c.out, "Job:       " + sid), "%s", c.out.c_str());
	cr_expect_eq(waitForJob(d.socket(), id, 20000)["state"], "aborted");

	auto again = benchctl(d.socket(), { "cancel", sid });
	expect_exit(again, 1);
	cr_expect_eq(again.err, "benchctl: job " + sid + " already finished (aborted)\n");

	auto r = benchctl(d.socket(), { "retry", sid, "--json" });
	expect_exit(r, 0);
	Json job = parseJson(r.out);
	cr_expect_eq(job["id"], id);
	cr_expect(job["state"] == "queued" || job["state"] == "running", "%s", job["state"].dump().c_str());
	cr_expect_eq(job["attempts"].size(), 4u);
	expect_exit(benchctl(d.socket(), { "cancel", sid }), 0);

	int64_t done = submit(d, { "--", "true" });
	waitForJob(d.socket(), done);
	auto nothing = benchctl(d.socket(), { "retry", std::to_string(done) });
	expect_exit(nothing, 1);
	cr_expect_eq(nothing.err, "benchctl: job " + std::to_string(done) + " cannot be retried: every run completed\n");
}
