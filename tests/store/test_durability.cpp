/* SPDX-License-Identifier: MIT */
/*
 * What survives a crash, what a bad file looks like, and how fast submits
 * go. Crashes are real: a forked child writes through its own Store and is
 * SIGKILLed without closing anything.
 */
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.hpp"
#include "store/store.hpp"
#include "support.hpp"

using namespace benchd;
using namespace benchd::store;
using namespace benchd::test;

namespace {

const char kSpec[] = R"({"argv":["/bin/true"]})";

/*
 * Run `body` in a child that dies by SIGKILL the way a daemon dies, with
 * whatever it holds still open: body calls die(line), which reports one line
 * through a pipe and kills the child on the spot, before any destructor
 * (Store, Transaction) can close or roll back. Returns the line.
 */
template<typename Body>
std::string inCrashingChild(Body body)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		auto die = [&](const std::string &line) {
			(void)!write(fds[1], line.data(), line.size());
			kill(getpid(), SIGKILL);
		};
		body(die);
		die("error: the body returned without dying");
		_exit(99);
	}
	close(fds[1]);
	std::string line;
	char buf[512];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		line.append(buf, size_t(n));
	close(fds[0]);
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x", status);
	return line;
}

std::string errorLine(const Error &error)
{
	return "error: " + error.message();
}

} /* namespace */

TestSuite(durability, .timeout = 120);

Test(durability, submit_is_durable_once_committed)
{
	TempDir dir;
	std::string path = dir / "benchd.db";
	std::string line = inCrashingChild([&](auto die) {
		auto store = Store::open(path);
		if (!store)
			return die(errorLine(store.error()));
		auto tx = store->begin();
		if (!tx)
			return die(errorLine(tx.error()));
		auto id = store->insertJob(1000, kSpec, 2, 1, 1234);
		if (!id)
			return die(errorLine(id.error()));
		if (auto status = tx->commit(); !status)
			return die(errorLine(status.error()));
		/* Acknowledged: from here on the submit must survive. */
		die(std::to_string(*id));
	});
	cr_assert(!line.starts_with("error"), "%s", line.c_str());

	Store store = MUST(Store::open(path));
	JobRow job = MUST(store.job(std::stoll(line)));
	cr_expect_eq(job.specJson, kSpec);
	cr_expect_eq(job.createdAt, 1234);
	cr_expect_eq(MUST(store.runsOf(job.id)).size(), 2u);
}

Test(durability, uncommitted_writes_are_lost_on_crash)
{
	TempDir dir;
	std::string path = dir / "benchd.db";
	int64_t kept;
	{
		Store store = MUST(Store::open(path));
		kept = MUST(store.insertJob(1000, kSpec, 1, 1, 1));
	}
	/*
	 * Enough uncommitted data (~20 MB) that SQLite spills pages into the
	 * WAL before the crash: those frames have no commit record and must
	 * not count.
	 */
	std::string big = "{\"pad\":\"" + std::string(4096, 'x') + "\"}";
	std::string line = inCrashingChild([&](auto die) {
		auto store = Store::open(path);
		if (!store)
			return die(errorLine(store.error()));
		auto tx = store->begin();
		if (!tx)
			return die(errorLine(tx.error()));
		for (int i = 0; i < 5000; i++)
			if (auto id = store->insertJob(1001, big, 1, 1, 2); !id)
				return die(errorLine(id.error()));
		if (auto run = store->transition(1, RunState::Queued, RunState::Preparing, std::nullopt, 3);
		    !run)
			return die(errorLine(run.error()));
		die("inserted");
	});
	cr_assert_eq(line, "inserted", "%s", line.c_str());
	struct stat wal = {};
	cr_expect(stat((path + "-wal").c_str(), &wal) == 0 && wal.st_size > (1 << 20),
		  "the child never spilled into the WAL (%lld bytes); the test proves less",
		  (long long)wal.st_size);

	Store store = MUST(Store::open(path));
	auto jobs = MUST(store.jobs(std::nullopt, std::nullopt, 10));
	cr_assert_eq(jobs.size(), 1u);
	cr_expect_eq(jobs[0].id, kept);
	cr_expect_eq(MUST(store.countJobs(1001, JobState::Queued)), 0);
	cr_expect_eq(MUST(store.queuedRuns()).size(), 1u);
	cr_expect(MUST(store.transitionsOf(1)).empty());
}

