/* SPDX-License-Identifier: MIT */
#include "loop.hpp"

#include <cerrno>
#include <sys/socket.h>

namespace benchd::daemon {

namespace {

/* Completions of cancel requests themselves carry this and are ignored. */
constexpr uint64_t kIgnore = 0;

} /* namespace */

void Op::cancel()
{
	if (!token_)
		return;
	Token *t = token_;
	t->op = nullptr;
	token_ = nullptr;
	cb_ = nullptr;
	if (struct io_uring_sqe *s = loop_->sqe()) {
		io_uring_prep_cancel64(s, reinterpret_cast<uint64_t>(t), 0);
		io_uring_sqe_set_data64(s, kIgnore);
	}
	/* The token is freed when the cancelled request's own completion arrives. */
}

struct io_uring_sqe *Op::begin(Callback cb, Buffer keep)
{
	cancel();
	struct io_uring_sqe *s = loop_->sqe();
	if (!s) {
		/* Only when the kernel refuses to take any submission: report it as -EBUSY. */
		cb(-EBUSY);
		return nullptr;
	}
	token_ = new Token{ this, std::move(keep), {} };
	cb_ = std::move(cb);
	io_uring_sqe_set_data64(s, reinterpret_cast<uint64_t>(token_));
	return s;
}

void Op::read(int fd, Buffer buf, size_t offset, size_t len, uint64_t fileOffset, Callback cb)
{
	char *p = buf->data() + offset;
	if (auto *s = begin(std::move(cb), std::move(buf)))
		io_uring_prep_read(s, fd, p, static_cast<unsigned>(len), fileOffset);
}

void Op::write(int fd, Buffer buf, size_t offset, size_t len, uint64_t fileOffset, Callback cb)
{
	const char *p = buf->data() + offset;
	if (auto *s = begin(std::move(cb), std::move(buf)))
		io_uring_prep_write(s, fd, p, static_cast<unsigned>(len), fileOffset);
}

void Op::send(int fd, Buffer buf, size_t offset, size_t len, Callback cb)
{
	const char *p = buf->data() + offset;
	if (auto *s = begin(std::move(cb), std::move(buf)))
		io_uring_prep_send(s, fd, p, len, MSG_NOSIGNAL);
}

void Op::recv(int fd, Buffer buf, size_t len, Callback cb)
{
	char *p = buf->data();
	if (auto *s = begin(std::move(cb), std::move(buf)))
		io_uring_prep_recv(s, fd, p, len, 0);
}

void Op::poll(int fd, unsigned events, Callback cb)
{
	if (auto *s = begin(std::move(cb), nullptr))
		io_uring_prep_poll_add(s, fd, events);
}

void Op::accept(int fd, Callback cb)
{
	if (auto *s = begin(std::move(cb), nullptr))
		/* Blocking sockets: io_uring waits for them itself; O_NONBLOCK would make it return -EAGAIN. */
		io_uring_prep_accept(s, fd, nullptr, nullptr, SOCK_CLOEXEC);
}

void Op::timeout(uint64_t ms, Callback cb)
{
	if (auto *s = begin(std::move(cb), nullptr)) {
		token_->ts.tv_sec = static_cast<long long>(ms / 1000);
		token_->ts.tv_nsec = static_cast<long long>(ms % 1000) * 1000000;
		io_uring_prep_timeout(s, &token_->ts, 0, 0);
	}
}

Result<std::unique_ptr<Loop>> Loop::create(unsigned entries)
{
	std::unique_ptr<Loop> loop(new Loop);
	struct io_uring_params params = {};
	/* Completions are only reaped by this thread, between batches. */
	params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
	int rc = io_uring_queue_init_params(entries, &loop->ring_, &params);
	if (rc == -EINVAL) {
		/* Kernels before 5.19 lack those flags. */
		params = {};
		rc = io_uring_queue_init_params(entries, &loop->ring_, &params);
	}
	if (rc < 0)
		return Error(-rc, "io_uring: set up a ring of " + std::to_string(entries) + " entries");
	loop->initialized_ = true;
	return loop;
}

Loop::~Loop()
{
	if (initialized_)
		io_uring_queue_exit(&ring_);
}

struct io_uring_sqe *Loop::sqe()
{
	struct io_uring_sqe *s = io_uring_get_sqe(&ring_);
	if (!s) {
		io_uring_submit(&ring_);
		s = io_uring_get_sqe(&ring_);
	}
	return s;
}

void Loop::dispatch(struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	if (data == kIgnore)
		return;
	auto *token = reinterpret_cast<Op::Token *>(data);
	Op *op = token->op;
	int res = cqe->res;
	delete token;
	if (!op)
		return; /* cancelled: its owner is gone or moved on */
	op->token_ = nullptr;
	/* The callback may start the Op again, which replaces cb_: move it out first. */
	Op::Callback cb = std::move(op->cb_);
	cb(res);
}

void Loop::runDeferred()
{
	/* Deferred work may defer more; take the list each round. */
	while (!deferred_.empty()) {
		auto work = std::move(deferred_);
		deferred_.clear();
		for (auto &w : work)
			w();
	}
}

Status Loop::run()
{
	while (!stopped_) {
		int rc = io_uring_submit_and_wait(&ring_, 1);
		if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
			return Error(-rc, "io_uring: submit and wait");
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring_, head, cqe) {
			seen++;
			dispatch(cqe);
		}
		io_uring_cq_advance(&ring_, seen);
		completions_ += seen;
		runDeferred();
		if (batchHook_)
			batchHook_();
	}
	return {};
}

} /* namespace benchd::daemon */
