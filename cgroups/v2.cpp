/* SPDX-License-Identifier: MIT */
/*
 * The v2 manager: one cgroup2 tree with the cpu, memory and pids
 * controllers. benchd's root is a cgroup it owns; leaves are its children.
 */
#include <algorithm>

#include "cgroup_fs.hpp"
#include "leaf_common.hpp"
#include "managers.hpp"
#include "proc_cgroup.hpp"

namespace benchd::cgroups {

namespace {

const char *const kControllers[] = { "cpu", "memory", "pids" };

/* The cpu.max period; quotas are in microseconds of it. */
constexpr uint64_t kCpuPeriodUs = 100000;

std::string limitOrMax(uint64_t value)
{
	return value ? std::to_string(value) : "max";
}

Status applyV2Limits(const std::string &leaf, const Limits &limits)
{
	/* milliCpus * period / 1000: 500 millicpus = 50000 of 100000 us. */
	std::string quota = limits.milliCpus
				    ? std::to_string(uint64_t(limits.milliCpus) * kCpuPeriodUs / 1000)
				    : "max";
	if (auto s = writeCgroupFile(joinPath(leaf, "cpu.max"),
				     quota + " " + std::to_string(kCpuPeriodUs));
	    !s)
		return s;
	if (auto s = writeCgroupFile(joinPath(leaf, "memory.max"), limitOrMax(limits.memoryBytes)); !s)
		return s;
	/* No swap file without swap accounting (CONFIG_MEMCG_SWAP, swapaccount=0). */
	if (auto s = writeOptionalFile(joinPath(leaf, "memory.swap.max"), "0"); !s)
		return std::move(s).error();
	/* One OOM kill takes the whole job: a half-killed job is worse than none. */
	if (auto s = writeCgroupFile(joinPath(leaf, "memory.oom.group"), "1"); !s)
		return s;
	return writeCgroupFile(joinPath(leaf, "pids.max"), limitOrMax(limits.pidsMax));
}

class V2Leaf final : public CommonLeaf
{
public:
	V2Leaf(std::string name, std::string path, Cgroup2Fds fds)
		: CommonLeaf(std::move(name), std::move(path), std::move(fds))
	{
	}
	~V2Leaf() override { destroyQuietly(); }

	/* CLONE_INTO_CGROUP put the process here already. */
	Status attach(pid_t) override { return {}; }

	Result<Usage> usage() const override
	{
		FigureReader read;
		Usage usage;
		usage.cpuUserUs = read.keyed(joinPath(path(), "cpu.stat"), "user_usec");
		usage.cpuSystemUs = read.keyed(joinPath(path(), "cpu.stat"), "system_usec");
		/* memory.peak is 5.19+, pids.peak 6.13+ (v2). */
		usage.memoryPeakBytes = read.optionalNumber(joinPath(path(), "memory.peak"));
		usage.oomKills = read.keyed(joinPath(path(), "memory.events"), "oom_kill");
		usage.pidsLimitHits = read.keyed(joinPath(path(), "pids.events"), "max");
		usage.pidsPeak = read.optionalNumber(joinPath(path(), "pids.peak"));
		if (read.failed())
			return read.takeError();
		return usage;
	}

protected:
	Status removeDirectories() override { return removeCgroupDir(path()); }
};

class V2Manager final : public Manager
{
public:
	explicit V2Manager(std::string rootDir) : rootDir_(std::move(rootDir)) {}

	Layout layout() const override { return Layout::V2; }
	std::string describe() const override { return "cgroup v2, root " + rootDir_; }

	Result<std::unique_ptr<Leaf>> createLeaf(const std::string &name,
						 const Limits &limits) override
	{
		if (auto valid = checkLeafName(name); !valid)
			return std::move(valid).error();
		std::string path = joinPath(rootDir_, name);
		if (auto made = makeNewCgroupDir(path); !made)
			return std::move(made).error();
		auto fds = openCgroup2Dir(path);
		if (!fds) {
			(void)removeCgroupDir(path);
			return std::move(fds).error();
		}
		/* From here on the leaf removes itself if we return early. */
		auto leaf = std::make_unique<V2Leaf>(name, path, std::move(*fds));
		if (auto applied = applyV2Limits(path, limits); !applied)
			return std::move(applied).error();
		return std::unique_ptr<Leaf>(std::move(leaf));
	}

	Result<std::vector<std::string>> listLeaves() const override
	{
		auto names = listChildCgroups(rootDir_);
		if (!names)
			return names;
		std::erase(*names, "supervisor");
		std::sort(names->begin(), names->end());
		return names;
	}

