/* SPDX-License-Identifier: MIT */
/*
 * Jobs in, runs started, runs finished: the supervisor's moving parts.
 * Queries and views live in supervisor_api.cpp, restart reconciliation in
 * recovery.cpp.
 */
#include "supervisor.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "log.hpp"

namespace benchd::daemon {

using store::RunState;

Supervisor::Supervisor(Host host, Config config, sandbox::HostFacts facts)
	: host_(host), config_(std::move(config)), facts_(std::move(facts)),
	  scheduler_(schedulerLimits()), runContext_{ host.cgroups, host.seccomp }
{
	if (const char *at = std::getenv("BENCHD_CRASH_AT")) {
		std::string spec = at;
		size_t colon = spec.find(':');
		crashAt_ = spec.substr(0, colon);
		crashCountdown_ = colon == std::string::npos ? 1 : std::atoi(spec.c_str() + colon + 1);
	}
	reload(config_);
}

Supervisor::~Supervisor() = default;

int64_t Supervisor::now() const
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

scheduler::Limits Supervisor::schedulerLimits() const
{
	scheduler::Limits l;
	l.slotsMilli = config_.slots * scheduler::kMilliPerSlot;
	l.userActiveJobs = config_.userActiveJobs;
	l.userQueuedJobs = config_.userQueuedJobs;
	l.jobParallelRuns = config_.jobParallelRuns;
	l.orgActiveRuns = config_.orgActiveRuns;
	for (const auto &[name, org] : config_.orgs)
		l.orgCaps[name] = org.activeRuns;
	return l;
}

void Supervisor::reload(const Config &config)
{
	/* What a reload may change: limits, defaults, maxima, orgs, the admin group. */
	Config next = config_;
	next.slots = config.slots;
	next.userActiveJobs = config.userActiveJobs;
	next.userQueuedJobs = config.userQueuedJobs;
	next.orgActiveRuns = config.orgActiveRuns;
	next.jobParallelRuns = config.jobParallelRuns;
	next.maxRunsPerJob = config.maxRunsPerJob;
	next.autoRetries = config.autoRetries;
	next.defaults = config.defaults;
	next.maximum = config.maximum;
	next.logCapBytes = config.logCapBytes;
	next.orgs = config.orgs;
	next.adminGroup = config.adminGroup;
	config_ = std::move(next);
	scheduler_.setLimits(schedulerLimits());
	adminGid_.reset();
	if (!config_.adminGroup.empty()) {
		if (struct group *g = getgrnam(config_.adminGroup.c_str()))
			adminGid_ = g->gr_gid;
		else
			log(Level::Warning, "admin group '" + config_.adminGroup + "' does not exist");
	}
	syncUsersAndOrgs();
}

void Supervisor::syncUsersAndOrgs()
{
	if (!ensureTransaction())
		return;
	for (const auto &[name, org] : config_.orgs)
		if (auto s = store().upsertOrg(name, org.activeRuns); !s)
			log(Level::Error, s.error().message());
	names_.clear(); /* users are (re)written with their org on their next call */
}

bool Supervisor::isAdmin(const Peer &peer) const
{
	return peer.uid == 0 || (adminGid_ && peer.inGroup(*adminGid_));
}

std::string Supervisor::orgOf(uid_t uid) const
{
	for (const auto &[name, org] : config_.orgs) {
		for (const auto &u : org.users) {
			char *end;
			unsigned long n = std::strtoul(u.c_str(), &end, 10);
			if (*end == '\0' && !u.empty() && n == uid)
				return name;
			struct passwd *pw = getpwnam(u.c_str());
			if (pw && pw->pw_uid == uid)
				return name;
		}
	}
	return "";
}

std::string Supervisor::userName(uid_t uid)
{
	auto it = names_.find(uid);
	if (it != names_.end())
		return it->second;
	struct passwd *pw = getpwuid(uid);
	std::string name = pw ? pw->pw_name : std::to_string(uid);
	std::string org = orgOf(uid);
	if (ensureTransaction()) {
		auto s = store().upsertUser(uid, name, org.empty() ? std::nullopt : std::optional<std::string_view>(org));
		if (!s)
			log(Level::Error, s.error().message());
	}
	names_[uid] = name;
	return name;
}

bool Supervisor::ensureTransaction()
{
	if (txn_)
		return true;
	auto t = store().begin();
	if (!t) {
		log(Level::Error, t.error().message());
		return false;
	}
	txn_.emplace(std::move(*t));
	return true;
}

/* The one place a run changes state: stored (compare-and-set), logged, announced. */
bool Supervisor::transition(int64_t runId, RunState from, RunState to, const std::string &reason)
{
	if (!ensureTransaction())
		return false;
	auto moved = store().transition(runId, from, to,
					reason.empty() ? std::nullopt : std::optional<std::string_view>(reason), now());
	if (!moved) {
		log(Level::Error, "run " + std::to_string(runId) + ": " + moved.error().message());
		return false;
	}
	if (!*moved) {
		log(Level::Debug, "run " + std::to_string(runId) + ": ignored a late " +
					  store::stateName(from) + " -> " + store::stateName(to));
		return false;
	}
	log(Level::Info, "run " + std::to_string(runId) + ": " + store::stateName(from) + " -> " +
				 store::stateName(to) + (reason.empty() ? "" : " (" + reason + ")"));
	if (JobMem *job = jobOfRun(runId))
		job->states[runId] = to;
	if (store::isTerminal(to))
		notifyFollowers(runId);
	crashPoint(store::stateName(to));
	return true;
}

void Supervisor::updateJobState(int64_t jobId)
{
	auto it = jobs_.find(jobId);
	if (it == jobs_.end())
		return;
	JobMem &job = it->second;
	std::vector<RunState> latest;
	for (int64_t runId : job.latest)
		latest.push_back(job.states.at(runId));
	store::JobState state = store::deriveJobState(latest, job.cancelRequested);
	bool done = store::isTerminal(state);
	if (job.written == state)
		return;
	if (!ensureTransaction())
		return;
	job.written = state;
	if (auto s = store().setJobState(jobId, state, done ? std::optional<int64_t>(now()) : std::nullopt); !s)
		log(Level::Error, s.error().message());
	if (done) {
		log(Level::Info, "job " + std::to_string(jobId) + ": " + store::stateName(state));
		for (const auto &[runId, st] : job.states)
			runJob_.erase(runId);
		jobs_.erase(it);
	}
}

Supervisor::JobMem *Supervisor::jobOfRun(int64_t runId, int64_t *jobId)
{
	auto it = runJob_.find(runId);
	if (it == runJob_.end())
		return nullptr;
	if (jobId)
		*jobId = it->second;
	auto jit = jobs_.find(it->second);
	return jit == jobs_.end() ? nullptr : &jit->second;
}

Status Supervisor::admitJob(int64_t jobId, JobMem job, const std::vector<int64_t> &queued)
{
	scheduler::JobInfo info{ jobId, job.uid, orgOf(job.uid), job.spec.parallel };
	if (auto s = scheduler_.addJob(info, queued); !s)
		return s;
	for (const auto &[runId, st] : job.states)
		runJob_[runId] = jobId;
	jobs_[jobId] = std::move(job);
	return {};
}

void Supervisor::submit(const Peer &peer, const protocol::SubmitParams &params,
			std::function<void(ApiResult<int64_t>)> done)
{
	counters_.submits++;
	auto resolved = resolveSubmit(params, config_);
	if (auto *bad = std::get_if<protocol::InvalidArgument>(&resolved)) {
		counters_.submitsRefused++;
		done(ApiError{ protocol::errors::kInvalidArgument, bad->toJson() });
		return;
	}
	JobSpec spec = std::move(std::get<JobSpec>(resolved));
	if (auto s = scheduler_.admit(peer.uid); !s) {
		counters_.submitsRefused++;
		done(ApiError{ protocol::errors::kQueueFull,
			       { { "limit", "user_queued_jobs" }, { "value", config_.userQueuedJobs },
				 { "reason", s.error().message() } } });
		return;
	}
	userName(peer.uid);
	if (!ensureTransaction()) {
		done(internalError("the state database is unavailable"));
		return;
	}
	auto id = store().insertJob(peer.uid, specToJson(spec).dump(), spec.runs, spec.parallel, now());
	auto runs = id ? store().latestRunsOf(*id) : Result<std::vector<store::RunRow>>(id.error());
	if (!runs) {
		log(Level::Error, runs.error().message());
		done(internalError(runs.error().message()));
		return;
	}
	JobMem job;
	job.uid = peer.uid;
	job.spec = spec;
	job.written = store::JobState::Queued;
	std::vector<int64_t> runIds;
	for (const auto &r : *runs) {
		job.latest.push_back(r.id);
		job.states[r.id] = RunState::Queued;
		runIds.push_back(r.id);
	}
	int64_t jobId = *id;
	if (auto s = admitJob(jobId, std::move(job), runIds); !s) {
		done(internalError(s.error().message()));
		return;
	}
	log(Level::Info, "job " + std::to_string(jobId) + ": submitted by uid " + std::to_string(peer.uid) +
				 " (" + std::to_string(spec.runs) + " runs)");
	crashPoint("submit");
	/* Answered only once it is on disk; never started before either. */
	afterCommit_.push_back([this, jobId, done = std::move(done)](bool committed) {
		if (committed) {
			done(jobId);
			return;
		}
		(void)scheduler_.cancelJob(jobId);
		if (auto it = jobs_.find(jobId); it != jobs_.end()) {
			for (const auto &[runId, st] : it->second.states)
				runJob_.erase(runId);
			jobs_.erase(it);
		}
		done(internalError("the job could not be written to the state database"));
	});
}

void Supervisor::endBatch()
{
	for (int round = 0; round < 2; round++) {
		bool committed = true;
		if (txn_) {
			auto s = txn_->commit();
			txn_.reset(); /* rolls back if the commit failed */
			if (s) {
				counters_.commits++;
			} else {
				committed = false;
				counters_.commitFailures++;
				log(Level::Error, "commit: " + s.error().message());
			}
		}
		auto callbacks = std::move(afterCommit_);
		afterCommit_.clear();
		for (auto &cb : callbacks)
			cb(committed);
		/* Start runs after the commit; their own transitions are committed in round two. */
		if (round == 0)
			pump();
	}
	finished_.clear();
}

void Supervisor::pump()
{
	/* Stopping: nothing new starts; queued runs wait for the next start. */
	if (stopping_)
		return;
	while (auto runId = scheduler_.pick())
		startRun(*runId);
}

void Supervisor::startRun(int64_t runId)
{
	int64_t jobId = 0;
	JobMem *job = jobOfRun(runId, &jobId);
	if (!job) {
		log(Level::Error, "run " + std::to_string(runId) + " was picked but belongs to no known job");
		(void)scheduler_.finished(runId);
		return;
	}
	if (!transition(runId, RunState::Queued, RunState::Preparing, "")) {
		(void)scheduler_.finished(runId);
		return;
	}
	counters_.runsStarted++;
	live_[runId].jobId = jobId;
	updateJobState(jobId);

	auto lease = host_.uids.acquire();
	if (!lease)
		return failBeforeStart(runId, lease.error());
	auto row = store().run(runId);
	if (!row)
		return failBeforeStart(runId, row.error());
	sandbox::SandboxSpec spec = sandboxSpecFor(job->spec, config_, lease->uid());
	/* Which run this is, for jobs whose runs are attempts of one task (pass@k). */
	spec.env.push_back("BENCHD_JOB_ID=" + std::to_string(jobId));
	spec.env.push_back("BENCHD_RUN_INDEX=" + std::to_string(row->idx));
	spec.env.push_back("BENCHD_ATTEMPT=" + std::to_string(row->attempt));
	auto plan = sandbox::buildPlan(spec, facts_);
	if (!plan)
		return failBeforeStart(runId, plan.error());
	std::string logDir = config_.stateDir + "/runs/" + std::to_string(runId);
	if (::mkdir(logDir.c_str(), 0750) < 0 && errno != EEXIST)
		return failBeforeStart(runId, Error::fromErrno("create " + logDir));

	std::string leaf = "run-" + std::to_string(runId);
	LiveRun::Setup setup{ { leaf, cgroupLimitsFor(job->spec) }, &*plan, std::move(*lease), logDir,
			      job->spec.logCapBytes, job->spec.limits.timeoutMs };
	LiveRun::Events events;
	events.started = [this, runId, jobId] {
		if (transition(runId, RunState::Preparing, RunState::Running, ""))
			updateJobState(jobId);
	};
	events.output = [this, runId](int, uint64_t) { notifyFollowers(runId); };
	events.exited = [this, runId] {
		JobMem *j = jobOfRun(runId);
		if (j && j->states[runId] == RunState::Running)
			transition(runId, RunState::Running, RunState::Parsing, "");
	};
	events.finished = [this, runId](const runner::RunResult &r, const LogSummary &l) {
		onRunFinished(runId, r, l);
	};
	auto run = LiveRun::start(host_.loop, runContext_, std::move(setup), std::move(events));
	if (!run)
		return failBeforeStart(runId, run.error());
	live_[runId].run = std::move(*run);
	if (auto s = store().setLeaf(runId, leaf); !s)
		log(Level::Error, s.error().message());
}

/* The sandbox never started: the run fails with a setup error. */
void Supervisor::failBeforeStart(int64_t runId, const Error &error)
{
	int64_t jobId = live_[runId].jobId;
	live_.erase(runId);
	runner::RunResult result = runner::RunResult::setupFailure(error);
	transition(runId, RunState::Preparing, RunState::Failed, result.error);
	if (auto s = store().setResult(runId, runner::toJson(result).dump(), 0, 0, false); !s)
		log(Level::Error, s.error().message());
	(void)scheduler_.finished(runId);
	updateJobState(jobId);
}

void Supervisor::onRunFinished(int64_t runId, const runner::RunResult &result, const LogSummary &logs)
{
	auto it = live_.find(runId);
	if (it == live_.end())
		return;
	LiveEntry entry = std::move(it->second);
	live_.erase(it);
	counters_.runsFinished++;

	RunState to = RunState::Failed;
	std::string reason = result.error;
	if (result.status == runner::RunStatus::Ok)
		to = RunState::Completed;
	else if (result.status == runner::RunStatus::TimedOut)
		to = RunState::TimedOut;
	if (entry.cancelled && to != RunState::Completed) {
		to = RunState::Aborted;
		reason = "cancelled";
	}
	if (entry.shuttingDown && to != RunState::Completed) {
		to = RunState::Failed;
		reason = "the daemon stopped";
	}
	if (reason.empty())
		reason = runner::statusName(result.status);

	RunState from = RunState::Parsing;
	auto jit = jobs_.find(entry.jobId);
	if (jit != jobs_.end())
		from = jit->second.states.at(runId);
	if (from == RunState::Running && transition(runId, RunState::Running, RunState::Parsing, ""))
		from = RunState::Parsing;
	if (from == RunState::Preparing && to != RunState::Aborted)
		to = RunState::Failed; /* it never ran: setup error */
	transition(runId, from, to, reason);

	if (auto s = store().setResult(runId, runner::toJson(result).dump(), logs.stdoutBytes,
				       logs.stderrBytes, logs.truncated); !s)
		log(Level::Error, s.error().message());
	(void)store().setLeaf(runId, std::nullopt);
	(void)scheduler_.finished(runId);
	if (!logs.error.empty())
		log(Level::Warning, "run " + std::to_string(runId) + ": " + logs.error);

	/*
	 * A run the daemon cut short is tried again at the next start, within
	 * auto_retries; the job keeps counting that attempt as its latest.
	 */
	if (entry.shuttingDown && to == RunState::Failed && jit != jobs_.end()) {
		auto attempt = store().run(runId);
		if (attempt && attempt->attempt <= static_cast<int64_t>(config_.autoRetries)) {
			auto retry = store().insertRetry(runId, now());
			if (retry) {
				JobMem &job = jit->second;
				job.latest.at(static_cast<size_t>(attempt->idx)) = *retry;
				job.states[*retry] = RunState::Queued;
				runJob_[*retry] = entry.jobId;
				counters_.runsAutoRetried++;
			}
		}
	}
	finished_.push_back(std::move(entry.run));
	notifyFollowers(runId);
	updateJobState(entry.jobId);
}

bool Supervisor::runOver(int64_t runId) const
{
	auto it = runJob_.find(runId);
	if (it == runJob_.end())
		return true;
	auto jit = jobs_.find(it->second);
	if (jit == jobs_.end())
		return true;
	auto st = jit->second.states.find(runId);
	return st == jit->second.states.end() || store::isTerminal(st->second);
}

uint64_t Supervisor::follow(int64_t runId, std::function<void()> cb)
{
	uint64_t token = nextFollower_++;
	followers_[runId][token] = std::move(cb);
	return token;
}

void Supervisor::unfollow(int64_t runId, uint64_t token)
{
	auto it = followers_.find(runId);
	if (it == followers_.end())
		return;
	it->second.erase(token);
	if (it->second.empty())
		followers_.erase(it);
}

void Supervisor::notifyFollowers(int64_t runId)
{
	auto it = followers_.find(runId);
	if (it == followers_.end())
		return;
	/* Followers may unfollow while being told: call a copy. */
	auto copy = it->second;
	for (auto &[token, cb] : copy)
		cb();
}

void Supervisor::tick()
{
	std::vector<int64_t> ids;
	for (const auto &[id, e] : live_)
		ids.push_back(id);
	if (!ids.empty() && ensureTransaction())
		if (auto s = store().heartbeat(ids, now()); !s)
			log(Level::Error, s.error().message());
	watchdog();
}

/*
 * Runs the store says have a sandbox but that this daemon does not
 * supervise (lost to a failed commit, or a bug) would stay "running"
 * forever: finish them, with the reason, and retry them as a restart
 * would. Live runs that stopped making progress are killed.
 */
void Supervisor::watchdog()
{
	auto active = store().activeRuns();
	if (!active) {
		log(Level::Error, "watchdog: " + active.error().message());
		return;
	}
	int64_t at = now();
	int64_t stale = static_cast<int64_t>(config_.heartbeatMs) * 3;
	for (const auto &run : *active) {
		if (live_.count(run.id))
			continue;
		/* A run picked in this very batch has no sandbox yet but a fresh row. */
		int64_t last = run.heartbeatAt.value_or(run.startedAt.value_or(run.createdAt));
		if (at - last < stale && run.state == RunState::Preparing)
			continue;
		std::string reason = "watchdog: no sandbox is supervising this run (last heartbeat " +
				     std::to_string((at - last) / 1000) + "s ago)";
		if (!transition(run.id, run.state, RunState::Failed, reason))
			continue;
		(void)store().setLeaf(run.id, std::nullopt);
		(void)host_.cgroups.removeLeaf("run-" + std::to_string(run.id));
		int64_t jobId = run.jobId;
		JobMem *job = jobOfRun(run.id);
		if (job && run.attempt <= static_cast<int64_t>(config_.autoRetries)) {
			/* The retry is filed before the old run's slot frees, so the job stays active. */
			auto retry = store().insertRetry(run.id, at);
			if (retry) {
				job->latest.at(static_cast<size_t>(run.idx)) = *retry;
				job->states[*retry] = RunState::Queued;
				runJob_[*retry] = jobId;
				if (!scheduler_.addRetry(jobId, *retry))
					(void)scheduler_.addJob({ jobId, job->uid, orgOf(job->uid), job->spec.parallel },
								{ *retry });
				counters_.runsAutoRetried++;
			}
		}
		(void)scheduler_.finished(run.id);
		updateJobState(jobId);
	}
	for (auto &[id, entry] : live_)
		if (entry.run && entry.run->stuck())
			entry.run->forceFinish();
}

void Supervisor::shutdown()
{
	stopping_ = true;
	for (auto &[id, e] : live_) {
		e.shuttingDown = true;
		if (e.run)
			e.run->kill();
	}
}

void Supervisor::crashPoint(std::string_view name)
{
	if (crashAt_.empty() || name != crashAt_ || --crashCountdown_ > 0)
		return;
	log(Level::Warning, "BENCHD_CRASH_AT=" + crashAt_ + ": committing and dying like kill -9");
	if (txn_)
		(void)txn_->commit();
	::kill(::getpid(), SIGKILL);
}

std::string Supervisor::statusLine() const
{
	auto s = scheduler_.stats();
	return std::to_string(s.runningRuns) + " running, " + std::to_string(s.queuedRuns) + " queued runs in " +
	       std::to_string(s.queuedJobs) + " queued jobs; slots " +
	       std::to_string(s.slotsUsedMilli / scheduler::kMilliPerSlot) + "/" +
	       std::to_string(s.slotsTotalMilli / scheduler::kMilliPerSlot);
}

} /* namespace benchd::daemon */
