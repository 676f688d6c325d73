/* SPDX-License-Identifier: MIT */
/*
 * The cgroup manager on the real kernel: each test builds its own sub-tree
 * ("benchd-test-<pid>-<n>") in the host's layout, runs real processes in
 * it, and the suite's .fini removes it even after a failed assertion.
 */
#include <algorithm>
#include <chrono>
#include <csignal>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_helpers.hpp"
#include "cgroups/manager.hpp"
#include "support.hpp"

using namespace benchd;
using namespace benchd::test;
using cgroups::Layout;
using cgroups::Limits;

namespace {

void fini()
{
	cleanupCgroups();
}

std::string trimmed(std::string text)
{
	while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
		text.pop_back();
	return text;
}

/* `file` in the directory of the hierarchy that holds it. */
std::string fileOf(const std::vector<std::string> &dirs, const std::string &file)
{
	if (dirs.size() == 1)
		return dirs[0] + "/" + file;
	if (file.starts_with("cpu."))
		return dirs[1] + "/" + file;
	if (file.starts_with("memory."))
		return dirs[2] + "/" + file;
	if (file.starts_with("pids."))
		return dirs[3] + "/" + file;
	return dirs[0] + "/" + file;
}

bool contains(const std::vector<pid_t> &pids, pid_t pid)
{
	return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

bool contains(const std::vector<std::string> &names, const std::string &name)
{
	return std::find(names.begin(), names.end(), name) != names.end();
}

} /* namespace */

TestSuite(cgroups, .fini = fini, .timeout = 60);

Test(cgroups, layout_is_detected_and_described)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	cr_assert_eq(manager->layout(), hostLayout(), "detected %s on a %s host",
		     cgroups::layoutName(manager->layout()), cgroups::layoutName(hostLayout()));
	std::string text = manager->describe();
	auto dirs = treeDirs(options);
	if (hostLayout() == Layout::V2) {
		cr_expect_eq(text, "cgroup v2, root " + dirs[0]);
	} else {
		cr_expect(text.starts_with("hybrid: cgroup2 " + dirs[0] + "; v1 cpu "), "%s", text.c_str());
		cr_expect(text.find(", memory " + dirs[2] + ", pids ") != std::string::npos, "%s",
			  text.c_str());
	}
	for (const std::string &dir : dirs)
		cr_expect(pathExists(dir), "sub-tree %s was not created", dir.c_str());
}

Test(cgroups, reopening_an_existing_subtree_keeps_its_leaves)
{
	cgroups::Options options;
	auto first = openFresh(&options);
	auto leaf = makeLeaf(*first, "kept", {});
	auto second = cgroups::Manager::open(options);
	cr_assert(second.ok(), "reopen: %s", second.error().message().c_str());
	auto names = (*second)->listLeaves();
	cr_assert(names.ok(), "%s", names.error().message().c_str());
	cr_expect_eq(*names, std::vector<std::string>{ "kept" });
}

Test(cgroups, leaf_gets_its_limits)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	Limits limits{ .milliCpus = 500, .memoryBytes = 32u << 20, .pidsMax = 16 };
	auto leaf = makeLeaf(*manager, "limited", limits);
	auto dirs = treeDirs(options, "limited");
	cr_expect_eq(leaf->path(), dirs[0]);
	if (hostLayout() == Layout::V2) {
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "cpu.max"))), "50000 100000");
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "memory.max"))), "33554432");
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "memory.oom.group"))), "1");
		if (pathExists(fileOf(dirs, "memory.swap.max")))
			cr_expect_eq(trimmed(readFile(fileOf(dirs, "memory.swap.max"))), "0");
	} else {
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "cpu.cfs_period_us"))), "100000");
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "cpu.cfs_quota_us"))), "50000");
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "memory.limit_in_bytes"))), "33554432");
		if (pathExists(fileOf(dirs, "memory.memsw.limit_in_bytes")))
			cr_expect_eq(trimmed(readFile(fileOf(dirs, "memory.memsw.limit_in_bytes"))),
				     "33554432");
	}
	cr_expect_eq(trimmed(readFile(fileOf(dirs, "pids.max"))), "16");
}

