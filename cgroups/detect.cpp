/* SPDX-License-Identifier: MIT */
/*
 * Which layout the host has, and Manager::open. A host is v2 when the
 * mount point is a cgroup2 mount offering cpu, memory and pids; hybrid when
 * a cgroup2 mount and v1 hierarchies for those three sit under it. Anything
 * else fails with every reason found, so one message says what to fix.
 */
#include <algorithm>
#include <sys/statfs.h>

#include <linux/magic.h>

#include "cgroup_fs.hpp"
#include "managers.hpp"
#include "proc_cgroup.hpp"

namespace benchd::cgroups {

namespace {

const char *const kControllers[] = { "cpu", "memory", "pids" };

std::string joinWords(const std::vector<std::string> &words, const std::string &sep)
{
	std::string out;
	for (const std::string &word : words)
		out += (out.empty() ? "" : sep) + word;
	return out;
}

/* Why `mountPoint` is not a usable cgroup2 root, or "" when it is. */
std::string whyNotV2(const std::string &mountPoint)
{
	struct statfs st;
	if (::statfs(mountPoint.c_str(), &st) < 0)
		return "cannot stat " + mountPoint + ": " + errnoText(errno);
	if (st.f_type != CGROUP2_SUPER_MAGIC)
		return mountPoint + " is not a cgroup2 mount";
	auto offered = readNameList(joinPath(mountPoint, "cgroup.controllers"));
	if (!offered)
		return offered.error().message();
	std::vector<std::string> lacking;
	for (const char *controller : kControllers)
		if (std::find(offered->begin(), offered->end(), controller) == offered->end())
			lacking.push_back(controller);
	if (lacking.empty())
		return "";
	return mountPoint + " is cgroup2 but lacks the " + joinWords(lacking, ", ") +
	       (lacking.size() > 1 ? " controllers" : " controller");
}

/* Where our cgroup of one hierarchy is on disk, or why we cannot tell. */
Result<std::string> ownDir(const MountEntry &mount, const std::vector<Membership> &memberships,
			   const std::string &controller)
{
	auto own = ownCgroup(memberships, controller);
	if (!own)
		return Error::invalid("/proc/self/cgroup has no line for " +
				      (controller.empty() ? std::string("cgroup2") : controller));
	auto relative = pathInMount(mount, *own);
	if (!relative)
		return std::move(relative).error();
	return dirOf(mount, *relative);
}

/* The hybrid directories, or the reasons (appended to `why`) there are none. */
std::optional<HybridPlace> findHybrid(const std::string &mountPoint,
				      const std::vector<MountEntry> &mounts,
				      const std::vector<Membership> &memberships,
				      std::vector<std::string> &why)
{
	HybridPlace place;
	const MountEntry *unified = findCgroup2Mount(mounts, mountPoint);
	if (!unified) {
		why.push_back("no cgroup2 mount under " + mountPoint);
	} else if (auto dir = ownDir(*unified, memberships, ""); !dir) {
		why.push_back(dir.error().message());
	} else {
		place.unified = *dir;
	}

	std::vector<std::string> absent;
	std::string *slots[] = { &place.cpu, &place.memory, &place.pids };
	for (size_t i = 0; i < std::size(kControllers); i++) {
		const MountEntry *mount = findV1Mount(mounts, kControllers[i], mountPoint);
		if (!mount) {
			absent.push_back(kControllers[i]);
			continue;
		}
		auto dir = ownDir(*mount, memberships, kControllers[i]);
		if (!dir)
			why.push_back(dir.error().message());
		else
			*slots[i] = *dir;
	}
	if (!absent.empty())
		why.push_back("no cgroup-v1 hierarchy for " + joinWords(absent, ", ") + " under " +
			      mountPoint);
	if (place.unified.empty() || place.cpu.empty() || place.memory.empty() || place.pids.empty())
		return std::nullopt;
	return place;
}

Result<std::unique_ptr<Manager>> openFoundV2(const Options &options, const std::string &mountPoint,
					     const std::vector<MountEntry> &mounts,
					     const std::vector<Membership> &memberships)
{
	/* A mount not listed (e.g. outside our root) is taken as the whole tree. */
	MountEntry whole{ "/", mountPoint, "cgroup2", {} };
	const MountEntry *mount = findCgroup2Mount(mounts, mountPoint);
	if (!mount || mount->mountPoint != mountPoint)
		mount = &whole;
	auto own = ownCgroup(memberships, "");
	if (!own)
		return Error::invalid("/proc/self/cgroup has no cgroup2 line");
	auto relative = pathInMount(*mount, *own);
	if (!relative)
		return std::move(relative).error();
	return openV2(options, V2Place{ mountPoint, *relative });
}

Status checkOptions(const Options &options)
{
	const std::string &name = options.name;
	if (name.empty() || name == "." || name == ".." || name == "supervisor" ||
	    name.find('/') != std::string::npos)
		return Error::invalid("invalid cgroup sub-tree name '" + name + "'");
	if (options.mountPoint.empty() || options.mountPoint[0] != '/')
		return Error::invalid("cgroup mount point '" + options.mountPoint +
				      "' must be an absolute path");
	return {};
}

} /* namespace */

const char *layoutName(Layout layout)
{
	switch (layout) {
	case Layout::V2:
		return "v2";
	case Layout::Hybrid:
		return "hybrid";
	}
	return "unknown";
}

Result<std::unique_ptr<Manager>> Manager::open(const Options &options)
{
	if (auto valid = checkOptions(options); !valid)
		return std::move(valid).error();
	std::string mountPoint = options.mountPoint;
	while (mountPoint.size() > 1 && mountPoint.back() == '/')
		mountPoint.pop_back();

	auto mounts = readMountInfo();
	if (!mounts)
		return std::move(mounts).error();
	auto memberships = readProcCgroup();
	if (!memberships)
		return std::move(memberships).error();

	std::string notV2 = whyNotV2(mountPoint);
	if (notV2.empty())
		return openFoundV2(options, mountPoint, *mounts, *memberships);
	std::vector<std::string> why{ notV2 };
	if (auto place = findHybrid(mountPoint, *mounts, *memberships, why))
		return openHybrid(options, *place);
	return Error::invalid("no usable cgroup layout: " + joinWords(why, "; "));
}

} /* namespace benchd::cgroups */
