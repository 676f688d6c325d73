/* SPDX-License-Identifier: MIT */
#include "live_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "base/fs.hpp"

namespace benchd::daemon {

namespace {

/* How long a leaf may stay populated after init died before we give up waiting. */
constexpr uint64_t kLeafGraceMs = 10000;

Result<UniqueFd> openLog(const std::string &path)
{
	return openAt(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
}

} /* namespace */

LiveRun::LiveRun(Loop &loop, Events events)
	: loop_(loop), events_(std::move(events)), exitOp_(loop), reportOp_(loop), deadlineOp_(loop),
	  leafOp_(loop), leafTimeoutOp_(loop)
{
}

LiveRun::~LiveRun() = default;

Result<std::unique_ptr<LiveRun>> LiveRun::start(Loop &loop, runner::RunContext &ctx, Setup setup,
						Events events)
{
	std::unique_ptr<LiveRun> self(new LiveRun(loop, std::move(events)));
	self->uid_ = std::move(setup.uid);

	auto outFile = openLog(setup.logDir + "/stdout");
	if (!outFile)
		return std::move(outFile).error();
	auto errFile = openLog(setup.logDir + "/stderr");
	if (!errFile)
		return std::move(errFile).error();
	auto outPipe = makePipe(0);
	if (!outPipe)
		return std::move(outPipe).error();
	auto errPipe = makePipe(0);
	if (!errPipe)
		return std::move(errPipe).error();

	auto run = runner::Run::start(ctx, setup.request, *setup.plan,
				      sandbox::Stdio{ -1, outPipe->write.get(), errPipe->write.get() });
	if (!run)
		return std::move(run).error();
	self->run_ = std::move(*run);
	/* Only the sandbox holds the write ends now: EOF means its processes are gone. */
	outPipe->write.reset();
	errPipe->write.reset();

	LiveRun *me = self.get();
	me->budget_ = std::make_shared<LogBudget>();
	me->budget_->cap = setup.logCapBytes;
	auto pump = [me](int stream, UniqueFd pipe, UniqueFd file) {
		return std::make_unique<LogPump>(
			me->loop_, std::move(pipe), std::move(file), me->budget_,
			[me, stream](uint64_t size) {
				if (me->events_.output)
					me->events_.output(stream, size);
			},
			[me] { me->maybeFinish(); });
	};
	me->out_ = pump(1, std::move(outPipe->read), std::move(*outFile));
	me->err_ = pump(2, std::move(errPipe->read), std::move(*errFile));
	me->out_->start();
	me->err_->start();

	(void)fcntl(me->run_->reportFd(), F_SETFL, O_NONBLOCK);
	me->watchReport();
	me->exitOp_.poll(me->run_->pidfd(), POLLIN, [me](int) { me->onInitExit(); });
	if (setup.timeoutMs > 0)
		me->deadlineOp_.timeout(setup.timeoutMs, [me](int res) {
			if (res == -ETIME && !me->initExited_)
				me->run_->expire();
		});
	return self;
}

/*
 * Poll, then read without blocking: a cancelled read could swallow a
 * record, a cancelled poll cannot.
 */
void LiveRun::watchReport()
{
	reportOp_.poll(run_->reportFd(), POLLIN, [this](int res) {
		if (res < 0)
			return;
		char buf[4096];
		ssize_t n;
		while ((n = ::read(run_->reportFd(), buf, sizeof(buf))) > 0)
			run_->onReport(std::string_view(buf, static_cast<size_t>(n)));
		if (!startedSent_ && (run_->jobStarted() || run_->observation().execError)) {
			startedSent_ = true;
			if (events_.started)
				events_.started();
		}
		if (n < 0 && errno == EAGAIN)
			watchReport();
	});
}

void LiveRun::onInitExit()
{
	auto exited = run_->pollExit();
	if (exited && !*exited) {
		exitOp_.poll(run_->pidfd(), POLLIN, [this](int) { onInitExit(); });
		return;
	}
	initExited_ = true;
	exitedAt_ = std::chrono::steady_clock::now();
	reportOp_.cancel();
	deadlineOp_.cancel();
	run_->collect();
	if (!startedSent_ && (run_->jobStarted() || run_->observation().execError)) {
		startedSent_ = true;
		if (events_.started)
			events_.started();
	}
	if (events_.exited)
		events_.exited();
	leafTimeoutOp_.timeout(kLeafGraceMs, [this](int res) {
		if (res != -ETIME || leafEmpty_)
			return;
		leafError_ = "the sandbox's cgroup did not empty within " + std::to_string(kLeafGraceMs / 1000) + "s";
		leafEmpty_ = true;
		leafOp_.cancel();
		maybeFinish();
	});
	watchLeaf();
}

void LiveRun::watchLeaf()
{
	auto populated = run_->leafPopulated();
	if (!populated || !*populated) {
		leafEmpty_ = true;
		leafTimeoutOp_.cancel();
		maybeFinish();
		return;
	}
	leafOp_.poll(run_->leafEventsFd(), POLLPRI, [this](int res) {
		if (res < 0 && res != -EINTR) {
			leafError_ = "watching cgroup.events failed";
			leafEmpty_ = true;
			maybeFinish();
			return;
		}
		watchLeaf();
	});
}

bool LiveRun::stuck() const
{
	/* Twice the leaf's own grace: this only catches what nothing else did. */
	return initExited_ && !finished_ &&
	       std::chrono::steady_clock::now() - exitedAt_ > std::chrono::milliseconds(2 * kLeafGraceMs);
}

void LiveRun::forceFinish()
{
	if (finished_ || !initExited_)
		return;
	forced_ = true;
	leafEmpty_ = true;
	if (leafError_.empty())
		leafError_ = "the run's output did not end after its processes did; its logs may be incomplete";
	maybeFinish();
}

void LiveRun::maybeFinish()
{
	if (finished_ || !initExited_ || !leafEmpty_)
		return;
	if (!forced_ && (!out_->done() || !err_->done()))
		return;
	finished_ = true;
	runner::RunResult result = run_->finalize();
	if (!leafError_.empty() && result.error.empty())
		result.error = leafError_;
	LogSummary logs;
	logs.stdoutBytes = out_->size();
	logs.stderrBytes = err_->size();
	logs.truncated = budget_->truncated;
	logs.error = !out_->error().empty() ? out_->error() : err_->error();
	uid_ = {};
	if (events_.finished)
		events_.finished(result, logs); /* may destroy this object: nothing after it */
}

void LiveRun::kill()
{
	if (!initExited_)
		(void)run_->kill();
}

} /* namespace benchd::daemon */
