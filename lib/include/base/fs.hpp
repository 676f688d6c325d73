/* SPDX-License-Identifier: MIT */
/*
 * Small file helpers that turn every failure into an Error naming the path.
 * `dirfd` may be AT_FDCWD; `what` is the path used in messages (the kernel
 * only knows the relative name, the reader wants the whole one).
 */
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace benchd {

Result<UniqueFd> openAt(int dirfd, const std::string &path, int flags,
			mode_t mode = 0);

/* Read a whole (small) file such as a cgroup or /proc file. */
Result<std::string> readFileAt(int dirfd, const std::string &path);

/* One write(2) of the whole value, as cgroup files want. */
Status writeFileAt(int dirfd, const std::string &path, std::string_view value);

/* Write every byte, retrying short writes and EINTR. */
Status writeAll(int fd, std::string_view data, std::string_view what);

struct PipePair {
	UniqueFd read;
	UniqueFd write;
};
Result<PipePair> makePipe(int flags);

/* Create a directory and every missing parent (mode for new ones). */
Status makeDirs(const std::string &path, mode_t mode);

/* Find "key value" in a flat-keyed file (cpu.stat, memory.events, ...). */
bool findKeyedValue(std::string_view text, std::string_view key,
		    unsigned long long &out);

} /* namespace benchd */
