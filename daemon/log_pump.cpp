/* SPDX-License-Identifier: MIT */
#include "log_pump.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>

#include "base/units.hpp"

namespace benchd::daemon {

LogPump::LogPump(Loop &loop, UniqueFd pipe, UniqueFd file, std::shared_ptr<LogBudget> budget,
		 Progress progress, Done done)
	: loop_(loop), pipe_(std::move(pipe)), file_(std::move(file)), budget_(std::move(budget)),
	  progress_(std::move(progress)), done_cb_(std::move(done)),
	  buf_(std::make_shared<std::string>(kChunk, '\0')), op_(loop)
{
	/* Fewer, larger reads: a fast writer fills 64 KiB pipes in microseconds. */
	(void)fcntl(pipe_.get(), F_SETPIPE_SZ, 1 << 20);
}

void LogPump::start()
{
	readMore();
}

void LogPump::readMore()
{
	op_.read(pipe_.get(), buf_, 0, kChunk, static_cast<uint64_t>(-1), [this](int res) { onRead(res); });
}

void LogPump::onRead(int res)
{
	if (res == -EINTR || res == -EAGAIN) {
		readMore();
		return;
	}
	if (res <= 0) {
		if (res < 0)
			error_ = std::string("read output pipe: ") + strerror(-res);
		finish();
		return;
	}
	size_t n = static_cast<size_t>(res);
	uint64_t room = budget_->cap > budget_->used ? budget_->cap - budget_->used : 0;
	if (n <= room) {
		budget_->used += n;
		writeOut(0, n);
		return;
	}
	/* Over the cap: keep what fits, mark this stream's file once, drop the rest. */
	budget_->used += room;
	budget_->truncated = true;
	if (!marked_) {
		marked_ = true;
		std::string marker = "\n[benchd: output truncated at the run's log cap of " +
				     formatSize(budget_->cap) + "]\n";
		buf_->replace(room, std::string::npos, marker);
		buf_->resize(std::max(buf_->size(), kChunk));
		writeOut(0, room + marker.size());
		return;
	}
	readMore();
}

void LogPump::writeOut(size_t from, size_t len)
{
	if (len == 0) {
		readMore();
		return;
	}
	op_.write(file_.get(), buf_, from, len, fileSize_, [this, from, len](int res) {
		if (res < 0) {
			error_ = std::string("write log file: ") + strerror(-res);
			/* Keep draining so the job is not blocked; the bytes are lost, and said so. */
			readMore();
			return;
		}
		fileSize_ += static_cast<uint64_t>(res);
		if (static_cast<size_t>(res) < len) {
			writeOut(from + static_cast<size_t>(res), len - static_cast<size_t>(res));
			return;
		}
		if (progress_)
			progress_(fileSize_);
		readMore();
	});
}

void LogPump::finish()
{
	done_ = true;
	pipe_.reset();
	file_.reset();
	if (done_cb_)
		done_cb_();
}

} /* namespace benchd::daemon */
