/* SPDX-License-Identifier: MIT */
/*
 * Moves one of a run's output streams from its pipe into its log file,
 * on the loop: read a chunk, write it at the file's end, read again.
 * Bytes are kept exactly up to the run's cap (shared by stdout and
 * stderr); past it the pump keeps draining the pipe, so the job is never
 * blocked on a full pipe, appends one marker line, and remembers that it
 * truncated.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/unique_fd.hpp"
#include "loop.hpp"

namespace benchd::daemon {

/* A run's log budget, shared by its two pumps. */
struct LogBudget {
	uint64_t cap = 0;
	uint64_t used = 0;
	bool truncated = false;
};

class LogPump
{
public:
	/* Called after bytes reach the file (with the file's new size), and at EOF. */
	using Progress = std::function<void(uint64_t size)>;
	using Done = std::function<void()>;

	LogPump(Loop &loop, UniqueFd pipe, UniqueFd file, std::shared_ptr<LogBudget> budget,
		Progress progress, Done done);

	void start();

	uint64_t size() const { return fileSize_; }
	bool done() const { return done_; }
	/* I/O error while pumping, if any (the run's record keeps it). */
	const std::string &error() const { return error_; }

private:
	void readMore();
	void onRead(int res);
	void writeOut(size_t from, size_t len);
	void finish();

	static constexpr size_t kChunk = 256 * 1024;

	Loop &loop_;
	UniqueFd pipe_;
	UniqueFd file_;
	std::shared_ptr<LogBudget> budget_;
	Progress progress_;
	Done done_cb_;
	Buffer buf_;
	Op op_;
	uint64_t fileSize_ = 0;
	bool done_ = false;
	bool marked_ = false;
	std::string error_;
};

} /* namespace benchd::daemon */
