/* SPDX-License-Identifier: MIT */
#include "runner/run.hpp"

#include <cerrno>
#include <sys/wait.h>
#include <unistd.h>

namespace benchd::runner {

Run::Run(std::unique_ptr<cgroups::Leaf> leaf, sandbox::Sandbox sandbox)
	: leaf_(std::move(leaf)), sandbox_(std::move(sandbox))
{
}

Result<std::unique_ptr<Run>> Run::start(RunContext &ctx, const RunRequest &request,
					const sandbox::Plan &plan, const sandbox::Stdio &io)
{
	auto leaf = ctx.cgroups.createLeaf(request.name, request.limits);
	if (!leaf)
		return std::move(leaf).error();

	auto sb = sandbox::Sandbox::spawn(plan, ctx.seccomp, io, (*leaf)->dirFd());
	if (!sb)
		return std::move(sb).error();

	/* Hybrid hosts: the v1 hierarchies learn about the child before it runs. */
	if (auto s = (*leaf)->attach(sb->pid()); !s)
		return std::move(s).error(); /* ~Sandbox kills the waiting child */

	std::unique_ptr<Run> run(new Run(std::move(*leaf), std::move(*sb)));
	run->startTime_ = std::chrono::steady_clock::now();
	if (auto s = run->sandbox_.start(); !s)
		return std::move(s).error();
	return run;
}

void Run::onReport(std::string_view bytes)
{
	auto records = reader_.feed(bytes);
	if (!records) {
		if (!obs_.setupError)
			obs_.setupError = records.error();
		return;
	}
	for (const auto &r : *records) {
		switch (r.kind) {
		case sandbox::RecordKind::SetupError:
			obs_.setupError = sandbox::recordToError(r);
			break;
		case sandbox::RecordKind::ExecError:
			obs_.execError = Error(r.err, std::string("execve ") + r.detail);
			break;
		case sandbox::RecordKind::Started:
			started_ = true;
			break;
		case sandbox::RecordKind::Exited:
			obs_.jobStatus = static_cast<int>(r.value);
			break;
		}
	}
}

void Run::expire()
{
	obs_.timedOut = true;
	(void)kill();
}

Status Run::terminate()
{
	return sandbox_.signal(SIGTERM);
}

Status Run::kill()
{
	if (auto s = leaf_->kill(); !s) {
		/* Killing init empties the pid namespace just as well. */
		return sandbox_.signal(SIGKILL);
	}
	return {};
}

Result<bool> Run::pollExit()
{
	auto exit = sandbox_.wait(false);
	if (!exit)
		return std::move(exit).error();
	if (!exit->exited)
		return false;
	obs_.init = exit->info;
	obs_.wallMs = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
		std::chrono::steady_clock::now() - startTime_).count());
	return true;
}

void Run::collect()
{
	/* init is gone, so the pipe has no writer left: this read ends at EOF. */
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(sandbox_.reportFd(), buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		onReport(std::string_view(buf, static_cast<size_t>(n)));
	}
	/* The pid namespace died with init; this catches anything that raced out of it. */
	(void)leaf_->kill();
}

RunResult Run::finish()
{
	collect();
	if (auto s = leaf_->waitEmpty(5000); !s)
		obs_.usageError = std::move(s).error();
	return finalize();
}

RunResult Run::finalize()
{
	auto usage = leaf_->usage();
	if (usage)
		obs_.usage = *usage;
	else
		obs_.usageError = std::move(usage).error();
	(void)leaf_->destroy();
	return classify(obs_);
}

namespace {

void addUsage(RunResult &r, const cgroups::Usage &u)
{
	r.cpuUserMs = u.cpuUserUs / 1000;
	r.cpuSysMs = u.cpuSystemUs / 1000;
	r.memoryPeakBytes = u.memoryPeakBytes;
	r.oomKilled = u.oomKills > 0;
	r.pidsLimitHit = u.pidsLimitHits > 0;
	r.pidsPeak = u.pidsPeak;
}

/* How the job ended: from init's record, or from init itself. */
void addEnding(RunResult &r, const Observation &obs)
{
	if (obs.jobStatus) {
		int st = *obs.jobStatus;
		if (WIFEXITED(st))
			r.exitCode = WEXITSTATUS(st);
		else if (WIFSIGNALED(st))
			r.signal = WTERMSIG(st);
	} else if (obs.init) {
		if (obs.init->si_code == CLD_EXITED)
			r.exitCode = obs.init->si_status;
		else
			r.signal = obs.init->si_status;
	}
}

} /* namespace */

RunResult classify(const Observation &obs)
{
	RunResult r;
	r.wallMs = obs.wallMs;
	if (obs.usage)
		addUsage(r, *obs.usage);

	if (obs.setupError) {
		r.status = RunStatus::SetupError;
		r.error = obs.setupError->message();
		return r;
	}
	addEnding(r, obs);
	if (obs.execError)
		r.error = obs.execError->message();

	if (obs.timedOut) {
		r.status = RunStatus::TimedOut;
	} else if (r.oomKilled) {
		/* Never a bare SIGKILL: the job hit its memory limit. */
		r.status = RunStatus::MemoryLimit;
	} else if (!obs.jobStatus && obs.init && obs.init->si_code == CLD_EXITED) {
		/* init ended without a word: it died in a step it could not report. */
		r.status = RunStatus::SetupError;
		r.exitCode.reset();
		r.error = "sandbox: init exited with status " + std::to_string(obs.init->si_status) +
			  " before the job started";
	} else if (r.signal) {
		r.status = RunStatus::Signaled;
	} else if (r.exitCode && *r.exitCode == 0) {
		r.status = RunStatus::Ok;
	} else {
		r.status = RunStatus::ExitNonzero;
	}
	if (obs.usageError && r.error.empty())
		r.error = "figures incomplete: " + obs.usageError->message();
	return r;
}

} /* namespace benchd::runner */
