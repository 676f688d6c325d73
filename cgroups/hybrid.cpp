/* SPDX-License-Identifier: MIT */
/*
 * The hybrid manager: controllers on cgroup-v1 hierarchies (cpu, memory,
 * pids), plus a cgroup2 mount without them. A leaf is four directories of
 * one name: the cgroup2 one carries membership (CLONE_INTO_CGROUP),
 * cgroup.kill and populated; the v1 ones carry the limits and most figures.
 */
#include <algorithm>

#include "cgroup_fs.hpp"
#include "leaf_common.hpp"
#include "managers.hpp"

namespace benchd::cgroups {

namespace {

/* The v1 CFS period; quotas are in microseconds of it. */
constexpr uint64_t kCpuPeriodUs = 100000;

/* One directory per hierarchy: benchd's sub-tree, or one leaf in it. */
struct HybridDirs {
	std::string unified;
	std::string cpu;
	std::string memory;
	std::string pids;

	HybridDirs child(const std::string &name) const
	{
		return { joinPath(unified, name), joinPath(cpu, name), joinPath(memory, name),
			 joinPath(pids, name) };
	}
	std::vector<std::string> v1() const { return { cpu, memory, pids }; }
};

Status applyV1Limits(const HybridDirs &leaf, const Limits &limits)
{
	if (auto s = writeCgroupFile(joinPath(leaf.cpu, "cpu.cfs_period_us"),
				     std::to_string(kCpuPeriodUs));
	    !s)
		return s;
	std::string quota = limits.milliCpus
				    ? std::to_string(uint64_t(limits.milliCpus) * kCpuPeriodUs / 1000)
				    : "-1";
	if (auto s = writeCgroupFile(joinPath(leaf.cpu, "cpu.cfs_quota_us"), quota); !s)
		return s;

	/* memsw is memory + swap and may not be below memory: memory first. */
	std::string memory = limits.memoryBytes ? std::to_string(limits.memoryBytes) : "-1";
	if (auto s = writeCgroupFile(joinPath(leaf.memory, "memory.limit_in_bytes"), memory); !s)
		return s;
	/* No memsw file without swap accounting; then there is no swap to limit. */
	if (auto s = writeOptionalFile(joinPath(leaf.memory, "memory.memsw.limit_in_bytes"), memory);
	    !s)
		return std::move(s).error();

	std::string pids = limits.pidsMax ? std::to_string(limits.pidsMax) : "max";
	return writeCgroupFile(joinPath(leaf.pids, "pids.max"), pids);
}

/* Kill what only a v1 directory holds (attached, never cloned into cgroup2). */
Status removeV1Dir(const std::string &dir)
{
	if (!pathExists(dir))
		return {};
	if (auto listed = killListed(dir); !listed)
		return std::move(listed).error();
	return removeCgroupDir(dir);
}

class HybridLeaf final : public CommonLeaf
{
public:
	HybridLeaf(std::string name, HybridDirs dirs, Cgroup2Fds fds)
		: CommonLeaf(std::move(name), dirs.unified, std::move(fds)), dirs_(std::move(dirs))
	{
	}
	~HybridLeaf() override { destroyQuietly(); }

	/*
	 * The cgroup2 write is a no-op after CLONE_INTO_CGROUP, and makes a
	 * plain fork()ed child a full member (kill, populated) as well.
	 */
	Status attach(pid_t pid) override
	{
		for (const std::string &dir : { dirs_.unified, dirs_.cpu, dirs_.memory, dirs_.pids })
			if (auto s = writeCgroupFile(joinPath(dir, "cgroup.procs"), std::to_string(pid)); !s)
				return s;
		return {};
	}

	Result<Usage> usage() const override
	{
		FigureReader read;
		Usage usage;
		/* The core cpu.stat of cgroup2 exists without the cpu controller. */
		usage.cpuUserUs = read.keyed(joinPath(dirs_.unified, "cpu.stat"), "user_usec");
		usage.cpuSystemUs = read.keyed(joinPath(dirs_.unified, "cpu.stat"), "system_usec");
		usage.memoryPeakBytes = read.optionalNumber(joinPath(dirs_.memory, "memory.max_usage_in_bytes"));
		usage.oomKills = read.keyed(joinPath(dirs_.memory, "memory.oom_control"), "oom_kill");
		usage.pidsLimitHits = read.keyed(joinPath(dirs_.pids, "pids.events"), "max");
		usage.pidsPeak = read.optionalNumber(joinPath(dirs_.pids, "pids.peak"));
		if (read.failed())
			return read.takeError();
		return usage;
	}

protected:
	Status removeDirectories() override
	{
		/* Try every hierarchy; report the first failure. */
		Status first;
		for (const std::string &dir : dirs_.v1())
			if (auto s = removeV1Dir(dir); !s && first)
				first = std::move(s);
		if (auto s = removeCgroupDir(dirs_.unified); !s && first)
			first = std::move(s);
		return first;
	}

private:
	HybridDirs dirs_;
};

/* Make every directory of a new leaf; on failure remove what was made. */
Status makeLeafDirs(const HybridDirs &leaf)
{
	std::vector<std::string> made;
	for (const std::string &dir : { leaf.unified, leaf.cpu, leaf.memory, leaf.pids }) {
		if (auto s = makeNewCgroupDir(dir); !s) {
			for (auto it = made.rbegin(); it != made.rend(); ++it)
				(void)removeCgroupDir(*it);
			return s;
		}
		made.push_back(dir);
	}
	return {};
}

class HybridManager final : public Manager
{
public:
	explicit HybridManager(HybridDirs tree) : tree_(std::move(tree)) {}

