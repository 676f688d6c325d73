/* SPDX-License-Identifier: MIT */
#include "sandbox/uid_pool.hpp"

#include <cerrno>
#include <fcntl.h>
#include <utility>

#include "base/fs.hpp"

namespace benchd::sandbox {

namespace {

int lockByte(int fd, off_t byte, short type)
{
	struct flock lk = {};
	lk.l_type = type;
	lk.l_whence = SEEK_SET;
	lk.l_start = byte;
	lk.l_len = 1;
	return fcntl(fd, F_OFD_SETLK, &lk);
}

} /* namespace */

UidLease::~UidLease()
{
	release();
}

UidLease::UidLease(UidLease &&other) noexcept
	: pool_(std::exchange(other.pool_, nullptr)), uid_(other.uid_)
{
}

UidLease &UidLease::operator=(UidLease &&other) noexcept
{
	if (this != &other) {
		release();
		pool_ = std::exchange(other.pool_, nullptr);
		uid_ = other.uid_;
	}
	return *this;
}

void UidLease::release()
{
	if (!pool_)
		return;
	lockByte(pool_->fd_.get(), static_cast<off_t>(uid_ - pool_->first_), F_UNLCK);
	pool_ = nullptr;
}

Result<UidPool> UidPool::open(const std::string &lockPath, uid_t first, uid_t count)
{
	if (first == 0 || count == 0 || first + count < first)
		return Error::invalid("invalid sandbox uid range " + std::to_string(first) + "+" +
				      std::to_string(count) + ": must be non-empty and exclude 0");
	auto fd = openAt(AT_FDCWD, lockPath, O_RDWR | O_CREAT, 0600);
	if (!fd)
		return std::move(fd).error().wrap("uid pool");
	UidPool pool;
	pool.fd_ = std::move(*fd);
	pool.path_ = lockPath;
	pool.first_ = first;
	pool.count_ = count;
	return pool;
}

Result<UidLease> UidPool::acquire() const
{
	/* Start after the last claim so a freed uid is reused last. */
	for (uid_t i = 0; i < count_; i++) {
		uid_t slot = (next_ + i) % count_;
		if (lockByte(fd_.get(), static_cast<off_t>(slot), F_WRLCK) == 0) {
			next_ = (slot + 1) % count_;
			return UidLease(this, first_ + slot);
		}
		if (errno != EAGAIN && errno != EACCES)
			return Error::fromErrno("uid pool: lock " + path_);
	}
	return Error(EAGAIN, "uid pool: all " + std::to_string(count_) + " sandbox uids from " +
			     std::to_string(first_) + " are in use");
}

} /* namespace benchd::sandbox */