Test(durability, a_corrupt_or_unwritable_file_gives_a_clear_error)
{
	TempDir dir;

	std::string garbage = dir / "garbage.db";
	writeFile(garbage, std::string(8192, '\x5a'));
	auto error = EXPECT_ERROR(Store::open(garbage), EIO, "file is not a database");
	cr_expect(error.message().starts_with("store: open " + garbage), "%s", error.message().c_str());

	std::string missing = dir / "no/such/dir/benchd.db";
	error = EXPECT_ERROR(Store::open(missing), ENOENT, "unable to open database file");
	cr_expect(error.message().starts_with("store: open " + missing), "%s", error.message().c_str());

	/* A good database whose pages were overwritten: refused at open or at the first read. */
	std::string damaged = dir / "damaged.db";
	{
		Store store = MUST(Store::open(damaged));
		for (int i = 0; i < 200; i++)
			MUST(store.insertJob(1000, kSpec, 1, 1, i));
		MUST(store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)"));
	}
	std::string bytes = readFile(damaged);
	for (size_t at = 4096; at + 4096 < bytes.size(); at += 4096 * 2)
		bytes.replace(at, 4096, 4096, '\x5a');
	writeFile(damaged, bytes);
	auto reopened = Store::open(damaged);
	if (reopened) {
		auto jobs = reopened->jobs(std::nullopt, std::nullopt, 1000);
		cr_assert(!jobs.ok(), "read %zu jobs from a damaged file", jobs->size());
		error = jobs.error();
	} else {
		error = reopened.error();
	}
	cr_expect_eq(error.code(), EIO, "%s", error.message().c_str());
	cr_expect(error.message().find("malformed") != std::string::npos, "%s",
		  error.message().c_str());

	/* Readable but not writable by the daemon's user. */
	std::string readOnly = dir / "readonly.db";
	{
		Store store = MUST(Store::open(readOnly));
	}
	chmod(readOnly.c_str(), 0444);
	std::string line = inCrashingChild([&](auto die) {
		/* root writes anyway; be someone else (the directory is 0755). */
		if (geteuid() == 0 && (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)))
			return die("cannot drop to nobody");
		auto store = Store::open(readOnly);
		die(store ? "opened" : errorLine(store.error()));
	});
	cr_expect(line.starts_with("error: store: open " + readOnly + ": the file is not writable"),
		  "%s", line.c_str());
}

Test(durability, insert_rate_in_batched_transactions)
{
	TempDir dir;
	Store store = MUST(Store::open(dir / "benchd.db"));
	const int jobs = 10000, batch = 100;
	auto start = std::chrono::steady_clock::now();
	for (int i = 0; i < jobs; i += batch) {
		Transaction tx = MUST(store.begin());
		for (int j = 0; j < batch; j++)
			MUST(store.insertJob(1000 + j % 7, kSpec, 3, 1, i + j));
		MUST(tx.commit());
	}
	double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	cr_assert_eq(MUST(store.queuedRuns()).size(), size_t(jobs) * 3);
	/* Figures to watch, not pass marks: they depend on the disk's fsync (--verbose shows them). */
	cr_log_info("store: %d jobs x 3 runs, %d jobs per commit, synchronous=FULL: %.3f s, %.0f jobs/s",
		    jobs, batch, seconds, jobs / seconds);

	/* The same with a commit (an fsync) per job: why the daemon batches. */
	const int single = 300;
	start = std::chrono::steady_clock::now();
	for (int i = 0; i < single; i++)
		MUST(store.insertJob(1000, kSpec, 3, 1, i));
	seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	cr_log_info("store: %d jobs x 3 runs, 1 job per commit, synchronous=FULL: %.3f s, %.0f jobs/s",
		    single, seconds, single / seconds);
}
