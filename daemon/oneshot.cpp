/* SPDX-License-Identifier: MIT */
/*
 * `benchd oneshot`: the sandbox engine without the daemon, like
 * `isolate --run`. Parse, validate everything, then create the cgroup
 * leaf and the sandbox, wait for it with poll(2), report.
 */
#include "oneshot.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <getopt.h>
#include <optional>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "base/units.hpp"
#include "runner/run.hpp"
#include "sandbox/uid_pool.hpp"

namespace benchd {

namespace {

const char kUsage[] = R"(Usage: benchd oneshot [OPTION]... -- CMD [ARG]...

Run CMD once in a fresh sandbox and exit with its status. The sandbox has
its own mount, pid, network (loopback only), ipc, uts and cgroup
namespaces; the host's root read-only with /root, /home, /run and
/var/lib hidden; a writable tmpfs workspace at /work and /tmp; a minimal
/dev; an unprivileged uid with no capabilities, no_new_privs and a seccomp
filter; and a cgroup with CPU, memory and process limits.

Limits:
  --cpus N            CPU time as a number of CPUs, e.g. 0.5 or 2 (default 1)
  --memory SIZE       memory limit, no swap, e.g. 512M, 2G (default 1G)
  --pids N            most processes and threads at once (default 256)
  --timeout DURATION  kill everything after this wall time, e.g. 30s, 1.5s,
                      2m (default: none)
  --tmpfs SIZE        size of the /work and /tmp tmpfs each (default 256M)
  --nofile N          open-file limit (default 1024)
  --fsize SIZE        largest file the job may write (default 1G)

Files and environment:
  --bind SRC[:DST]    bind host path SRC read-write at DST (default: SRC)
  --ro-bind SRC[:DST] the same, read-only
  --mask PATH         hide PATH too (an empty read-only directory)
  --rootfs DIR        use DIR as the root instead of the host's /
  --env K=V           set an environment variable (repeatable); the job
                      starts from PATH, HOME=/work, TMPDIR=/tmp, LANG=C.UTF-8
  --workdir DIR       working directory inside the sandbox (default /work)

Reporting:
  --result FILE       write the outcome as one JSON object to FILE:
                      status (ok, exit_nonzero, signaled, timed_out,
                      memory_limit, setup_error), exit_code, signal,
                      wall_ms, cpu_user_ms, cpu_sys_ms, memory_peak_bytes,
                      oom_killed, pids_limit_hit, pids_peak, error
  -v, --verbose       say on stderr which cgroup layout, uid and leaf are used

Host:
  --cgroup-root PATH  cgroup v2: the cgroup benchd may manage (default: its
                      own when delegated, else /benchd)
  --cgroup-name NAME  name of benchd's sub-tree (default benchd)
  --uid-range FIRST:COUNT
                      sandbox uids to choose from (default 1100000:1024)
  --runtime-dir DIR   where the uid lock file lives (default /run/benchd)
  -h, --help          show this help

The job's stdin, stdout and stderr are this command's own.

Exit status:
  the job's exit code   when it exited by itself
  128+N                 when it was killed by signal N (137 when the memory
                        limit's OOM killer acted)
  124                   when it hit --timeout
  125                   when the sandbox could not be set up or an option
                        is invalid (the reason is on stderr)

Must run as root. Needs Linux >= 5.14 with cgroup v2, or cgroup v1
controllers next to a cgroup2 mount (hybrid).
)";

struct Options {
	sandbox::SandboxSpec spec;
	cgroups::Limits limits{ 1000, 1ULL << 30, 256 };
	std::optional<uint64_t> timeoutMs;
	std::string resultPath;
	std::string cgroupRoot;
	std::string cgroupName = "benchd";
	std::string runtimeDir = "/run/benchd";
	uid_t uidFirst = sandbox::UidPool::kDefaultFirst;
	uid_t uidCount = sandbox::UidPool::kDefaultCount;
	bool verbose = false;
	bool help = false;
};

enum LongOnly {
	OptCpus = 256, OptMemory, OptPids, OptTimeout, OptTmpfs, OptNofile, OptFsize,
	OptBind, OptRoBind, OptMask, OptRootfs, OptEnv, OptWorkdir, OptResult,
	OptCgroupRoot, OptCgroupName, OptUidRange, OptRuntimeDir,
};

const struct option kLongOptions[] = {
	{ "cpus", required_argument, nullptr, OptCpus },
	{ "memory", required_argument, nullptr, OptMemory },
	{ "pids", required_argument, nullptr, OptPids },
	{ "timeout", required_argument, nullptr, OptTimeout },
	{ "tmpfs", required_argument, nullptr, OptTmpfs },
	{ "nofile", required_argument, nullptr, OptNofile },
	{ "fsize", required_argument, nullptr, OptFsize },
	{ "bind", required_argument, nullptr, OptBind },
	{ "ro-bind", required_argument, nullptr, OptRoBind },
	{ "mask", required_argument, nullptr, OptMask },
	{ "rootfs", required_argument, nullptr, OptRootfs },
	{ "env", required_argument, nullptr, OptEnv },
	{ "workdir", required_argument, nullptr, OptWorkdir },
	{ "result", required_argument, nullptr, OptResult },
	{ "cgroup-root", required_argument, nullptr, OptCgroupRoot },
	{ "cgroup-name", required_argument, nullptr, OptCgroupName },
	{ "uid-range", required_argument, nullptr, OptUidRange },
	{ "runtime-dir", required_argument, nullptr, OptRuntimeDir },
	{ "verbose", no_argument, nullptr, 'v' },
	{ "help", no_argument, nullptr, 'h' },
	{ nullptr, 0, nullptr, 0 },
};

Status parseUidRange(const std::string &text, Options &o)
{
	size_t colon = text.find(':');
	auto bad = Error::invalid("invalid --uid-range '" + text + "': expected FIRST:COUNT, e.g. 1100000:1024");
	if (colon == std::string::npos)
		return bad;
	auto first = parseCount(text.substr(0, colon), 0xfffffffe, "uid");
	auto count = parseCount(text.substr(colon + 1), 1u << 20, "uid count");
	if (!first || !count || *first == 0 || *count == 0)
		return bad;
	o.uidFirst = static_cast<uid_t>(*first);
	o.uidCount = static_cast<uid_t>(*count);
	return {};
}

std::string optionName(int opt)
{
	for (const auto &lo : kLongOptions)
		if (lo.name && lo.val == opt)
			return std::string("--") + lo.name;
	return "option";
}

/* One option's value into Options; errors name the option and value. */
Status applyOption(int opt, const std::string &v, Options &o)
{
	auto named = [&](Error e) { return std::move(e).wrap(optionName(opt)); };
	switch (opt) {
	case OptCpus: {
		auto r = parseMilliCpus(v);
		if (!r)
			return named(r.error());
		o.limits.milliCpus = *r;
		return {};
	}
	case OptMemory:
	case OptTmpfs:
	case OptFsize: {
		auto r = parseSize(v);
		if (!r)
			return named(r.error());
		if (*r < 4096)
			return Error::invalid(optionName(opt) + " '" + v + "': must be at least 4K");
		if (opt == OptMemory)
			o.limits.memoryBytes = *r;
		else if (opt == OptTmpfs)
			o.spec.workspaceBytes = o.spec.tmpBytes = *r;
		else
			o.spec.rlimits.fsizeBytes = *r;
		return {};
	}
	case OptPids:
	case OptNofile: {
		auto r = parseCount(v, opt == OptPids ? 4194304 : 1048576, opt == OptPids ? "pids" : "nofile");
		if (!r || *r == 0)
			return named(r ? Error::invalid("invalid value '" + v + "': must be at least 1") : r.error());
		if (opt == OptPids)
			o.limits.pidsMax = *r;
		else
			o.spec.rlimits.nofile = *r;
		return {};
	}
	case OptTimeout: {
		auto r = parseDurationMs(v);
		if (!r || *r == 0)
			return named(r ? Error::invalid("invalid duration '" + v + "': must be more than 0") : r.error());
		o.timeoutMs = *r;
		return {};
	}
	case OptBind:
	case OptRoBind: {
		auto b = sandbox::parseBind(v, opt == OptRoBind);
		if (!b)
			return b.error();
		o.spec.binds.push_back(*b);
		return {};
	}
	case OptMask: o.spec.masks.push_back(v); return {};
	case OptRootfs: o.spec.rootfs = v; return {};
	case OptEnv: o.spec.env.push_back(v); return {};
	case OptWorkdir: o.spec.workdir = v; return {};
	case OptResult: o.resultPath = v; return {};
	case OptCgroupRoot: o.cgroupRoot = v; return {};
	case OptCgroupName: o.cgroupName = v; return {};
	case OptUidRange: return parseUidRange(v, o);
	case OptRuntimeDir: o.runtimeDir = v; return {};
	}
	return Error::invalid("unknown option");
}

Result<Options> parseArgs(int argc, char **argv)
{
	Options o;
	optind = 1;
	opterr = 0;
	int opt;
	/* '+': stop at the first non-option, which begins the command. */
	while ((opt = getopt_long(argc, argv, "+vh", kLongOptions, nullptr)) != -1) {
		if (opt == 'v') {
			o.verbose = true;
		} else if (opt == 'h') {
			o.help = true;
			return o;
		} else if (opt == '?' || opt == ':') {
			std::string bad = argv[optind - 1] ? argv[optind - 1] : "?";
			return Error::invalid("unknown or incomplete option '" + bad +
					      "' (see benchd oneshot --help)");
		} else if (auto s = applyOption(opt, optarg ? optarg : "", o); !s) {
			return std::move(s).error();
		}
	}
	for (int i = optind; i < argc; i++)
		o.spec.argv.emplace_back(argv[i]);
	if (o.spec.argv.empty())
		return Error::invalid("no command given: benchd oneshot [OPTION]... -- CMD [ARG]...");
	return o;
}

/* Remove leaves of oneshots that died without cleaning up (kill -9, crash). */
void sweepLeftovers(cgroups::Manager &mgr)
{
	auto leaves = mgr.listLeaves();
	if (!leaves)
		return;
	for (const auto &name : *leaves) {
		if (name.rfind("oneshot-", 0) != 0)
			continue;
		pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + 8));
		if (pid > 0 && pid != getpid() && (::kill(pid, 0) == 0 || errno == EPERM))
			continue; /* its owner is alive */
		(void)mgr.removeLeaf(name);
	}
}