Test(cgroups, leaf_without_limits_is_unlimited)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	auto leaf = makeLeaf(*manager, "free", {});
	auto dirs = treeDirs(options, "free");
	if (hostLayout() == Layout::V2) {
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "cpu.max"))), "max 100000");
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "memory.max"))), "max");
	} else {
		cr_expect_eq(trimmed(readFile(fileOf(dirs, "cpu.cfs_quota_us"))), "-1");
		/* v1 shows "no limit" as the largest page-aligned value. */
		cr_expect_gt(std::stoull(readFile(fileOf(dirs, "memory.limit_in_bytes"))), 1ull << 60);
	}
	cr_expect_eq(trimmed(readFile(fileOf(dirs, "pids.max"))), "max");
}

Test(cgroups, cloned_child_is_in_the_leaf_in_every_hierarchy)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	auto leaf = makeLeaf(*manager, "member", {});
	Child child = spawnInLeaf(*leaf, ChildJob::Hold);
	for (const std::string &dir : treeDirs(options, "member"))
		cr_expect(contains(listedPids(dir), child.pid), "pid %d not in %s/cgroup.procs",
			  child.pid, dir.c_str());
	cr_expect(WIFEXITED(child.wait()));
}

Test(cgroups, forked_child_joins_every_hierarchy_through_attach)
{
	if (hostLayout() == Layout::V2)
		cr_skip_test("attach() is a no-op on v2: CLONE_INTO_CGROUP places the child");
	cgroups::Options options;
	auto manager = openFresh(&options);
	auto leaf = makeLeaf(*manager, "attached", {});
	Child child = forkChild(ChildJob::Hold);
	auto attached = leaf->attach(child.pid);
	cr_assert(attached.ok(), "%s", attached.error().message().c_str());
	for (const std::string &dir : treeDirs(options, "attached"))
		cr_expect(contains(listedPids(dir), child.pid), "pid %d not in %s/cgroup.procs",
			  child.pid, dir.c_str());
	auto populated = leaf->populated();
	cr_expect(populated.ok() && *populated);
}

Test(cgroups, populated_follows_the_leaf_and_kill_empties_it)
{
	auto manager = openFresh();
	auto leaf = makeLeaf(*manager, "tracked", {});
	auto before = leaf->populated();
	cr_assert(before.ok(), "%s", before.error().message().c_str());
	cr_expect(!*before, "an empty leaf says populated");

	Child child = spawnInLeaf(*leaf, ChildJob::Hold);
	auto during = leaf->populated();
	cr_assert(during.ok() && *during, "a leaf with a process says not populated");

	auto start = std::chrono::steady_clock::now();
	auto killed = leaf->kill();
	cr_assert(killed.ok(), "%s", killed.error().message().c_str());
	auto empty = leaf->waitEmpty(5000);
	cr_assert(empty.ok(), "%s", empty.error().message().c_str());
	auto waited = std::chrono::steady_clock::now() - start;
	cr_expect_lt(waited, std::chrono::seconds(2), "waitEmpty did not wake on the event");

	auto after = leaf->populated();
	cr_assert(after.ok());
	cr_expect(!*after);
	int status = child.wait();
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x", status);
}

Test(cgroups, events_fd_wakes_poll_when_the_leaf_empties)
{
	auto manager = openFresh();
	auto leaf = makeLeaf(*manager, "polled", {});
	Child child = spawnInLeaf(*leaf, ChildJob::Hold);
	cr_assert(leaf->populated().ok());
	struct pollfd idle = { leaf->eventsFd(), POLLPRI, 0 };
	cr_expect_eq(poll(&idle, 1, 0), 0, "POLLPRI before anything changed");
	child.wait(); /* closing the go pipe ends a Hold child */
	struct pollfd pfd = { leaf->eventsFd(), POLLPRI, 0 };
	cr_expect_eq(poll(&pfd, 1, 5000), 1, "no POLLPRI after the last process left");
	auto populated = leaf->populated();
	cr_expect(populated.ok() && !*populated);
}

Test(cgroups, wait_empty_times_out_naming_the_leaf)
{
	auto manager = openFresh();
	auto leaf = makeLeaf(*manager, "stuck", {});
	spawnInLeaf(*leaf, ChildJob::Hold);
	auto empty = leaf->waitEmpty(100);
	cr_assert(!empty.ok(), "waitEmpty returned while a process is in the leaf");
	cr_expect_eq(empty.error().code(), ETIMEDOUT);
	cr_expect(empty.error().message().find(leaf->path()) != std::string::npos, "%s",
		  empty.error().message().c_str());
}