	Status removeLeaf(const std::string &name) override
	{
		if (auto valid = checkLeafName(name); !valid)
			return valid;
		std::string path = joinPath(rootDir_, name);
		auto fds = openCgroup2Dir(path);
		if (!fds)
			return std::move(fds).error().wrap("remove leaf " + name);
		V2Leaf leaf(name, path, std::move(*fds));
		return leaf.destroy();
	}

private:
	std::string rootDir_;
};

/* Options::root, or where /proc/self/cgroup says we are. */
Result<std::string> chooseRoot(const Options &options, const std::string &own)
{
	if (!options.root.empty()) {
		const std::string &root = options.root;
		if (root[0] != '/' || root.find("/..") != std::string::npos ||
		    root.find("/./") != std::string::npos)
			return Error::invalid("cgroup root '" + root +
					      "' must be an absolute cgroup path like /benchd");
		if (root.size() > 1 && root.back() == '/')
			return root.substr(0, root.size() - 1);
		return root;
	}
	if (own == "/")
		return "/" + options.name;
	size_t slash = own.rfind('/');
	if (own.substr(slash + 1) == "supervisor")
		return slash == 0 ? std::string("/") : own.substr(0, slash);
	/* Our cgroup is delegated to us (Delegate=yes); we take it over. */
	return own;
}

/*
 * Enable what is missing of cpu, memory and pids for the children of `dir`.
 * Only the missing ones are written: a cgroup we did not create may have
 * more enabled, and we leave that as it is.
 */
Status enableControllers(const std::string &dir)
{
	auto offered = readNameList(joinPath(dir, "cgroup.controllers"));
	if (!offered)
		return std::move(offered).error();
	auto enabled = readNameList(joinPath(dir, "cgroup.subtree_control"));
	if (!enabled)
		return std::move(enabled).error();

	std::string missing, lacking;
	for (const char *controller : kControllers) {
		if (std::find(enabled->begin(), enabled->end(), controller) != enabled->end())
			continue;
		if (std::find(offered->begin(), offered->end(), controller) == offered->end())
			lacking += std::string(lacking.empty() ? "" : ", ") + controller;
		else
			missing += std::string(missing.empty() ? "+" : " +") + controller;
	}
	if (!lacking.empty())
		return Error::invalid("cgroup " + dir + " is not given the " + lacking +
				      " controller(s) by its parent");
	if (missing.empty())
		return {};
	auto written = writeCgroupFile(joinPath(dir, "cgroup.subtree_control"), missing);
	if (!written && written.error().code() == EBUSY)
		return Error(EBUSY, "enable controllers '" + missing + "' in " + dir +
					    ": the cgroup has other processes; benchd needs a "
					    "delegated cgroup of its own (e.g. systemd-run -p "
					    "Delegate=yes) or --cgroup-root");
	return written;
}

/*
 * mkdir -p for the root. For each directory we create, its parent must give
 * it the controllers; that parent is ours too except for the first one,
 * e.g. the cgroup2 root above an automatic /benchd.
 */
Status createRoot(const std::string &mountPoint, const std::string &root)
{
	std::vector<std::string> parentsToEnable;
	std::string dir = mountPoint;
	size_t pos = 0;
	while (pos < root.size()) {
		size_t next = root.find('/', pos + 1);
		std::string component = root.substr(pos + 1, next - pos - 1);
		pos = next == std::string::npos ? root.size() : next;
		if (component.empty())
			continue;
		std::string child = joinPath(dir, component);
		auto created = makeCgroupDir(child);
		if (!created)
			return std::move(created).error();
		if (*created)
			parentsToEnable.push_back(dir);
		dir = child;
	}
	for (const std::string &parent : parentsToEnable)
		if (auto enabled = enableControllers(parent); !enabled)
			return enabled;
	return {};
}

} /* namespace */

Result<std::unique_ptr<Manager>> openV2(const Options &options, const V2Place &place)
{
	auto root = chooseRoot(options, place.ownCgroup);
	if (!root)
		return std::move(root).error();
	std::string rootDir = *root == "/" ? place.mountPoint : place.mountPoint + *root;
	if (auto created = createRoot(place.mountPoint, *root); !created)
		return std::move(created).error();

	/*
	 * No internal processes: a cgroup with controllers enabled for its
	 * children may hold no process itself, so we leave our root first.
	 */
	if (place.ownCgroup == *root) {
		std::string supervisor = joinPath(rootDir, "supervisor");
		if (auto made = makeCgroupDir(supervisor); !made)
			return std::move(made).error();
		if (auto moved = writeCgroupFile(joinPath(supervisor, "cgroup.procs"), "0"); !moved)
			return std::move(moved).error().wrap("move the supervisor out of its root");
	}
	if (auto enabled = enableControllers(rootDir); !enabled)
		return std::move(enabled).error();
	return std::unique_ptr<Manager>(std::make_unique<V2Manager>(rootDir));
}

} /* namespace benchd::cgroups */
