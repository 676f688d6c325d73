/* SPDX-License-Identifier: MIT */
/*
 * UniqueFd owns one file descriptor and closes it when it goes away.
 * A plain `int` parameter means "borrowed"; a UniqueFd (moved) means
 * "I hand it over".
 */
#pragma once

#include <unistd.h>
#include <utility>

namespace benchd {

class UniqueFd
{
public:
	UniqueFd() = default;
	explicit UniqueFd(int fd) : fd_(fd) {}
	~UniqueFd() { reset(); }

	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;

	UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
	UniqueFd &operator=(UniqueFd &&other) noexcept
	{
		if (this != &other)
			reset(other.release());
		return *this;
	}

	int get() const { return fd_; }
	bool isValid() const { return fd_ >= 0; }
	explicit operator bool() const { return isValid(); }

	[[nodiscard]] int release()
	{
		return std::exchange(fd_, -1);
	}

	void reset(int fd = -1)
	{
		int old = std::exchange(fd_, fd);
		if (old >= 0)
			::close(old);
	}

private:
	int fd_ = -1;
};

} /* namespace benchd */