	Layout layout() const override { return Layout::Hybrid; }

	std::string describe() const override
	{
		return "hybrid: cgroup2 " + tree_.unified + "; v1 cpu " + tree_.cpu + ", memory " +
		       tree_.memory + ", pids " + tree_.pids;
	}

	Result<std::unique_ptr<Leaf>> createLeaf(const std::string &name,
						 const Limits &limits) override
	{
		if (auto valid = checkLeafName(name); !valid)
			return std::move(valid).error();
		HybridDirs dirs = tree_.child(name);
		if (auto made = makeLeafDirs(dirs); !made)
			return std::move(made).error();
		auto fds = openCgroup2Dir(dirs.unified);
		if (!fds) {
			for (const std::string &dir : { dirs.pids, dirs.memory, dirs.cpu, dirs.unified })
				(void)removeCgroupDir(dir);
			return std::move(fds).error();
		}
		/* From here on the leaf removes itself if we return early. */
		auto leaf = std::make_unique<HybridLeaf>(name, dirs, std::move(*fds));
		if (auto applied = applyV1Limits(dirs, limits); !applied)
			return std::move(applied).error();
		return std::unique_ptr<Leaf>(std::move(leaf));
	}

	/*
	 * A crash between two mkdirs of createLeaf can leave a name in some
	 * hierarchies only: list the union.
	 */
	Result<std::vector<std::string>> listLeaves() const override
	{
		std::vector<std::string> all;
		for (const std::string &dir : { tree_.unified, tree_.cpu, tree_.memory, tree_.pids }) {
			auto names = listChildCgroups(dir);
			if (!names)
				return std::move(names).error();
			all.insert(all.end(), names->begin(), names->end());
		}
		std::sort(all.begin(), all.end());
		all.erase(std::unique(all.begin(), all.end()), all.end());
		std::erase(all, "supervisor");
		return all;
	}

	Status removeLeaf(const std::string &name) override
	{
		if (auto valid = checkLeafName(name); !valid)
			return valid;
		HybridDirs dirs = tree_.child(name);
		if (!pathExists(dirs.unified)) {
			for (const std::string &dir : dirs.v1())
				if (auto s = removeV1Dir(dir); !s)
					return std::move(s).error().wrap("remove leaf " + name);
			return {};
		}
		auto fds = openCgroup2Dir(dirs.unified);
		if (!fds)
			return std::move(fds).error().wrap("remove leaf " + name);
		HybridLeaf leaf(name, dirs, std::move(*fds));
		return leaf.destroy();
	}

private:
	HybridDirs tree_;
};

/*
 * Our sub-tree in one hierarchy. v1 memory cgroups count their children
 * only with use_hierarchy (always on since 5.x, settable before); we set
 * it only on a directory we just created.
 */
Status makeSubtree(const std::string &dir, bool isMemory)
{
	auto created = makeCgroupDir(dir);
	if (!created)
		return std::move(created).error();
	if (!*created || !isMemory)
		return {};
	auto hierarchical = readNumber(joinPath(dir, "memory.use_hierarchy"));
	if (!hierarchical || *hierarchical == 1)
		return {};
	return writeCgroupFile(joinPath(dir, "memory.use_hierarchy"), "1");
}

} /* namespace */

Result<std::unique_ptr<Manager>> openHybrid(const Options &options, const HybridPlace &place)
{
	HybridDirs own{ place.unified, place.cpu, place.memory, place.pids };
	HybridDirs tree = own.child(options.name);
	for (const std::string &dir : { tree.unified, tree.cpu, tree.pids })
		if (auto made = makeSubtree(dir, false); !made)
			return std::move(made).error();
	if (auto made = makeSubtree(tree.memory, true); !made)
		return std::move(made).error();
	return std::unique_ptr<Manager>(std::make_unique<HybridManager>(std::move(tree)));
}

} /* namespace benchd::cgroups */