Test(cgroups, memory_hog_is_oom_killed_and_reported)
{
	auto manager = openFresh();
	auto leaf = makeLeaf(*manager, "hog", { .memoryBytes = 32u << 20 });
	Child child = spawnInLeaf(*leaf, ChildJob::HogMemory);
	child.start();
	int status = child.wait();
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "a 256 MiB hog under 32 MiB was not OOM-killed (status %#x)", status);
	auto usage = leaf->usage();
	cr_assert(usage.ok(), "%s", usage.error().message().c_str());
	cr_expect_gt(usage->oomKills, 0u);
	if (usage->memoryPeakBytes) {
		cr_expect_gt(*usage->memoryPeakBytes, 16u << 20);
		cr_expect_leq(*usage->memoryPeakBytes, 33u << 20);
	}
}

Test(cgroups, fork_bomb_is_held_by_pids_max_and_reported)
{
	auto manager = openFresh();
	auto leaf = makeLeaf(*manager, "bomb", { .pidsMax = 16 });
	Child child = spawnInLeaf(*leaf, ChildJob::ForkMany);
	child.start();
	int status = child.wait();
	cr_assert(WIFEXITED(status), "status %#x", status);
	/* The child itself counts: 15 of its 64 forks fit under 16. */
	cr_expect_eq(WEXITSTATUS(status), 64 - 15, "failed forks");
	auto usage = leaf->usage();
	cr_assert(usage.ok(), "%s", usage.error().message().c_str());
	cr_expect_gt(usage->pidsLimitHits, 0u);
	if (usage->pidsPeak)
		cr_expect_eq(*usage->pidsPeak, 16u);
	auto destroyed = leaf->destroy(); /* the 15 sleepers */
	cr_expect(destroyed.ok(), "%s", destroyed.error().message().c_str());
}

Test(cgroups, cpu_time_of_a_spinning_child_is_reported)
{
	auto manager = openFresh();
	auto leaf = makeLeaf(*manager, "spin", {});
	Child child = spawnInLeaf(*leaf, ChildJob::Spin);
	child.start();
	cr_assert(WIFEXITED(child.wait()));
	auto usage = leaf->usage();
	cr_assert(usage.ok(), "%s", usage.error().message().c_str());
	cr_expect_geq(usage->cpuUserUs + usage->cpuSystemUs, 200000u, "user %lu + system %lu us",
		      (unsigned long)usage->cpuUserUs, (unsigned long)usage->cpuSystemUs);
}

Test(cgroups, cpu_quota_slows_a_spinning_child)
{
	auto manager = openFresh();
	auto leaf = makeLeaf(*manager, "quota", { .milliCpus = 200 });
	Child child = spawnInLeaf(*leaf, ChildJob::Spin);
	auto start = std::chrono::steady_clock::now();
	child.start();
	cr_assert(WIFEXITED(child.wait()));
	auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
		std::chrono::steady_clock::now() - start);
	/* 300 ms of CPU at a fifth of a CPU takes about 1.5 s. */
	cr_expect_geq(wall.count(), 1000, "300 ms of CPU took only %lld ms under 0.2 CPU",
		      (long long)wall.count());
}

Test(cgroups, destroy_removes_the_leaf_everywhere_and_is_idempotent)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	int fdsBefore = countOpenFds();
	auto leaf = makeLeaf(*manager, "gone", {});
	Child child = spawnInLeaf(*leaf, ChildJob::Hold);
	auto destroyed = leaf->destroy();
	cr_assert(destroyed.ok(), "%s", destroyed.error().message().c_str());
	for (const std::string &dir : treeDirs(options, "gone"))
		cr_expect(!pathExists(dir), "%s is still there", dir.c_str());
	int status = child.wait();
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	auto again = leaf->destroy();
	cr_expect(again.ok(), "second destroy: %s", again.error().message().c_str());
	leaf.reset();
	cr_expect_eq(countOpenFds(), fdsBefore, "the leaf leaked fds");
}

