/* SPDX-License-Identifier: MIT */
/*
 * One unprivileged uid (and gid of the same number) per running sandbox,
 * from a configured range, so that two jobs never share an identity: they
 * cannot signal, ptrace or read each other's files.
 *
 * A claim is an OFD byte-range lock on byte (uid - first) of one lock
 * file, so every process on the host that uses the same file (the daemon,
 * any number of `benchd oneshot`s) agrees, and a claim disappears with the
 * process that held it, however it died.
 */
#pragma once

#include <sys/types.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace benchd::sandbox {

class UidPool;

/* A claimed uid; released when this goes away. */
class UidLease
{
public:
	UidLease() = default;
	~UidLease();
	UidLease(UidLease &&other) noexcept;
	UidLease &operator=(UidLease &&other) noexcept;
	UidLease(const UidLease &) = delete;
	UidLease &operator=(const UidLease &) = delete;

	uid_t uid() const { return uid_; }
	bool isValid() const { return pool_ != nullptr; }

private:
	friend class UidPool;
	UidLease(const UidPool *pool, uid_t uid) : pool_(pool), uid_(uid) {}
	void release();

	const UidPool *pool_ = nullptr;
	uid_t uid_ = 0;
};

class UidPool
{
public:
	static constexpr uid_t kDefaultFirst = 1100000;
	static constexpr uid_t kDefaultCount = 1024;

	/* Open (creating) the lock file; the range must not include 0. */
	static Result<UidPool> open(const std::string &lockPath, uid_t first, uid_t count);

	/* Claim a free uid, or fail saying the range is exhausted. */
	Result<UidLease> acquire() const;

	uid_t first() const { return first_; }
	uid_t count() const { return count_; }

private:
	friend class UidLease;
	UidPool() = default;

	UniqueFd fd_;
	std::string path_;
	uid_t first_ = 0;
	uid_t count_ = 0;
	mutable uid_t next_ = 0;
};

} /* namespace benchd::sandbox */
