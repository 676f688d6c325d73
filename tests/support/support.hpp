/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the Criterion suites: run a real command and capture
 * what it printed, temporary directories, paths into the build tree.
 */
#pragma once

#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <criterion/criterion.h>

namespace benchd::test {

/* Absolute path of something in the build tree, e.g. "daemon/benchd". */
std::string buildPath(const std::string &relative);
std::string sourcePath(const std::string &relative);

struct RunOptions {
	std::string stdinData;
	std::optional<uid_t> uid; /* run as this uid/gid (from root) */
	std::optional<gid_t> gid;
	std::map<std::string, std::string> env; /* added to the environment */
	int timeoutMs = 120000;			/* SIGKILL after this */
};

struct CommandResult {
	int waitStatus = -1;
	bool timedOut = false;
	std::string out;
	std::string err;

	/* Exit code, or 128+signal, like a shell's $?. */
	int code() const;
};

CommandResult runCommand(const std::vector<std::string> &argv,
			 const RunOptions &options = {});

/* Start a command in the background (output to /dev/null); returns its pid. */
pid_t startCommand(const std::vector<std::string> &argv);

/* A fresh directory under /tmp, removed with everything in it. */
class TempDir
{
public:
	TempDir();
	~TempDir();
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;

	const std::string &path() const { return path_; }
	std::string operator/(const std::string &name) const { return path_ + "/" + name; }

private:
	std::string path_;
};

std::string readFile(const std::string &path);
void writeFile(const std::string &path, const std::string &data);
bool pathExists(const std::string &path);
void removeTree(const std::string &path);

/* Count this process's open fds (to catch leaks). */
int countOpenFds();

/*
 * Remove a test's cgroup sub-tree `name` (and everything below it) in every
 * hierarchy that has it, depth first: a daemon leaves its sub-tree behind.
 */
void removeCgroupSubtree(const std::string &name);

/* True when /sys/fs/cgroup is a cgroup2 mount (pure v2 host or guest). */
bool hostIsPureCgroupV2();

/* Lines of `text` that contain `needle`. */
std::vector<std::string> grepLines(const std::string &text, const std::string &needle);

} /* namespace benchd::test */

/* cr_assert with the command's output in the message. */
#define expect_exit(res, want)                                                              \
	cr_assert_eq((res).code(), (want), "exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s", \
		     (res).code(), (want), (res).out.c_str(), (res).err.c_str())
