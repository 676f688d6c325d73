/* SPDX-License-Identifier: MIT */
/* Jobs, runs, transitions, retries and users, on a real database file per test. */
#include "helpers.hpp"
#include "store/store.hpp"
#include "support.hpp"

using namespace benchd;
using namespace benchd::store;
using namespace benchd::test;
using S = RunState;

namespace {

const char kSpec[] = R"({"argv":["/bin/true"],"env":{},"meta":{"name":"t"},"limits":{}})";

struct Fixture {
	TempDir dir;
	Store store = MUST(Store::open(dir / "benchd.db"));
};

std::vector<int64_t> ids(const std::vector<RunRow> &runs)
{
	std::vector<int64_t> out;
	for (const RunRow &run : runs)
		out.push_back(run.id);
	return out;
}

/* Walk a run from queued to `to` along allowed edges. */
void drive(Store &store, int64_t runId, std::vector<S> path, int64_t at)
{
	S from = S::Queued;
	for (S to : path) {
		cr_assert(MUST(store.transition(runId, from, to, std::nullopt, at++)), "%s -> %s",
			  stateName(from), stateName(to));
		from = to;
	}
}

} /* namespace */

TestSuite(store);

Test(store, insert_job_creates_its_queued_runs)
{
	Fixture f;
	int64_t id = MUST(f.store.insertJob(1000, kSpec, 3, 2, 1700000000000));
	JobRow job = MUST(f.store.job(id));
	cr_expect_eq(job.uid, 1000u);
	cr_expect_eq(job.state, JobState::Queued);
	cr_expect_eq(job.specJson, kSpec);
	cr_expect_eq(job.runs, 3);
	cr_expect_eq(job.parallel, 2);
	cr_expect_eq(job.createdAt, 1700000000000);
	cr_expect(!job.finishedAt);
	cr_expect(!job.cancelRequested);

	auto runs = MUST(f.store.runsOf(id));
	cr_assert_eq(runs.size(), 3u);
	for (int64_t idx = 0; idx < 3; idx++) {
		const RunRow &run = runs[idx];
		cr_expect_eq(run.jobId, id);
		cr_expect_eq(run.idx, idx);
		cr_expect_eq(run.attempt, 1);
		cr_expect(!run.replacesRunId);
		cr_expect_eq(run.state, S::Queued);
		cr_expect_eq(run.createdAt, 1700000000000);
		cr_expect(!run.startedAt && !run.finishedAt && !run.resultJson && !run.leaf);
	}
}

Test(store, job_ids_grow_and_are_never_reused)
{
	Fixture f;
	int64_t first = MUST(f.store.insertJob(1000, kSpec, 1, 1, 1));
	int64_t second = MUST(f.store.insertJob(1000, kSpec, 1, 1, 2));
	cr_expect_gt(second, first);
	/* Even when the newest job is deleted, its id is not handed out again. */
	MUST(f.store.database().exec("DELETE FROM runs WHERE job_id = " + std::to_string(second) +
				     "; DELETE FROM jobs WHERE id = " + std::to_string(second)));
	cr_expect_gt(MUST(f.store.insertJob(1000, kSpec, 1, 1, 3)), second);
}

