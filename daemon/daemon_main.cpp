/* SPDX-License-Identifier: MIT */
/*
 * `benchd [--config FILE] [--state-dir DIR] [--socket PATH]`: the daemon,
 * in the foreground. Set up, reconcile with what an earlier daemon left,
 * listen, tell systemd we are ready, run the loop.
 */
#include "daemon_main.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "api.hpp"
#include "base/fs.hpp"
#include "config.hpp"
#include "log.hpp"
#include "loop.hpp"
#include "server.hpp"
#include "supervisor.hpp"

namespace benchd::daemon {

namespace {

const char kUsage[] = R"(Usage: benchd [OPTION]...
       benchd oneshot [OPTION]... -- CMD [ARG]...

Run the benchd daemon in the foreground: accept jobs from local users over
a Varlink socket, queue them fairly, run each run in its own sandbox and
cgroup, keep every state change in SQLite, and serve status and logs.
Drive it with benchctl(1).

  -c, --config FILE     read FILE on top of the built-in configuration
  -s, --state-dir DIR   keep the database and run logs in DIR
                        (default /var/lib/benchd)
  -S, --socket PATH     listen on PATH (default /run/benchd/benchd.sock)
      --print-config    print the built-in configuration and exit
  -h, --help            show this help
      --version         show the version

Signals: SIGHUP reloads [limits], [defaults], [maximum], [orgs] and the
admin group from the config file without touching running jobs;
SIGTERM or SIGINT stops: running runs are killed, recorded as failed by
the stop, and get a new attempt at the next start.

With $NOTIFY_SOCKET set (systemd Type=notify) benchd sends READY=1 once
it listens, and STATUS= lines as work comes and goes.

Exit status: 0 after a clean stop; 1 when it cannot start (the reason is
on stderr, naming what failed).
)";

struct CliOptions {
	std::optional<std::string> configPath;
	std::optional<std::string> stateDir;
	std::optional<std::string> socketPath;
};

int parseCli(int argc, char **argv, CliOptions &o)
{
	static const struct option longOptions[] = {
		{ "config", required_argument, nullptr, 'c' },
		{ "state-dir", required_argument, nullptr, 's' },
		{ "socket", required_argument, nullptr, 'S' },
		{ "print-config", no_argument, nullptr, 'P' },
		{ "help", no_argument, nullptr, 'h' },
		{ "version", no_argument, nullptr, 'V' },
		{ nullptr, 0, nullptr, 0 },
	};
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:s:S:h", longOptions, nullptr)) != -1) {
		switch (opt) {
		case 'c': o.configPath = optarg; break;
		case 's': o.stateDir = optarg; break;
		case 'S': o.socketPath = optarg; break;
		case 'P': std::fputs(defaultConfigText().c_str(), stdout); return 0;
		case 'h': std::fputs(kUsage, stdout); return 0;
		case 'V': std::puts("benchd " BENCHD_VERSION); return 0;
		default:
			std::fprintf(stderr, "benchd: unknown or incomplete option '%s' (see benchd --help)\n",
				     argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		std::fprintf(stderr, "benchd: unexpected argument '%s' (see benchd --help)\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* One daemon per state directory: the database and the cgroup sub-tree are its alone. */
Result<UniqueFd> lockInstance(const std::string &stateDir)
{
	auto fd = openAt(AT_FDCWD, stateDir + "/lock", O_RDWR | O_CREAT, 0600);
	if (!fd)
		return std::move(fd).error();
	if (::flock(fd->get(), LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		auto owner = readFileAt(AT_FDCWD, stateDir + "/lock");
		std::string pid = owner ? owner->substr(0, owner->find('\n')) : "?";
		return Error(err, "another benchd (pid " + pid + ") is already using " + stateDir);
	}
	std::string pid = std::to_string(::getpid()) + "\n";
	(void)::ftruncate(fd->get(), 0);
	(void)::pwrite(fd->get(), pid.data(), pid.size(), 0);
	return fd;
}

Result<gid_t> groupId(const std::string &name)
{
	if (name.empty())
		return static_cast<gid_t>(0);
	struct group *g = getgrnam(name.c_str());
	if (!g)
		return Error::invalid("[daemon] socket_group '" + name + "' does not exist");
	return g->gr_gid;
}

ServerLimits serverLimits(const Config &c)
{
	ServerLimits l;
	l.maxMessage = c.maxMessageBytes;
	l.maxBacklog = c.maxClientBacklogBytes;
	l.maxClients = c.maxClients;
	l.clientTimeoutMs = c.clientTimeoutMs;
	return l;
}

class Daemon
{
public:
	int run(const CliOptions &cli);

private:
	Status setUp(const CliOptions &cli);
	void onSignal(const struct signalfd_siginfo &si);
	void watchSignals();
	void tick();

	std::optional<std::string> configPath_;
	Config config_;
	UniqueFd lock_;
	std::unique_ptr<Loop> loop_;
	std::optional<store::Store> store_;
	std::unique_ptr<cgroups::Manager> cgroups_;
	std::optional<sandbox::SeccompProgram> seccomp_;
	std::optional<sandbox::UidPool> uids_;
	std::unique_ptr<Supervisor> supervisor_;
	std::unique_ptr<Api> api_;
	std::unique_ptr<Server> server_;
	UniqueFd signalFd_;
	Buffer signalBuf_ = std::make_shared<std::string>(sizeof(struct signalfd_siginfo), '\0');
	std::unique_ptr<Op> signalOp_;
	std::unique_ptr<Op> tickOp_;
	bool stopping_ = false;
	std::string lastStatus_;
};

Status Daemon::setUp(const CliOptions &cli)
{
	if (::geteuid() != 0)
		return Error(EPERM, "benchd must run as root (it creates namespaces and cgroups)");
	configPath_ = cli.configPath;
	auto config = loadConfig(cli.configPath);
	if (!config)
		return std::move(config).error();
	config_ = std::move(*config);
	if (cli.stateDir)
		config_.stateDir = *cli.stateDir;
	if (cli.socketPath)
		config_.socketPath = *cli.socketPath;

	for (const auto &[dir, mode] : { std::pair{ config_.stateDir, 0700 }, { config_.stateDir + "/runs", 0700 },
					 { config_.runtimeDir, 0755 },
					 { config_.socketPath.substr(0, config_.socketPath.rfind('/')), 0755 } })
		if (auto s = makeDirs(dir, static_cast<mode_t>(mode)); !s)
			return s;
	auto lock = lockInstance(config_.stateDir);
	if (!lock)
		return std::move(lock).error();
	lock_ = std::move(*lock);

	auto st = store::Store::open(config_.stateDir + "/benchd.db");
	if (!st)
		return std::move(st).error();
	store_.emplace(std::move(*st));
	cgroups::Options cg;
	cg.root = config_.cgroupRoot;
	cg.name = config_.cgroupName;
	auto mgr = cgroups::Manager::open(cg);
	if (!mgr)
		return std::move(mgr).error();
	cgroups_ = std::move(*mgr);
	auto filter = sandbox::SeccompProgram::build();
	if (!filter)
		return std::move(filter).error();
	seccomp_.emplace(std::move(*filter));
	auto uids = sandbox::UidPool::open(config_.runtimeDir + "/uids.lock", config_.uidFirst, config_.uidCount);
	if (!uids)
		return std::move(uids).error();
	uids_.emplace(std::move(*uids));
	auto facts = sandbox::probeHost(config_.rootfs);
	if (!facts)
		return std::move(facts).error();
	auto loop = Loop::create(1024);
	if (!loop)
		return std::move(loop).error();
	loop_ = std::move(*loop);

	supervisor_ = std::make_unique<Supervisor>(
		Supervisor::Host{ *loop_, *store_, *cgroups_, *seccomp_, *uids_ }, config_, std::move(*facts));
	if (auto s = supervisor_->recover(); !s)
		return s;
	supervisor_->endBatch();

	api_ = std::make_unique<Api>(*supervisor_, *loop_);
	server_ = std::make_unique<Server>(*loop_, serverLimits(config_),
					   [this](const Peer &p, protocol::Call c, std::shared_ptr<Responder> r) {
						   api_->handle(p, std::move(c), std::move(r));
					   });
	if (sd_listen_fds(1) == 1) {
		server_->adopt(UniqueFd(SD_LISTEN_FDS_START));
	} else {
		auto gid = groupId(config_.socketGroup);
		if (!gid)
			return std::move(gid).error();
		if (auto s = server_->listen(config_.socketPath, *gid); !s)
			return s;
	}
	log(Level::Info, cgroups_->describe());
	return {};
}

void Daemon::watchSignals()
{
	signalOp_->read(signalFd_.get(), signalBuf_, 0, signalBuf_->size(), static_cast<uint64_t>(-1), [this](int res) {
		if (res == static_cast<int>(sizeof(struct signalfd_siginfo))) {
			struct signalfd_siginfo si;
			std::memcpy(&si, signalBuf_->data(), sizeof(si));
			onSignal(si);
		} else if (res < 0 && res != -EINTR && res != -EAGAIN) {
			log(Level::Error, std::string("reading signals failed: ") + std::strerror(-res));
			return;
		}
		watchSignals();
	});
}

void Daemon::onSignal(const struct signalfd_siginfo &si)
{
	if (si.ssi_signo == SIGHUP) {
		auto config = loadConfig(configPath_);
		if (!config) {
			log(Level::Error, "reload refused, keeping the running configuration: " + config.error().message());
			return;
		}
		supervisor_->reload(*config);
		server_->setLimits(serverLimits(*config));
		log(Level::Info, "configuration reloaded: " + std::to_string(config->slots) + " slots");
		return;
	}
	if (stopping_) {
		log(Level::Warning, "second stop signal: exiting now");
		loop_->stop();
		return;
	}
	stopping_ = true;
	sd_notify(0, "STOPPING=1");
	log(Level::Info, "stopping: killing running runs");
	supervisor_->shutdown();
	/* However the runs end, stop within 15 s. */
	tickOp_->timeout(15000, [this](int) { loop_->stop(); });
}

void Daemon::tick()
{
	tickOp_->timeout(config_.heartbeatMs, [this](int res) {
		if (res != -ETIME || stopping_)
			return;
		supervisor_->tick();
		std::string status = supervisor_->statusLine();
		if (status != lastStatus_) {
			sd_notifyf(0, "STATUS=%s", status.c_str());
			lastStatus_ = status;
		}
		tick();
	});
}

int Daemon::run(const CliOptions &cli)
{
	sigset_t set;
	sigemptyset(&set);
	for (int sig : { SIGTERM, SIGINT, SIGHUP })
		sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, nullptr);
	::signal(SIGPIPE, SIG_IGN);
	signalFd_.reset(signalfd(-1, &set, SFD_CLOEXEC));
	if (!signalFd_) {
		std::fprintf(stderr, "benchd: signalfd: %s\n", std::strerror(errno));
		return 1;
	}

	if (auto s = setUp(cli); !s) {
		std::fprintf(stderr, "benchd: %s\n", s.error().message().c_str());
		return 1;
	}
	signalOp_ = std::make_unique<Op>(*loop_);
	tickOp_ = std::make_unique<Op>(*loop_);
	watchSignals();
	tick();

	loop_->setBatchHook([this] {
		supervisor_->endBatch();
		if (stopping_ && supervisor_->liveRuns() == 0)
			loop_->stop();
	});

	log(Level::Info, "listening on " + config_.socketPath + "; state in " + config_.stateDir + "; " +
				 std::to_string(config_.slots) + " slots");
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%d", supervisor_->statusLine().c_str(), ::getpid());
	auto s = loop_->run();
	/* Ops must go before the loop they live on. */
	signalOp_.reset();
	tickOp_.reset();
	server_.reset();
	api_.reset();
	supervisor_->endBatch();
	supervisor_.reset();
	if (!s) {
		std::fprintf(stderr, "benchd: %s\n", s.error().message().c_str());
		return 1;
	}
	log(Level::Info, "stopped");
	return 0;
}

} /* namespace */

int daemonMain(int argc, char **argv)
{
	CliOptions cli;
	int rc = parseCli(argc, argv, cli);
	if (rc >= 0)
		return rc;
	Daemon d;
	return d.run(cli);
}

} /* namespace benchd::daemon */