Status writeResult(const std::string &path, const runner::RunResult &result)
{
	std::string tmp = path + ".tmp";
	std::string text = runner::toJson(result).dump(2) + "\n";
	auto fd = openAt(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!fd)
		return std::move(fd).error().wrap("write result");
	if (auto s = writeAll(fd->get(), text, tmp); !s)
		return s;
	if (::rename(tmp.c_str(), path.c_str()) < 0)
		return Error::fromErrno("write result: rename " + tmp + " to " + path);
	return {};
}

Result<UniqueFd> blockSignals()
{
	sigset_t set;
	sigemptyset(&set);
	for (int sig : { SIGINT, SIGTERM, SIGHUP, SIGQUIT })
		sigaddset(&set, sig);
	if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0)
		return Error::fromErrno("block signals");
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return Error::fromErrno("signalfd");
	return UniqueFd(fd);
}

/* Wait for the run with poll(2): report pipe, init's pidfd, our signals, the deadline. */
runner::RunResult drive(runner::Run &run, int sigFd, std::optional<uint64_t> timeoutMs)
{
	auto deadline = timeoutMs ? std::optional(std::chrono::steady_clock::now() +
						  std::chrono::milliseconds(*timeoutMs))
				  : std::nullopt;
	bool reportOpen = true;
	int signals = 0;
	for (;;) {
		struct pollfd fds[3] = {
			{ run.pidfd(), POLLIN, 0 },
			{ reportOpen ? run.reportFd() : -1, POLLIN, 0 },
			{ sigFd, POLLIN, 0 },
		};
		int wait = -1;
		if (deadline) {
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
				*deadline - std::chrono::steady_clock::now()).count();
			wait = left > 0 ? static_cast<int>(left) + 1 : 0;
		}
		int n = ::poll(fds, 3, wait);
		if (n < 0 && errno != EINTR)
			break;
		if (fds[1].revents) {
			char buf[4096];
			ssize_t r = ::read(run.reportFd(), buf, sizeof(buf));
			if (r > 0)
				run.onReport(std::string_view(buf, static_cast<size_t>(r)));
			else if (r == 0 || errno != EINTR)
				reportOpen = false;
		}
		if (fds[2].revents) {
			struct signalfd_siginfo si;
			while (::read(sigFd, &si, sizeof(si)) == sizeof(si))
				(void)(++signals == 1 ? run.terminate() : run.kill());
		}
		if (deadline && std::chrono::steady_clock::now() >= *deadline) {
			run.expire();
			deadline.reset();
		}
		if (fds[0].revents) {
			auto exited = run.pollExit();
			if (!exited || *exited)
				break;
		}
	}
	return run.finish();
}