Test(store, transition_is_compare_and_set)
{
	Fixture f;
	int64_t job = MUST(f.store.insertJob(1000, kSpec, 1, 1, 1));
	int64_t run = MUST(f.store.runsOf(job))[0].id;

	cr_expect(MUST(f.store.transition(run, S::Queued, S::Preparing, std::nullopt, 10)));
	/* The same event again, e.g. delivered twice: nothing moves. */
	cr_expect(!MUST(f.store.transition(run, S::Queued, S::Preparing, std::nullopt, 11)));
	/* A late event for a state the run has left. */
	cr_expect(!MUST(f.store.transition(run, S::Queued, S::Aborted, "cancelled", 12)));
	cr_expect_eq(MUST(f.store.run(run)).state, S::Preparing);
	/* Backwards and skipping edges are refused outright. */
	EXPECT_ERROR(f.store.transition(run, S::Preparing, S::Queued, std::nullopt, 13), EINVAL,
		     "preparing -> queued: not an allowed transition");
	EXPECT_ERROR(f.store.transition(run, S::Preparing, S::Completed, std::nullopt, 13), EINVAL,
		     "not an allowed transition");
	EXPECT_ERROR(f.store.transition(run + 100, S::Preparing, S::Running, std::nullopt, 13), ENOENT,
		     "no such run");
	cr_expect_eq(MUST(f.store.transitionsOf(run)).size(), 1u, "a refused move was logged");
}

Test(store, transitions_are_logged_with_timestamps)
{
	Fixture f;
	int64_t job = MUST(f.store.insertJob(1000, kSpec, 1, 1, 100));
	int64_t run = MUST(f.store.runsOf(job))[0].id;
	cr_assert(MUST(f.store.transition(run, S::Queued, S::Preparing, std::nullopt, 200)));
	cr_assert(MUST(f.store.transition(run, S::Preparing, S::Running, std::nullopt, 300)));
	RunRow running = MUST(f.store.run(run));
	cr_expect(running.startedAt == std::optional<int64_t>(300));
	cr_expect(!running.finishedAt);
	cr_assert(MUST(f.store.transition(run, S::Running, S::Parsing, std::nullopt, 400)));
	cr_assert(MUST(f.store.transition(run, S::Parsing, S::TimedOut, "deadline 10s", 500)));

	RunRow done = MUST(f.store.run(run));
	cr_expect_eq(done.state, S::TimedOut);
	cr_expect(done.startedAt == std::optional<int64_t>(300));
	cr_expect(done.finishedAt == std::optional<int64_t>(500));
	cr_expect(done.reason == std::optional<std::string>("deadline 10s"));

	auto log = MUST(f.store.transitionsOf(run));
	struct {
		S from, to;
		int64_t at;
	} want[] = {
		{ S::Queued, S::Preparing, 200 },
		{ S::Preparing, S::Running, 300 },
		{ S::Running, S::Parsing, 400 },
		{ S::Parsing, S::TimedOut, 500 },
	};
	cr_assert_eq(log.size(), 4u);
	for (size_t i = 0; i < log.size(); i++) {
		cr_expect_eq(log[i].runId, run);
		cr_expect_eq(log[i].from, want[i].from, "entry %zu", i);
		cr_expect_eq(log[i].to, want[i].to, "entry %zu", i);
		cr_expect_eq(log[i].at, want[i].at, "entry %zu", i);
	}
	cr_expect(!log[0].reason);
	cr_expect(log[3].reason == std::optional<std::string>("deadline 10s"));
}

Test(store, retry_links_the_new_attempt_to_the_one_it_replaces)
{
	Fixture f;
	int64_t job = MUST(f.store.insertJob(1000, kSpec, 2, 2, 1));
	auto first = MUST(f.store.runsOf(job));
	int64_t run0 = first[0].id, run1 = first[1].id;

	EXPECT_ERROR(f.store.insertRetry(run1, 5), EINVAL, "it is still queued");
	drive(f.store, run1, { S::Preparing, S::Failed }, 10);
	int64_t retry = MUST(f.store.insertRetry(run1, 20));
	EXPECT_ERROR(f.store.insertRetry(run1, 21), EINVAL, "already retried");

	RunRow again = MUST(f.store.run(retry));
	cr_expect_eq(again.jobId, job);
	cr_expect_eq(again.idx, 1);
	cr_expect_eq(again.attempt, 2);
	cr_expect(again.replacesRunId == std::optional<int64_t>(run1));
	cr_expect_eq(again.state, S::Queued);
	cr_expect_eq(again.createdAt, 20);

	/* Every attempt by (idx, attempt); the latest attempt of each idx. */
	cr_expect(ids(MUST(f.store.runsOf(job))) == (std::vector<int64_t>{ run0, run1, retry }));
	cr_expect(ids(MUST(f.store.latestRunsOf(job))) == (std::vector<int64_t>{ run0, retry }));

	drive(f.store, retry, { S::Preparing, S::Failed }, 30);
	int64_t third = MUST(f.store.insertRetry(retry, 40));
	cr_expect_eq(MUST(f.store.run(third)).attempt, 3);
	cr_expect(ids(MUST(f.store.latestRunsOf(job))) == (std::vector<int64_t>{ run0, third }));
	EXPECT_ERROR(f.store.insertRetry(run0 + 100, 50), ENOENT, "no such run");
}

