/* SPDX-License-Identifier: MIT */
#include "base/fs.hpp"

#include <charconv>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace benchd {

Result<UniqueFd> openAt(int dirfd, const std::string &path, int flags,
			mode_t mode)
{
	int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
	if (fd < 0)
		return Error::fromErrno("open " + path);
	return UniqueFd(fd);
}

Result<std::string> readFileAt(int dirfd, const std::string &path)
{
	auto fd = openAt(dirfd, path, O_RDONLY);
	if (!fd)
		return std::move(fd).error();

	std::string out;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(fd->get(), buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return Error::fromErrno("read " + path);
		}
		if (n == 0)
			break;
		out.append(buf, static_cast<size_t>(n));
	}
	return out;
}

Status writeFileAt(int dirfd, const std::string &path, std::string_view value)
{
	auto fd = openAt(dirfd, path, O_WRONLY);
	if (!fd)
		return std::move(fd).error();
	ssize_t n = ::write(fd->get(), value.data(), value.size());
	if (n < 0)
		return Error::fromErrno("write '" + std::string(value) + "' to " + path);
	if (static_cast<size_t>(n) != value.size())
		return Error(EIO, "short write to " + path);
	return {};
}

Status writeAll(int fd, std::string_view data, std::string_view what)
{
	while (!data.empty()) {
		ssize_t n = ::write(fd, data.data(), data.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return Error::fromErrno("write " + std::string(what));
		}
		data.remove_prefix(static_cast<size_t>(n));
	}
	return {};
}

Result<PipePair> makePipe(int flags)
{
	int fds[2];
	if (::pipe2(fds, flags | O_CLOEXEC) < 0)
		return Error::fromErrno("pipe2");
	return PipePair{ UniqueFd(fds[0]), UniqueFd(fds[1]) };
}

Status makeDirs(const std::string &path, mode_t mode)
{
	if (path.empty())
		return Error::invalid("create directory: empty path");
	size_t pos = 0;
	while (pos != std::string::npos) {
		pos = path.find('/', pos + 1);
		std::string prefix = path.substr(0, pos);
		if (::mkdir(prefix.c_str(), mode) < 0 && errno != EEXIST)
			return Error::fromErrno("create directory " + prefix);
	}
	return {};
}

bool findKeyedValue(std::string_view text, std::string_view key,
		    unsigned long long &out)
{
	size_t pos = 0;
	while (pos < text.size()) {
		size_t eol = text.find('\n', pos);
		if (eol == std::string_view::npos)
			eol = text.size();
		std::string_view line = text.substr(pos, eol - pos);
		pos = eol + 1;
		if (line.size() <= key.size() || line.substr(0, key.size()) != key ||
		    line[key.size()] != ' ')
			continue;
		std::string_view num = line.substr(key.size() + 1);
		auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), out);
		return ec == std::errc() && end == num.data() + num.size();
	}
	return false;
}

} /* namespace benchd */
