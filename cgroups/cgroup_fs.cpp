/* SPDX-License-Identifier: MIT */
#include "cgroup_fs.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "base/fs.hpp"

namespace benchd::cgroups {

namespace {

std::string_view trimmed(std::string_view text)
{
	while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
		text.remove_suffix(1);
	return text;
}

Result<uint64_t> parseNumber(std::string_view text, const std::string &path)
{
	std::string_view value = trimmed(text);
	uint64_t out = 0;
	auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
	if (ec != std::errc() || end != value.data() + value.size() || value.empty())
		return Error::invalid("read " + path + ": '" + std::string(value) +
				      "' is not a number");
	return out;
}

} /* namespace */

std::string joinPath(const std::string &dir, std::string_view name)
{
	if (!dir.empty() && dir.back() == '/')
		return dir + std::string(name);
	return dir + "/" + std::string(name);
}

Status writeCgroupFile(const std::string &path, std::string_view value)
{
	return writeFileAt(AT_FDCWD, path, value);
}

Result<bool> writeOptionalFile(const std::string &path, std::string_view value)
{
	auto written = writeCgroupFile(path, value);
	if (written)
		return true;
	if (written.error().code() == ENOENT)
		return false;
	return std::move(written).error();
}

Result<uint64_t> readNumber(const std::string &path)
{
	auto text = readFileAt(AT_FDCWD, path);
	if (!text)
		return std::move(text).error();
	return parseNumber(*text, path);
}

Result<std::optional<uint64_t>> readOptionalNumber(const std::string &path)
{
	auto text = readFileAt(AT_FDCWD, path);
	if (!text) {
		if (text.error().code() == ENOENT)
			return std::optional<uint64_t>();
		return std::move(text).error();
	}
	auto number = parseNumber(*text, path);
	if (!number)
		return std::move(number).error();
	return std::optional<uint64_t>(*number);
}

Result<uint64_t> readKeyed(const std::string &path, std::string_view key)
{
	auto text = readFileAt(AT_FDCWD, path);
	if (!text)
		return std::move(text).error();
	unsigned long long value = 0;
	if (!findKeyedValue(*text, key, value))
		return Error::invalid("read " + path + ": no '" + std::string(key) +
				      "' line");
	return static_cast<uint64_t>(value);
}

Result<std::vector<std::string>> readNameList(const std::string &path)
{
	auto text = readFileAt(AT_FDCWD, path);
	if (!text)
		return std::move(text).error();
	std::vector<std::string> names;
	std::istringstream in(*text);
	std::string name;
	while (in >> name)
		names.push_back(name);
	return names;
}

Result<bool> makeCgroupDir(const std::string &path)
{
	if (::mkdir(path.c_str(), 0755) == 0)
		return true;
	if (errno == EEXIST)
		return false;
	return Error::fromErrno("create cgroup " + path);
}

Status makeNewCgroupDir(const std::string &path)
{
	if (::mkdir(path.c_str(), 0755) < 0)
		return Error::fromErrno("create cgroup " + path);
	return {};
}

Status removeCgroupDir(const std::string &path)
{
	constexpr int kTries = 40;
	for (int attempt = 1;; attempt++) {
		if (::rmdir(path.c_str()) == 0 || errno == ENOENT)
			return {};
		if (errno != EBUSY || attempt == kTries)
			return Error::fromErrno("remove cgroup " + path);
		/* 40 tries, 1..25 ms apart: about half a second in all. */
		std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, 25)));
	}
}

bool pathExists(const std::string &path)
{
	struct stat st;
	return ::lstat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> listChildCgroups(const std::string &path)
{
	auto fd = openAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY);
	if (!fd)
		return std::move(fd).error();
	DIR *dir = ::fdopendir(fd->get());
	if (!dir)
		return Error::fromErrno("list " + path);
	(void)fd->release(); /* closedir closes it */

	std::vector<std::string> names;
	while (struct dirent *entry = ::readdir(dir)) {
		std::string_view name = entry->d_name;
		if (entry->d_type == DT_DIR && name != "." && name != "..")
			names.emplace_back(name);
	}
	::closedir(dir);
	return names;
}

Result<size_t> killListed(const std::string &dir)
{
	std::string procs = joinPath(dir, "cgroup.procs");
	auto text = readFileAt(AT_FDCWD, procs);
	if (!text)
		return std::move(text).error();
	std::istringstream in(*text);
	size_t listed = 0;
	for (pid_t pid; in >> pid; listed++) {
		/* ESRCH: it exited since we read the list. */
		if (::kill(pid, SIGKILL) < 0 && errno != ESRCH)
			return Error::fromErrno("kill pid " + std::to_string(pid) +
						" listed in " + procs);
	}
	return listed;
}

} /* namespace benchd::cgroups */

namespace benchd::cgroups {

uint64_t FigureReader::keyed(const std::string &path, std::string_view key)
{
	if (error_)
		return 0;
	auto value = readKeyed(path, key);
	if (!value) {
		error_ = std::move(value).error();
		return 0;
	}
	return *value;
}

std::optional<uint64_t> FigureReader::optionalNumber(const std::string &path)
{
	if (error_)
		return std::nullopt;
	auto value = readOptionalNumber(path);
	if (!value) {
		error_ = std::move(value).error();
		return std::nullopt;
	}
	return *value;
}

} /* namespace benchd::cgroups */