Test(store, unfinished_and_queued_runs_for_restart)
{
	Fixture f;
	int64_t a = MUST(f.store.insertJob(1000, kSpec, 4, 4, 1));
	int64_t b = MUST(f.store.insertJob(1001, kSpec, 1, 1, 2));
	auto runs = MUST(f.store.runsOf(a));
	int64_t runB = MUST(f.store.runsOf(b))[0].id;
	drive(f.store, runs[0].id, { S::Preparing }, 10);
	drive(f.store, runs[1].id, { S::Preparing, S::Running }, 10);
	drive(f.store, runs[2].id, { S::Preparing, S::Running, S::Parsing, S::Completed }, 10);
	/* runs[3] and job b's run stay queued. */

	cr_expect(ids(MUST(f.store.unfinishedRuns())) ==
		  (std::vector<int64_t>{ runs[0].id, runs[1].id, runs[3].id, runB }));
	cr_expect(ids(MUST(f.store.queuedRuns())) == (std::vector<int64_t>{ runs[3].id, runB }));

	/* What the daemon does after a restart with the runs it finds live. */
	cr_expect(MUST(f.store.transition(runs[0].id, S::Preparing, S::Failed, "daemon restarted", 50)));
	cr_expect(MUST(f.store.transition(runs[1].id, S::Running, S::Failed, "daemon restarted", 50)));
	cr_expect(ids(MUST(f.store.unfinishedRuns())) == (std::vector<int64_t>{ runs[3].id, runB }));
}

Test(store, jobs_are_listed_newest_first_by_owner_and_state)
{
	Fixture f;
	int64_t j1 = MUST(f.store.insertJob(1000, kSpec, 1, 1, 1));
	int64_t j2 = MUST(f.store.insertJob(1001, kSpec, 1, 1, 2));
	int64_t j3 = MUST(f.store.insertJob(1000, kSpec, 1, 1, 3));
	int64_t j4 = MUST(f.store.insertJob(1000, kSpec, 1, 1, 4));
	MUST(f.store.setJobState(j3, JobState::Completed, 9));

	auto jobIds = [](const std::vector<JobRow> &jobs) {
		std::vector<int64_t> out;
		for (const JobRow &job : jobs)
			out.push_back(job.id);
		return out;
	};
	using V = std::vector<int64_t>;
	cr_expect(jobIds(MUST(f.store.jobs(std::nullopt, std::nullopt, 10))) == (V{ j4, j3, j2, j1 }));
	cr_expect(jobIds(MUST(f.store.jobs(std::nullopt, std::nullopt, 2))) == (V{ j4, j3 }));
	cr_expect(jobIds(MUST(f.store.jobs(1000, std::nullopt, 10))) == (V{ j4, j3, j1 }));
	cr_expect(jobIds(MUST(f.store.jobs(1000, JobState::Queued, 10))) == (V{ j4, j1 }));
	cr_expect(jobIds(MUST(f.store.jobs(std::nullopt, JobState::Completed, 10))) == (V{ j3 }));
	cr_expect(MUST(f.store.jobs(1002, std::nullopt, 10)).empty());
	EXPECT_ERROR(f.store.jobs(std::nullopt, std::nullopt, 0), EINVAL, "limit must be at least 1");

	cr_expect_eq(MUST(f.store.countJobs(1000, JobState::Queued)), 2);
	cr_expect_eq(MUST(f.store.countJobs(1000, JobState::Completed)), 1);
	cr_expect_eq(MUST(f.store.countJobs(1001, JobState::Running)), 0);
	JobRow done = MUST(f.store.job(j3));
	cr_expect_eq(done.state, JobState::Completed);
	cr_expect(done.finishedAt == std::optional<int64_t>(9));
}

