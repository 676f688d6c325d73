/* SPDX-License-Identifier: MIT */
#include "proc_cgroup.hpp"

#include <algorithm>
#include <charconv>
#include <fcntl.h>
#include <sstream>

#include "base/fs.hpp"

namespace benchd::cgroups {

namespace {

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
std::string unescapeOctal(std::string_view text)
{
	std::string out;
	for (size_t i = 0; i < text.size(); i++) {
		auto isOctal = [](char c) { return c >= '0' && c <= '7'; };
		if (text[i] == '\\' && i + 3 < text.size() &&
		    isOctal(text[i + 1]) && isOctal(text[i + 2]) && isOctal(text[i + 3])) {
			out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
						 (text[i + 3] - '0'));
			i += 3;
		} else {
			out += text[i];
		}
	}
	return out;
}

std::vector<std::string> split(std::string_view text, char sep)
{
	std::vector<std::string> parts;
	size_t start = 0;
	for (;;) {
		size_t end = text.find(sep, start);
		parts.emplace_back(text.substr(start, end - start));
		if (end == std::string_view::npos)
			return parts;
		start = end + 1;
	}
}

bool contains(const std::vector<std::string> &names, const std::string &name)
{
	return std::find(names.begin(), names.end(), name) != names.end();
}

} /* namespace */

std::vector<MountEntry> parseMountInfo(std::string_view text)
{
	std::vector<MountEntry> mounts;
	std::istringstream in{ std::string(text) };
	std::string line;
	while (std::getline(in, line)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER */
		std::istringstream fields(line);
		std::vector<std::string> words;
		for (std::string word; fields >> word;)
			words.push_back(word);
		auto dash = std::find(words.begin(), words.end(), "-");
		if (words.size() < 10 || dash - words.begin() < 6 || words.end() - dash < 4)
			continue;
		MountEntry entry;
		entry.root = unescapeOctal(words[3]);
		entry.mountPoint = unescapeOctal(words[4]);
		entry.fsType = *(dash + 1);
		entry.superOptions = split(*(dash + 3), ',');
		mounts.push_back(std::move(entry));
	}
	return mounts;
}

std::vector<Membership> parseProcCgroup(std::string_view text)
{
	std::vector<Membership> memberships;
	for (const std::string &line : split(text, '\n')) {
		size_t first = line.find(':');
		size_t second = first == std::string::npos ? first : line.find(':', first + 1);
		if (second == std::string::npos)
			continue;
		Membership entry;
		std::string_view id = std::string_view(line).substr(0, first);
		auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), entry.hierarchyId);
		if (ec != std::errc() || end != id.data() + id.size())
			continue;
		std::string controllers = line.substr(first + 1, second - first - 1);
		if (!controllers.empty())
			entry.controllers = split(controllers, ',');
		entry.path = line.substr(second + 1);
		memberships.push_back(std::move(entry));
	}
	return memberships;
}

Result<std::vector<MountEntry>> readMountInfo()
{
	auto text = readFileAt(AT_FDCWD, "/proc/self/mountinfo");
	if (!text)
		return std::move(text).error();
	return parseMountInfo(*text);
}

Result<std::vector<Membership>> readProcCgroup()
{
	auto text = readFileAt(AT_FDCWD, "/proc/self/cgroup");
	if (!text)
		return std::move(text).error();
	return parseProcCgroup(*text);
}

bool isAtOrUnder(std::string_view path, std::string_view dir)
{
	if (dir == "/")
		return !path.empty() && path[0] == '/';
	return path == dir ||
	       (path.size() > dir.size() && path.substr(0, dir.size()) == dir &&
		path[dir.size()] == '/');
}

const MountEntry *findCgroup2Mount(const std::vector<MountEntry> &mounts,
				   const std::string &under)
{
	const MountEntry *found = nullptr;
	for (const MountEntry &mount : mounts) {
		if (mount.fsType != "cgroup2" || !isAtOrUnder(mount.mountPoint, under))
			continue;
		if (mount.mountPoint == under)
			return &mount;
		if (!found)
			found = &mount;
	}
	return found;
}

const MountEntry *findV1Mount(const std::vector<MountEntry> &mounts,
			      const std::string &controller,
			      const std::string &under)
{
	for (const MountEntry &mount : mounts)
		if (mount.fsType == "cgroup" && isAtOrUnder(mount.mountPoint, under) &&
		    contains(mount.superOptions, controller))
			return &mount;
	return nullptr;
}

std::optional<std::string> ownCgroup(const std::vector<Membership> &memberships,
				     const std::string &controller)
{
	for (const Membership &entry : memberships) {
		bool wanted = controller.empty()
				      ? entry.hierarchyId == 0 && entry.controllers.empty()
				      : contains(entry.controllers, controller);
		if (wanted)
			return entry.path;
	}
	return std::nullopt;
}

Result<std::string> pathInMount(const MountEntry &mount, const std::string &cgroup)
{
	if (mount.root == "/")
		return cgroup;
	if (cgroup == mount.root)
		return std::string("/");
	if (isAtOrUnder(cgroup, mount.root))
		return cgroup.substr(mount.root.size());
	return Error::invalid("our cgroup " + cgroup + " is not visible in the " + mount.fsType +
			      " mount at " + mount.mountPoint + " (which shows " + mount.root +
			      ")");
}

std::string dirOf(const MountEntry &mount, const std::string &relative)
{
	if (relative == "/" || relative.empty())
		return mount.mountPoint;
	return mount.mountPoint + relative;
}

} /* namespace benchd::cgroups */
