/* SPDX-License-Identifier: MIT */
/*
 * The daemon's model: jobs and their runs, the queue, and the runs that
 * are alive. Every state change goes through transition(), which writes
 * it to the store (compare-and-set), logs it, and tells whoever follows.
 *
 * Writes of one loop iteration share one transaction, committed by
 * endBatch() before the loop waits again; a submit is answered only after
 * its commit. Runs are started only in endBatch(), after the commit, so a
 * job that did not reach the disk never runs.
 */
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "api_error.hpp"
#include "cgroups/manager.hpp"
#include "config.hpp"
#include "job_spec.hpp"
#include "live_run.hpp"
#include "loop.hpp"
#include "runner/run.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/seccomp.hpp"
#include "sandbox/uid_pool.hpp"
#include "scheduler/scheduler.hpp"
#include "server.hpp"
#include "store/store.hpp"

namespace benchd::daemon {

/* Figures kept from the start (operator UX will read them). */
struct Counters {
	uint64_t submits = 0;
	uint64_t submitsRefused = 0;
	uint64_t runsStarted = 0;
	uint64_t runsFinished = 0;
	uint64_t runsAutoRetried = 0;
	uint64_t commits = 0;
	uint64_t commitFailures = 0;
};

class Supervisor
{
public:
	struct Host {
		Loop &loop;
		store::Store &store;
		cgroups::Manager &cgroups;
		const sandbox::SeccompProgram &seccomp;
		const sandbox::UidPool &uids;
	};

	Supervisor(Host host, Config config, sandbox::HostFacts facts);
	~Supervisor();

	/* After a restart: finish what the last daemon left running, rebuild the queue. */
	Status recover();

	/* SIGHUP: new limits and defaults; running runs are not touched. */
	void reload(const Config &config);
	const Config &config() const { return config_; }

	/* The API. `peer` decides what the caller may see and do. */
	void submit(const Peer &peer, const protocol::SubmitParams &params,
		    std::function<void(ApiResult<int64_t>)> done);
	ApiResult<protocol::Json> status(const Peer &peer, int64_t id);
	ApiResult<protocol::Json> list(const Peer &peer, std::optional<std::string> state, bool all,
				       int64_t limit);
	ApiResult<protocol::Json> cancel(const Peer &peer, int64_t id);
	ApiResult<protocol::Json> retry(const Peer &peer, int64_t id);

	/* Logs: where a run's stream is, and news of it. */
	struct LogTarget {
		int64_t runId;
		int64_t attempt;
		std::string path;
		bool truncated;
	};
	ApiResult<LogTarget> logTarget(const Peer &peer, int64_t jobId, uint32_t index,
				       const std::string &stream);
	/* Has the run reached a terminal state (or is it unknown)? */
	bool runOver(int64_t runId) const;
	/* `cb` runs when the stream grows and once more when the run ends. */
	uint64_t follow(int64_t runId, std::function<void()> cb);
	void unfollow(int64_t runId, uint64_t token);

	/* End of a loop iteration: commit, answer submits, start runs, free finished ones. */
	void endBatch();
	/* Every heartbeat period: heartbeats, watchdog, status line. */
	void tick();
	/* SIGTERM: kill every live run and record it; the next start retries them. */
	void shutdown();

	bool isAdmin(const Peer &peer) const;
	size_t liveRuns() const { return live_.size(); }
	std::string statusLine() const;
	const Counters &counters() const { return counters_; }

private:
	struct JobMem {
		uid_t uid = 0;
		JobSpec spec;
		bool cancelRequested = false;
		/* The job state last written to the store. */
		std::optional<store::JobState> written;
		/* idx -> the latest attempt's run id and state */
		std::vector<int64_t> latest;
		std::unordered_map<int64_t, store::RunState> states;
	};
	struct LiveEntry {
		int64_t jobId = 0;
		std::unique_ptr<LiveRun> run;
		bool cancelled = false;
		bool shuttingDown = false;
	};

	store::Store &store() { return host_.store; }
	int64_t now() const;
	bool ensureTransaction();
	bool transition(int64_t runId, store::RunState from, store::RunState to,
			const std::string &reason);
	void updateJobState(int64_t jobId);
	/* Track a job (and its runs) in memory and in the scheduler's queue. */
	Status admitJob(int64_t jobId, JobMem job, const std::vector<int64_t> &queued);
	JobMem *jobOfRun(int64_t runId, int64_t *jobId = nullptr);
	void pump();
	void startRun(int64_t runId);
	void failBeforeStart(int64_t runId, const Error &error);
	void onRunFinished(int64_t runId, const runner::RunResult &result, const LogSummary &logs);
	void notifyFollowers(int64_t runId);
	void watchdog();
	std::optional<ApiError> mayAccess(const Peer &peer, const store::JobRow &job) const;
	ApiResult<store::JobRow> accessibleJob(const Peer &peer, int64_t id);
	ApiResult<protocol::Json> jobView(const store::JobRow &job, bool withAttempts);
	Result<JobMem> loadJob(const store::JobRow &row);
	std::string userName(uid_t uid);
	std::string orgOf(uid_t uid) const;
	scheduler::Limits schedulerLimits() const;
	void syncUsersAndOrgs();

	Host host_;
	Config config_;
	sandbox::HostFacts facts_;
	scheduler::Scheduler scheduler_;
	runner::RunContext runContext_;
	std::optional<store::Transaction> txn_;
	std::vector<std::function<void(bool committed)>> afterCommit_;
	std::unordered_map<int64_t, JobMem> jobs_;	 /* jobs not yet finished */
	std::unordered_map<int64_t, int64_t> runJob_;	 /* run -> job, for runs of jobs_ */
	std::unordered_map<int64_t, LiveEntry> live_;	 /* runs with a sandbox */
	std::vector<std::unique_ptr<LiveRun>> finished_; /* freed in endBatch */
	std::unordered_map<int64_t, std::map<uint64_t, std::function<void()>>> followers_;
	uint64_t nextFollower_ = 1;
	std::unordered_map<uid_t, std::string> names_;
	std::optional<gid_t> adminGid_;
	Counters counters_;
	bool stopping_ = false;

	/*
	 * Test-only: BENCHD_CRASH_AT=STATE[:N] ("preparing", "running",
	 * "parsing", ... or "submit") makes the daemon commit and die like
	 * kill -9 right after the Nth time it enters STATE, so restart
	 * recovery can be tested at points too brief to hit from outside.
	 */
	void crashPoint(std::string_view name);
	std::string crashAt_;
	int crashCountdown_ = 0;
};

} /* namespace benchd::daemon */