Test(store, a_job_state_follows_its_latest_attempts)
{
	Fixture f;
	int64_t job = MUST(f.store.insertJob(1000, kSpec, 2, 2, 1));
	auto runs = MUST(f.store.runsOf(job));
	auto derived = [&] {
		std::vector<RunState> states;
		for (const RunRow &run : MUST(f.store.latestRunsOf(job)))
			states.push_back(run.state);
		return deriveJobState(states, MUST(f.store.job(job)).cancelRequested);
	};
	drive(f.store, runs[0].id, { S::Preparing, S::Running, S::Parsing, S::Completed }, 10);
	drive(f.store, runs[1].id, { S::Preparing, S::Failed }, 10);
	cr_expect_eq(derived(), JobState::Failed);
	/* The failed run is retried: the job is running again, then completes. */
	int64_t retry = MUST(f.store.insertRetry(runs[1].id, 20));
	cr_expect_eq(derived(), JobState::Running);
	drive(f.store, retry, { S::Preparing, S::Running, S::Parsing, S::Completed }, 30);
	cr_expect_eq(derived(), JobState::Completed);
}

Test(store, leaf_result_heartbeat_and_cancel_are_stored)
{
	Fixture f;
	int64_t job = MUST(f.store.insertJob(1000, kSpec, 2, 1, 1));
	auto runs = MUST(f.store.runsOf(job));
	int64_t run = runs[0].id;

	MUST(f.store.setLeaf(run, "run-" + std::to_string(run)));
	cr_expect(MUST(f.store.run(run)).leaf == std::optional<std::string>("run-" + std::to_string(run)));
	MUST(f.store.setLeaf(run, std::nullopt));
	cr_expect(!MUST(f.store.run(run)).leaf);

	const std::string result = R"({"status":"ok","exit_code":0,"wall_ms":12})";
	MUST(f.store.setResult(run, result, 5000000000, 7, true));
	RunRow stored = MUST(f.store.run(run));
	cr_expect(stored.resultJson == std::optional<std::string>(result));
	cr_expect_eq(stored.stdoutBytes, 5000000000);
	cr_expect_eq(stored.stderrBytes, 7);
	cr_expect(stored.logTruncated);

	/* An id that is gone (a finished run's late heartbeat) is skipped, not an error. */
	MUST(f.store.heartbeat({ runs[0].id, runs[1].id, runs[1].id + 50 }, 777));
	cr_expect(MUST(f.store.run(runs[0].id)).heartbeatAt == std::optional<int64_t>(777));
	cr_expect(MUST(f.store.run(runs[1].id)).heartbeatAt == std::optional<int64_t>(777));

	MUST(f.store.requestCancel(job));
	cr_expect(MUST(f.store.job(job)).cancelRequested);
	MUST(f.store.setCancelRequested(job, false));
	cr_expect(!MUST(f.store.job(job)).cancelRequested);
}