Test(cgroups, dropped_leaf_kills_and_removes_itself)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	auto leaf = makeLeaf(*manager, "dropped", {});
	Child child = spawnInLeaf(*leaf, ChildJob::Hold);
	leaf.reset();
	for (const std::string &dir : treeDirs(options, "dropped"))
		cr_expect(!pathExists(dir), "%s is still there", dir.c_str());
	int status = child.wait();
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

Test(cgroups, leaked_leaf_is_listed_and_removed)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	/* As after a crash: the object is gone, its cgroups and process are not. */
	auto leaked = makeLeaf(*manager, "leaked", {}).release();
	(void)leaked;
	Child child = spawnInLeaf(*leaked, ChildJob::Hold);
	auto names = manager->listLeaves();
	cr_assert(names.ok(), "%s", names.error().message().c_str());
	cr_expect_eq(*names, std::vector<std::string>{ "leaked" });

	auto removed = manager->removeLeaf("leaked");
	cr_assert(removed.ok(), "%s", removed.error().message().c_str());
	for (const std::string &dir : treeDirs(options, "leaked"))
		cr_expect(!pathExists(dir), "%s is still there", dir.c_str());
	int status = child.wait();
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	names = manager->listLeaves();
	cr_expect(names.ok() && names->empty());
}

Test(cgroups, hand_made_leftovers_are_listed_and_removed)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	/* A whole leaf made by hand, and (hybrid) one left in a single hierarchy. */
	for (const std::string &dir : treeDirs(options, "by-hand"))
		cr_assert_eq(mkdir(dir.c_str(), 0755), 0, "mkdir %s", dir.c_str());
	auto dirs = treeDirs(options, "half-made");
	std::string half = dirs.back();
	cr_assert_eq(mkdir(half.c_str(), 0755), 0, "mkdir %s", half.c_str());

	auto names = manager->listLeaves();
	cr_assert(names.ok(), "%s", names.error().message().c_str());
	cr_expect(contains(*names, "by-hand") && contains(*names, "half-made"));
	cr_expect(!contains(*names, "supervisor"));
	for (const char *name : { "by-hand", "half-made" }) {
		auto removed = manager->removeLeaf(name);
		cr_expect(removed.ok(), "%s: %s", name, removed.error().message().c_str());
		for (const std::string &dir : treeDirs(options, name))
			cr_expect(!pathExists(dir), "%s is still there", dir.c_str());
	}
}

Test(cgroups, existing_leaf_name_is_refused_naming_the_path)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	auto first = makeLeaf(*manager, "twice", {});
	auto second = manager->createLeaf("twice", {});
	cr_assert(!second.ok(), "a second leaf of the same name was created");
	std::string message = second.error().message();
	cr_expect(message.find(treeDirs(options, "twice")[0]) != std::string::npos &&
			  message.find("File exists") != std::string::npos,
		  "%s", message.c_str());
	/* The refused attempt must not have removed the first leaf. */
	for (const std::string &dir : treeDirs(options, "twice"))
		cr_expect(pathExists(dir), "%s was removed", dir.c_str());
}

Test(cgroups, bad_leaf_names_are_refused)
{
	auto manager = openFresh();
	for (const char *bad : { "", ".", "..", "a/b", "supervisor" }) {
		auto leaf = manager->createLeaf(bad, {});
		cr_expect(!leaf.ok(), "leaf name '%s' was accepted", bad);
		if (!leaf.ok())
			cr_expect(leaf.error().message().find(std::string("'") + bad + "'") !=
					  std::string::npos,
				  "%s", leaf.error().message().c_str());
	}
}

Test(cgroups, impossible_limits_fail_and_leave_nothing_behind)
{
	cgroups::Options options;
	auto manager = openFresh(&options);
	/* 1 millicpu is a 100 us quota; the kernel's minimum is 1 ms. */
	auto leaf = manager->createLeaf("tiny", { .milliCpus = 1 });
	cr_assert(!leaf.ok(), "a 100 us quota was accepted");
	cr_expect(leaf.error().message().find("'100") != std::string::npos, "%s",
		  leaf.error().message().c_str());
	for (const std::string &dir : treeDirs(options, "tiny"))
		cr_expect(!pathExists(dir), "%s is left over", dir.c_str());
}

