/* SPDX-License-Identifier: MIT */
#include "cgroup_helpers.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <linux/sched.h>

#include "support.hpp"

namespace benchd::test {

namespace {

/* Sub-trees and children of the running test, removed by cleanupCgroups(). */
std::vector<std::vector<std::string>> g_trees;
std::vector<pid_t> g_children;
std::vector<int> g_goFds;
std::string g_home; /* our cgroup2 directory before moveSelfInto() */

/* Our cgroup per hierarchy: "" for the cgroup2 one, else a controller name. */
std::string ownCgroup(const std::string &controller)
{
	std::istringstream in(readFile("/proc/self/cgroup"));
	std::string line;
	while (std::getline(in, line)) {
		size_t a = line.find(':'), b = line.find(':', a + 1);
		std::string controllers = line.substr(a + 1, b - a - 1);
		std::string path = line.substr(b + 1);
		if (controller.empty() ? line.compare(0, 3, "0::") == 0
				       : ("," + controllers + ",").find("," + controller + ",") !=
						 std::string::npos)
			return path == "/" ? "" : path;
	}
	cr_assert_fail("no %s line in /proc/self/cgroup",
		       controller.empty() ? "cgroup2" : controller.c_str());
	return "";
}

[[noreturn]] void runJob(ChildJob job, int goFd)
{
	char byte;
	ssize_t n;
	do
		n = read(goFd, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (job == ChildJob::Hold) {
		while (n > 0 || (n < 0 && errno == EINTR))
			n = read(goFd, &byte, 1);
		_exit(0);
	}
	if (job == ChildJob::HogMemory) {
		const size_t size = 256u << 20;
		auto *p = static_cast<char *>(mmap(nullptr, size, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
		if (p == MAP_FAILED)
			_exit(2);
		for (size_t i = 0; i < size; i += 4096)
			p[i] = 1;
		_exit(0);
	}
	if (job == ChildJob::ForkMany) {
		int failed = 0;
		for (int i = 0; i < 64; i++) {
			pid_t pid = fork();
			if (pid == 0) {
				pause();
				_exit(0);
			}
			if (pid < 0)
				failed++;
		}
		_exit(failed);
	}
	struct timespec used = {};
	while (used.tv_sec * 1000 + used.tv_nsec / 1000000 < 300)
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
	_exit(0);
}

/* Kill what is in a cgroup directory and below, then remove it. */
void removeTreeDir(const std::string &dir)
{
	if (!pathExists(dir))
		return;
	auto children = runCommand({ "find", dir, "-mindepth", "1", "-maxdepth", "1", "-type", "d" });
	std::istringstream in(children.out);
	for (std::string child; std::getline(in, child);)
		removeTreeDir(child);
	for (int attempt = 0; attempt < 200 && pathExists(dir); attempt++) {
		for (pid_t pid : listedPids(dir))
			kill(pid, SIGKILL);
		if (rmdir(dir.c_str()) == 0)
			return;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
}

} /* namespace */

cgroups::Layout hostLayout()
{
	return hostIsPureCgroupV2() ? cgroups::Layout::V2 : cgroups::Layout::Hybrid;
}

std::vector<std::string> treeDirs(const cgroups::Options &options, const std::string &leaf)
{
	std::string tail = "/" + options.name + (leaf.empty() ? "" : "/" + leaf);
	if (hostLayout() == cgroups::Layout::V2) {
		std::string root = options.root.empty() ? "/" + options.name : options.root;
		return { "/sys/fs/cgroup" + root + (leaf.empty() ? "" : "/" + leaf) };
	}
	return { "/sys/fs/cgroup/unified" + ownCgroup("") + tail,
		 "/sys/fs/cgroup/cpu" + ownCgroup("cpu") + tail,
		 "/sys/fs/cgroup/memory" + ownCgroup("memory") + tail,
		 "/sys/fs/cgroup/pids" + ownCgroup("pids") + tail };
}

cgroups::Options freshOptions()
{
	static int counter = 0;
	cgroups::Options options;
	options.name = "benchd-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
	/* Outside the cgroup2 root we would take our own cgroup over: give a root. */
	if (hostLayout() == cgroups::Layout::V2 && !ownCgroup("").empty())
		options.root = "/" + options.name;
	g_trees.push_back(treeDirs(options));
	return options;
}

std::unique_ptr<cgroups::Manager> openFresh(cgroups::Options *used)
{
	cgroups::Options options = freshOptions();
	if (used)
		*used = options;
	auto manager = cgroups::Manager::open(options);
	cr_assert(manager.ok(), "open: %s", manager.error().message().c_str());
	return std::move(*manager);
}

std::unique_ptr<cgroups::Leaf> makeLeaf(cgroups::Manager &manager, const std::string &name,
					const cgroups::Limits &limits)
{
	auto leaf = manager.createLeaf(name, limits);
	cr_assert(leaf.ok(), "createLeaf %s: %s", name.c_str(), leaf.error().message().c_str());
	return std::move(*leaf);
}

void Child::start()
{
	char byte = 'g';
	cr_assert_eq(write(go, &byte, 1), 1, "start child %d", pid);
}

int Child::wait()
{
	if (go >= 0) {
		close(go);
		std::erase(g_goFds, go);
		go = -1;
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid %d: %s", pid, strerror(errno));
	std::erase(g_children, pid);
	return status;
}

Child spawnInLeaf(cgroups::Leaf &leaf, ChildJob job)
{
	int fds[2];
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	struct clone_args args = {};
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = static_cast<uint64_t>(leaf.dirFd());
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(fds[1]);
		runJob(job, fds[0]);
	}
	close(fds[0]);
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
		close(fds[1]);
		cr_skip_test("kernel has no clone3(CLONE_INTO_CGROUP) (needs 5.7)");
	}
	cr_assert_gt(pid, 0, "clone3 into %s: %s", leaf.path().c_str(), strerror(errno));
	g_children.push_back(static_cast<pid_t>(pid));
	g_goFds.push_back(fds[1]);
	auto attached = leaf.attach(static_cast<pid_t>(pid));
	cr_assert(attached.ok(), "attach: %s", attached.error().message().c_str());
	return Child{ static_cast<pid_t>(pid), fds[1] };
}

Child forkChild(ChildJob job)
{
	int fds[2];
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[1]);
		runJob(job, fds[0]);
	}
	close(fds[0]);
	cr_assert_gt(pid, 0, "fork: %s", strerror(errno));
	g_children.push_back(pid);
	g_goFds.push_back(fds[1]);
	return Child{ pid, fds[1] };
}

std::vector<pid_t> listedPids(const std::string &dir)
{
	std::istringstream in(readFile(dir + "/cgroup.procs"));
	std::vector<pid_t> pids;
	for (pid_t pid; in >> pid;)
		pids.push_back(pid);
	return pids;
}

std::string ownCgroup2Dir()
{
	std::string mount = hostLayout() == cgroups::Layout::V2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
	return mount + ownCgroup("");
}

void registerTree(const std::string &dir)
{
	g_trees.push_back({ dir });
}

void moveSelfInto(const std::string &dir)
{
	if (g_home.empty())
		g_home = "/sys/fs/cgroup" + ownCgroup("");
	int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "open %s/cgroup.procs: %s", dir.c_str(), strerror(errno));
	bool moved = write(fd, "0", 1) == 1;
	int err = errno;
	close(fd);
	cr_assert(moved, "move ourselves into %s: %s", dir.c_str(), strerror(err));
}

void cleanupCgroups()
{
	for (int fd : g_goFds)
		close(fd);
	g_goFds.clear();
	for (pid_t pid : g_children) {
		kill(pid, SIGKILL);
		waitpid(pid, nullptr, 0);
	}
	g_children.clear();
	/* A test that moved itself into its tree leaves it first. */
	if (!g_home.empty())
		writeFile(g_home + "/cgroup.procs", "0");
	g_home.clear();
	for (const auto &dirs : g_trees)
		for (const std::string &dir : dirs)
			removeTreeDir(dir);
	g_trees.clear();
}

} /* namespace benchd::test */