int finishWith(const Options &o, const runner::RunResult &result)
{
	if (result.status == runner::RunStatus::SetupError || !result.error.empty())
		std::fprintf(stderr, "benchd: %s\n", result.error.c_str());
	if (!o.resultPath.empty()) {
		if (auto s = writeResult(o.resultPath, result); !s) {
			std::fprintf(stderr, "benchd: %s\n", s.error().message().c_str());
			return 125;
		}
	}
	return result.processExitCode();
}

int setupFailed(const Options &o, const Error &e)
{
	return finishWith(o, runner::RunResult::setupFailure(e));
}

/* When the options themselves are bad, still honour --result if it is there. */
std::string findResultPath(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--")
			break;
		if (a == "--result" && i + 1 < argc)
			return argv[i + 1];
		if (a.rfind("--result=", 0) == 0)
			return a.substr(9);
	}
	return "";
}

} /* namespace */

int oneshotMain(int argc, char **argv)
{
	auto parsed = parseArgs(argc, argv);
	if (!parsed) {
		Options bad;
		bad.resultPath = findResultPath(argc, argv);
		return setupFailed(bad, parsed.error());
	}
	Options &o = *parsed;
	if (o.help) {
		std::fputs(kUsage, stdout);
		return 0;
	}
	if (::geteuid() != 0)
		return setupFailed(o, Error(EPERM, "benchd oneshot must run as root"));

	/* Everything that can be refused is refused before a kernel object exists. */
	if (auto s = makeDirs(o.runtimeDir, 0755); !s)
		return setupFailed(o, s.error());
	auto pool = sandbox::UidPool::open(o.runtimeDir + "/uids.lock", o.uidFirst, o.uidCount);
	if (!pool)
		return setupFailed(o, pool.error());
	auto lease = pool->acquire();
	if (!lease)
		return setupFailed(o, lease.error());
	o.spec.uid = lease->uid();
	o.spec.gid = lease->uid();
	o.spec.dieWithParent = true;

	auto facts = sandbox::probeHost(o.spec.rootfs);
	if (!facts)
		return setupFailed(o, facts.error());
	auto plan = sandbox::buildPlan(o.spec, *facts);
	if (!plan)
		return setupFailed(o, plan.error());
	auto filter = sandbox::SeccompProgram::build();
	if (!filter)
		return setupFailed(o, filter.error());

	auto signals = blockSignals();
	if (!signals)
		return setupFailed(o, signals.error());

	cgroups::Options cgOptions;
	cgOptions.root = o.cgroupRoot;
	cgOptions.name = o.cgroupName;
	auto mgr = cgroups::Manager::open(cgOptions);
	if (!mgr)
		return setupFailed(o, mgr.error());
	sweepLeftovers(**mgr);

	runner::RunContext ctx{ **mgr, *filter };
	runner::RunRequest request{ "oneshot-" + std::to_string(::getpid()), o.limits };
	if (o.verbose)
		std::fprintf(stderr, "benchd: %s; uid %u; leaf %s\n", (*mgr)->describe().c_str(),
			     o.spec.uid, request.name.c_str());

	auto run = runner::Run::start(ctx, request, *plan, sandbox::Stdio{ 0, 1, 2 });
	if (!run)
		return setupFailed(o, run.error());
	return finishWith(o, drive(**run, signals->get(), o.timeoutMs));
}

} /* namespace benchd */
