/* SPDX-License-Identifier: MIT */
#include "oneshot.hpp"

#include <dirent.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace benchd::test {

std::string probeHostPath()
{
	return buildPath("tests/probe");
}

unsigned testUid()
{
	/* Criterion forks each test: one uid per test process, away from the default pool. */
	return 1300000u + static_cast<unsigned>(getpid());
}

std::string OneshotRun::field(const std::string &key) const
{
	for (const auto &line : grepLines(cmd.out, key + "="))
		if (line.compare(0, key.size() + 1, key + "=") == 0)
			return line.substr(key.size() + 1);
	return "";
}

OneshotRun oneshot(const std::vector<std::string> &options,
		   const std::vector<std::string> &command, const RunOptions &run)
{
	TempDir dir;
	std::string resultPath = dir / "result.json";
	std::vector<std::string> argv = {
		buildPath("daemon/benchd"), "oneshot",
		"--uid-range", std::to_string(testUid()) + ":1",
		"--ro-bind", probeHostPath() + ":" + kProbe,
		"--result", resultPath,
	};
	argv.insert(argv.end(), options.begin(), options.end());
	argv.push_back("--");
	argv.insert(argv.end(), command.begin(), command.end());

	OneshotRun r;
	r.cmd = runCommand(argv, run);
	std::ifstream in(resultPath);
	if (in)
		r.result = nlohmann::json::parse(in, nullptr, false);
	return r;
}

std::vector<int> processesOfUid(unsigned uid)
{
	std::vector<int> pids;
	DIR *d = opendir("/proc");
	while (struct dirent *e = readdir(d)) {
		int pid = atoi(e->d_name);
		if (pid <= 0)
			continue;
		struct stat st;
		std::string path = std::string("/proc/") + e->d_name;
		if (stat(path.c_str(), &st) == 0 && st.st_uid == uid)
			pids.push_back(pid);
	}
	closedir(d);
	return pids;
}

} /* namespace benchd::test */