Test(store, missing_rows_are_enoent)
{
	Fixture f;
	EXPECT_ERROR(f.store.job(42), ENOENT, "store: job 42: no such job");
	EXPECT_ERROR(f.store.run(42), ENOENT, "store: run 42: no such run");
	EXPECT_ERROR(f.store.user(1000), ENOENT, "store: user 1000: no such user");
	EXPECT_ERROR(f.store.setLeaf(42, "x"), ENOENT, "set leaf of run 42: no such row");
	EXPECT_ERROR(f.store.setResult(42, "{}", 0, 0, false), ENOENT, "run 42");
	EXPECT_ERROR(f.store.setJobState(42, JobState::Failed, 1), ENOENT, "job 42");
	EXPECT_ERROR(f.store.requestCancel(42), ENOENT, "cancel job 42");
	EXPECT_ERROR(f.store.setCancelRequested(42, false), ENOENT, "clear cancel of job 42");
	cr_expect(MUST(f.store.runsOf(42)).empty());
	cr_expect(MUST(f.store.transitionsOf(42)).empty());
}

Test(store, bad_data_is_einval_and_writes_nothing)
{
	Fixture f;
	EXPECT_ERROR(f.store.insertJob(1000, "{not json", 1, 1, 1), EINVAL,
		     "CHECK constraint failed: json_valid(spec_json)");
	EXPECT_ERROR(f.store.insertJob(1000, kSpec, 0, 1, 1), EINVAL, "must be at least 1");
	EXPECT_ERROR(f.store.insertJob(1000, kSpec, 2, 0, 1), EINVAL, "must be at least 1");
	cr_expect(MUST(f.store.jobs(std::nullopt, std::nullopt, 10)).empty());
	cr_expect(MUST(f.store.queuedRuns()).empty());

	int64_t job = MUST(f.store.insertJob(1000, kSpec, 1, 1, 1));
	int64_t run = MUST(f.store.runsOf(job))[0].id;
	EXPECT_ERROR(f.store.setResult(run, "truncated {", 0, 0, false), EINVAL, "json_valid");
	EXPECT_ERROR(f.store.upsertUser(1000, "ada", "nowhere"), EINVAL, "no org 'nowhere'");
	EXPECT_ERROR(f.store.upsertOrg("lab", -1), EINVAL, "CHECK constraint failed");
}

Test(store, a_job_is_only_there_once_its_transaction_commits)
{
	Fixture f;
	{
		Transaction tx = MUST(f.store.begin());
		MUST(f.store.insertJob(1000, kSpec, 3, 1, 1));
		/* No commit: the job and its runs go together. */
	}
	cr_expect(MUST(f.store.jobs(std::nullopt, std::nullopt, 10)).empty());
	cr_expect(MUST(f.store.queuedRuns()).empty());

	Transaction tx = MUST(f.store.begin());
	int64_t a = MUST(f.store.insertJob(1000, kSpec, 3, 1, 1));
	int64_t b = MUST(f.store.insertJob(1000, kSpec, 1, 1, 2));
	MUST(tx.commit());
	cr_expect_eq(MUST(f.store.queuedRuns()).size(), 4u);
	cr_expect_gt(b, a);
}

Test(store, users_and_orgs_are_upserted)
{
	Fixture f;
	MUST(f.store.upsertOrg("lab", 8));
	MUST(f.store.upsertUser(1000, "ada", "lab"));
	MUST(f.store.upsertUser(1001, "bob", std::nullopt));

	UserRow ada = MUST(f.store.user(1000));
	cr_expect_eq(ada.name, "ada");
	cr_expect(ada.org == std::optional<std::string>("lab"));
	cr_expect(ada.orgActiveRunsCap == std::optional<int64_t>(8));
	UserRow bob = MUST(f.store.user(1001));
	cr_expect(!bob.org && !bob.orgActiveRunsCap);

	MUST(f.store.upsertOrg("lab", 2));
	MUST(f.store.upsertUser(1001, "bobby", "lab"));
	cr_expect(MUST(f.store.user(1000)).orgActiveRunsCap == std::optional<int64_t>(2));
	cr_expect_eq(MUST(f.store.user(1001)).name, "bobby");
	cr_expect(MUST(f.store.user(1001)).org == std::optional<std::string>("lab"));
}
