/* SPDX-License-Identifier: MIT */
#include "leaf_common.hpp"

#include <chrono>
#include <fcntl.h>
#include <poll.h>

#include "base/fs.hpp"
#include "cgroup_fs.hpp"

namespace benchd::cgroups {

namespace {

/* How long destroy() waits for killed processes to leave the leaf. */
constexpr int kDestroyWaitMs = 5000;
/* The destructor's best effort is shorter: it must not hang a caller. */
constexpr int kQuietWaitMs = 1000;

} /* namespace */

Status checkLeafName(const std::string &name)
{
	if (name.empty() || name == "." || name == ".." ||
	    name.find('/') != std::string::npos)
		return Error::invalid("invalid cgroup leaf name '" + name +
				      "': must be one path component");
	if (name == "supervisor")
		return Error::invalid("invalid cgroup leaf name 'supervisor': reserved for "
				      "the supervisor's own cgroup");
	return {};
}

Result<Cgroup2Fds> openCgroup2Dir(const std::string &path)
{
	auto dir = openAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
	if (!dir)
		return std::move(dir).error();
	auto events = openAt(AT_FDCWD, joinPath(path, "cgroup.events"), O_RDONLY);
	if (!events)
		return std::move(events).error();
	return Cgroup2Fds{ std::move(*dir), std::move(*events) };
}

CommonLeaf::CommonLeaf(std::string name, std::string path, Cgroup2Fds fds)
	: name_(std::move(name)), path_(std::move(path)), fds_(std::move(fds))
{
}

Status CommonLeaf::kill()
{
	auto written = writeOptionalFile(joinPath(path_, "cgroup.kill"), "1");
	if (!written)
		return std::move(written).error();
	if (*written)
		return {};

	/*
	 * Kernels before 5.14 have no cgroup.kill: kill what is listed, again
	 * while it still lists something, since a listed process may have
	 * forked before it died.
	 */
	for (int round = 0; round < 100; round++) {
		auto listed = killListed(path_);
		if (!listed)
			return std::move(listed).error();
		if (*listed == 0)
			return {};
	}
	return Error(EAGAIN, "kill the processes of " + path_ + ": they keep forking");
}

Result<bool> CommonLeaf::populated() const
{
	/*
	 * Read through the fd that poll() watches: kernfs re-arms POLLPRI for
	 * an open file when it is read, so a change between this read and the
	 * next poll() still wakes that poll().
	 */
	char buf[256];
	ssize_t n = ::pread(fds_.events.get(), buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return Error::fromErrno("read " + joinPath(path_, "cgroup.events"));
	unsigned long long value = 0;
	if (!findKeyedValue(std::string_view(buf, static_cast<size_t>(n)), "populated", value))
		return Error::invalid("read " + joinPath(path_, "cgroup.events") +
				      ": no 'populated' line");
	return value != 0;
}

Status CommonLeaf::waitEmpty(int timeoutMs)
{
	using Clock = std::chrono::steady_clock;
	auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
	for (;;) {
		auto busy = populated();
		if (!busy)
			return std::move(busy).error();
		if (!*busy)
			return {};
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
				    deadline - Clock::now())
				    .count();
		if (left <= 0)
			return Error(ETIMEDOUT, "wait for " + path_ + " to become empty (" +
							std::to_string(timeoutMs) + " ms)");
		struct pollfd pfd = { fds_.events.get(), POLLPRI, 0 };
		if (::poll(&pfd, 1, static_cast<int>(left)) < 0 && errno != EINTR)
			return Error::fromErrno("poll " + joinPath(path_, "cgroup.events"));
	}
}

Status CommonLeaf::destroy()
{
	if (destroyed_)
		return {};
	if (auto killed = kill(); !killed)
		return killed;
	if (auto empty = waitEmpty(kDestroyWaitMs); !empty)
		return empty;
	if (auto removed = removeDirectories(); !removed)
		return removed;
	destroyed_ = true;
	fds_ = {};
	return {};
}

void CommonLeaf::destroyQuietly() noexcept
{
	if (destroyed_)
		return;
	(void)kill();
	(void)waitEmpty(kQuietWaitMs);
	(void)removeDirectories();
	destroyed_ = true;
}

} /* namespace benchd::cgroups */
