/* SPDX-License-Identifier: MIT */
#include "support.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

namespace benchd::test {

std::string buildPath(const std::string &relative)
{
	return std::string(BENCHD_BUILD_ROOT) + "/" + relative;
}

std::string sourcePath(const std::string &relative)
{
	return std::string(BENCHD_SOURCE_ROOT) + "/" + relative;
}

int CommandResult::code() const
{
	if (WIFEXITED(waitStatus))
		return WEXITSTATUS(waitStatus);
	if (WIFSIGNALED(waitStatus))
		return 128 + WTERMSIG(waitStatus);
	return -1;
}

CommandResult runCommand(const std::vector<std::string> &argv,
			 const RunOptions &options)
{
	int in[2], out[2], err[2];
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		throw std::runtime_error("pipe2 failed");

	std::vector<char *> args;
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);

	pid_t pid = fork();
	if (pid < 0)
		throw std::runtime_error("fork failed");
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (const auto &[k, v] : options.env)
			setenv(k.c_str(), v.c_str(), 1);
		if (options.gid && (setgroups(0, nullptr) || setresgid(*options.gid, *options.gid, *options.gid)))
			_exit(121);
		if (options.uid && setresuid(*options.uid, *options.uid, *options.uid))
			_exit(122);
		execvp(args[0], args.data());
		dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);

	CommandResult res;
	/* Feed stdin from the loop so a large input cannot deadlock us. */
	size_t inOff = 0;
	int inFd = in[1];
	if (options.stdinData.empty()) {
		close(inFd);
		inFd = -1;
	} else {
		fcntl(inFd, F_SETFL, O_NONBLOCK);
	}

	auto deadline = std::chrono::steady_clock::now() +
			std::chrono::milliseconds(options.timeoutMs);
	bool outOpen = true, errOpen = true;
	while (outOpen || errOpen || inFd >= 0) {
		struct pollfd fds[3] = {
			{ outOpen ? out[0] : -1, POLLIN, 0 },
			{ errOpen ? err[0] : -1, POLLIN, 0 },
			{ inFd, POLLOUT, 0 },
		};
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
				    deadline - std::chrono::steady_clock::now())
				    .count();
		if (left <= 0) {
			kill(pid, SIGKILL);
			res.timedOut = true;
			break;
		}
		int n = poll(fds, 3, static_cast<int>(left));
		if (n < 0 && errno != EINTR)
			break;
		char buf[65536];
		for (int i = 0; i < 2; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(fds[i].fd, buf, sizeof(buf));
			if (r <= 0) {
				(i == 0 ? outOpen : errOpen) = false;
				continue;
			}
			(i == 0 ? res.out : res.err).append(buf, static_cast<size_t>(r));
		}
		if (inFd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(inFd, options.stdinData.data() + inOff,
					  options.stdinData.size() - inOff);
			if (w > 0)
				inOff += static_cast<size_t>(w);
			if (w < 0 || inOff == options.stdinData.size()) {
				close(inFd);
				inFd = -1;
			}
		}
	}
	if (inFd >= 0)
		close(inFd);
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &res.waitStatus, 0) < 0 && errno == EINTR) {
	}
	return res;
}

pid_t startCommand(const std::vector<std::string> &argv)
{
	std::vector<char *> args;
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(args[0], args.data());
		_exit(127);
	}
	return pid;
}

TempDir::TempDir()
{
	char tmpl[] = "/tmp/benchd-test-XXXXXX";
	if (!mkdtemp(tmpl))
		throw std::runtime_error("mkdtemp failed");
	path_ = tmpl;
	chmod(path_.c_str(), 0755);
}

TempDir::~TempDir()
{
	removeTree(path_);
}

std::string readFile(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

void writeFile(const std::string &path, const std::string &data)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f << data;
}

bool pathExists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

void removeTree(const std::string &path)
{
	nftw(path.c_str(), [](const char *p, const struct stat *, int, struct FTW *) {
		return remove(p) < 0 ? 0 : 0;
	}, 32, FTW_DEPTH | FTW_PHYS);
}

int countOpenFds()
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (struct dirent *e = readdir(d))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

namespace {

/* Find `name` up to `depth` levels down (the memory hierarchy nests it), remove it depth first. */
void removeCgroupBelow(const std::string &dir, const std::string &name, int depth)
{
	DIR *d = opendir(dir.c_str());
	if (!d)
		return;
	std::vector<std::string> subdirs;
	while (struct dirent *e = readdir(d))
		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			subdirs.emplace_back(e->d_name);
	closedir(d);
	for (const auto &sub : subdirs) {
		std::string path = dir + "/" + sub;
		if (sub == name || depth == -1) {
			removeCgroupBelow(path, name, -1);
			rmdir(path.c_str());
		} else if (depth > 0 && sub.rfind("benchd", 0) != 0) {
			removeCgroupBelow(path, name, depth - 1);
		}
	}
}

} /* namespace */

void removeCgroupSubtree(const std::string &name)
{
	removeCgroupBelow("/sys/fs/cgroup", name, 3);
}

bool hostIsPureCgroupV2()
{
	struct statfs st;
	return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

std::vector<std::string> grepLines(const std::string &text, const std::string &needle)
{
	std::vector<std::string> lines;
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line))
		if (line.find(needle) != std::string::npos)
			lines.push_back(line);
	return lines;
}

} /* namespace benchd::test */
