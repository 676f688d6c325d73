/* SPDX-License-Identifier: MIT */
/*
 * The daemon's one event loop, on io_uring.
 *
 * An Op is one in-flight request and what to call when it completes.
 * Owning: destroying (or restarting) an Op that is in flight cancels the
 * request, and its completion is then dropped. The request's user_data
 * is a small token that outlives the Op, so a late completion never
 * touches freed memory; a buffer the kernel may still write into is kept
 * alive by the token until the completion arrives.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <liburing.h>

#include "base/error.hpp"

namespace benchd::daemon {

class Loop;

/* Bytes a request reads into or writes from, shared with the token. */
using Buffer = std::shared_ptr<std::string>;

class Op
{
public:
	using Callback = std::function<void(int res)>;

	explicit Op(Loop &loop) : loop_(&loop) {}
	~Op() { cancel(); }
	Op(const Op &) = delete;
	Op &operator=(const Op &) = delete;

	bool pending() const { return token_ != nullptr; }

	/* Drop the request; its callback will not run. */
	void cancel();

	/* Each start cancels what is in flight first. res < 0 is -errno. */
	void read(int fd, Buffer buf, size_t offset, size_t len, uint64_t fileOffset, Callback cb);
	void write(int fd, Buffer buf, size_t offset, size_t len, uint64_t fileOffset, Callback cb);
	void send(int fd, Buffer buf, size_t offset, size_t len, Callback cb);
	void recv(int fd, Buffer buf, size_t len, Callback cb);
	void poll(int fd, unsigned events, Callback cb);
	void accept(int fd, Callback cb);
	/* res is -ETIME when the time passed. */
	void timeout(uint64_t ms, Callback cb);

private:
	friend class Loop;
	struct Token {
		Op *op;
		Buffer keep;
		struct __kernel_timespec ts;
	};

	struct io_uring_sqe *begin(Callback cb, Buffer keep);

	Loop *loop_;
	Token *token_ = nullptr;
	Callback cb_;
};

class Loop
{
public:
	static Result<std::unique_ptr<Loop>> create(unsigned entries);
	~Loop();

	/* Run until stop(); each batch of completions is followed by the batch hook. */
	Status run();
	void stop() { stopped_ = true; }

	/* Called after every batch of completions (the daemon commits its writes here). */
	void setBatchHook(std::function<void()> hook) { batchHook_ = std::move(hook); }

	/*
	 * Run `work` after the current batch of completions, outside every
	 * callback: the place to destroy an object from inside its own callback.
	 */
	void defer(std::function<void()> work) { deferred_.push_back(std::move(work)); }

	/* A free submission entry, submitting what is queued if the ring is full. */
	struct io_uring_sqe *sqe();

	uint64_t completions() const { return completions_; }

private:
	Loop() = default;
	void dispatch(struct io_uring_cqe *cqe);
	void runDeferred();

	struct io_uring ring_ = {};
	bool initialized_ = false;
	bool stopped_ = false;
	uint64_t completions_ = 0;
	std::function<void()> batchHook_;
	std::vector<std::function<void()>> deferred_;
};

} /* namespace benchd::daemon */