Test(cgroups, plain_directory_is_no_usable_layout)
{
	TempDir dir;
	cgroups::Options options;
	options.name = "benchd-test-never";
	options.mountPoint = dir.path();
	auto manager = cgroups::Manager::open(options);
	cr_assert(!manager.ok(), "a plain directory was taken for cgroups");
	std::string message = manager.error().message();
	cr_expect(message.starts_with("no usable cgroup layout: " + dir.path() +
				      " is not a cgroup2 mount"),
		  "%s", message.c_str());
	cr_expect(message.find("no cgroup-v1 hierarchy for cpu, memory, pids") != std::string::npos,
		  "%s", message.c_str());
}

namespace {

/* A cgroup under the cgroup2 root, given cpu, memory and pids as Delegate=yes would. */
std::string makeDelegatedCgroup(const std::string &tag)
{
	if (hostLayout() != Layout::V2)
		cr_skip_test("delegation is a cgroup v2 feature; this host is hybrid");
	std::string dir = "/sys/fs/cgroup/benchd-test-" + std::to_string(getpid()) + "-" + tag;
	cr_assert_eq(mkdir(dir.c_str(), 0755), 0, "mkdir %s: %s", dir.c_str(), strerror(errno));
	registerTree(dir);
	writeFile("/sys/fs/cgroup/cgroup.subtree_control", "+cpu +memory +pids");
	return dir;
}

} /* namespace */

Test(cgroups, delegated_cgroup_moves_the_supervisor_out_of_its_root)
{
	std::string dir = makeDelegatedCgroup("deleg");
	moveSelfInto(dir);
	cgroups::Options options;
	options.name = "benchd-test-unused";
	auto manager = cgroups::Manager::open(options);
	cr_assert(manager.ok(), "open: %s", manager.error().message().c_str());
	cr_expect_eq((*manager)->describe(), "cgroup v2, root " + dir);
	cr_expect_eq(ownCgroup2Dir(), dir + "/supervisor");
	cr_expect_eq(trimmed(readFile(dir + "/cgroup.subtree_control")), "cpu memory pids");
	auto leaf = makeLeaf(**manager, "job", { .pidsMax = 8 });
	cr_expect_eq(trimmed(readFile(dir + "/job/pids.max")), "8");

	/* A restart finds itself in supervisor and takes its parent again. */
	auto again = cgroups::Manager::open(options);
	cr_assert(again.ok(), "reopen: %s", again.error().message().c_str());
	cr_expect_eq((*again)->describe(), "cgroup v2, root " + dir);
	auto names = (*again)->listLeaves();
	cr_expect(names.ok() && *names == std::vector<std::string>{ "job" });
}

Test(cgroups, delegated_cgroup_with_other_processes_is_refused_with_advice)
{
	std::string dir = makeDelegatedCgroup("busy");
	Child other = forkChild(ChildJob::Hold);
	writeFile(dir + "/cgroup.procs", std::to_string(other.pid));
	cr_assert(contains(listedPids(dir), other.pid));
	moveSelfInto(dir);
	cgroups::Options options;
	options.name = "benchd-test-unused";
	auto manager = cgroups::Manager::open(options);
	cr_assert(!manager.ok(), "controllers were enabled beside another process");
	std::string message = manager.error().message();
	cr_expect_eq(manager.error().code(), EBUSY, "%s", message.c_str());
	cr_expect(message.find(dir) != std::string::npos &&
			  message.find("other processes") != std::string::npos &&
			  message.find("Delegate=yes") != std::string::npos,
		  "%s", message.c_str());
}

Test(cgroups, configured_root_is_created_with_its_controllers)
{
	if (hostLayout() != Layout::V2)
		cr_skip_test("Options::root is for cgroup v2; this host is hybrid");
	cgroups::Options options = freshOptions();
	options.root = "/" + options.name + "/nested/root";
	auto manager = cgroups::Manager::open(options);
	cr_assert(manager.ok(), "open: %s", manager.error().message().c_str());
	std::string dir = "/sys/fs/cgroup" + options.root;
	cr_expect_eq((*manager)->describe(), "cgroup v2, root " + dir);
	cr_expect_eq(trimmed(readFile(dir + "/cgroup.subtree_control")), "cpu memory pids");
	auto leaf = makeLeaf(**manager, "job", { .memoryBytes = 64u << 20 });
	cr_expect_eq(trimmed(readFile(dir + "/job/memory.max")), "67108864");
}
