/* SPDX-License-Identifier: MIT */
/*
 * SandboxSpec -> Plan. Everything that can be refused is refused here,
 * before a namespace, a mount or a cgroup exists.
 */
#include "sandbox/plan.hpp"

#include <algorithm>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/capability.h>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "base/units.hpp"

namespace benchd::sandbox {

namespace {

constexpr unsigned long kNoDevSuid = MS_NOSUID | MS_NODEV;
const char *const kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* Places the sandbox builds itself; nothing from the root goes there. */
const char *const kOwnTopLevel[] = { "proc", "dev", "sys", "tmp", "work" };

/* Absolute, no empty, "." or ".." components, no trailing slash. */
bool isCleanAbsolute(const std::string &p)
{
	if (p.empty() || p[0] != '/')
		return false;
	if (p == "/")
		return true;
	if (p.back() == '/')
		return false;
	size_t pos = 1;
	while (pos <= p.size()) {
		size_t next = p.find('/', pos);
		if (next == std::string::npos)
			next = p.size();
		std::string_view part(p.data() + pos, next - pos);
		if (part.empty() || part == "." || part == "..")
			return false;
		pos = next + 1;
	}
	return p.find('\0') == std::string::npos;
}

bool isUnder(const std::string &path, const std::string &dir)
{
	return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
			       path[dir.size()] == '/');
}

std::string topLevel(const std::string &path)
{
	size_t next = path.find('/', 1);
	return path.substr(0, next);
}

std::string joinRoot(const std::string &rootfs, const std::string &path)
{
	return rootfs == "/" ? path : rootfs + path;
}

std::string quote(const std::string &s)
{
	return "'" + s + "'";
}

class Builder
{
public:
	Builder(const SandboxSpec &spec, const HostFacts &facts, Plan &plan)
		: spec_(spec), facts_(facts), plan_(plan)
	{
	}

	Status validate();
	Status addSkeleton();
	void addMasks();
	void addKernelFilesystems();
	void addDev();
	void addWritable();
	Status addBinds();
	void addFinish();
	void addRlimits();
	void addCommand();

private:
	void op(MountKind kind, std::string source, const std::string &target,
		std::string what, unsigned long flags = 0, std::string data = {},
		bool readOnly = false, bool optional = false)
	{
		plan_.mounts.push_back(MountOp{ kind, std::move(source), std::string(kNewRoot) + target,
						std::move(data), flags, readOnly, optional, std::move(what) });
	}
	void mkdir(const std::string &target)
	{
		op(MountKind::Mkdir, {}, target, "create directory " + target);
	}
	bool isMasked(const std::string &path) const
	{
		return std::any_of(spec_.masks.begin(), spec_.masks.end(),
				   [&](const std::string &m) { return isUnder(path, m); });
	}
	bool isOwnTopLevel(const std::string &path) const
	{
		return std::any_of(std::begin(kOwnTopLevel), std::end(kOwnTopLevel),
				   [&](const char *n) { return isUnder(path, std::string("/") + n); });
	}

	const SandboxSpec &spec_;
	const HostFacts &facts_;
	Plan &plan_;
	std::vector<std::string> boundTopLevel_;
};

Status Builder::validate()
{
	if (spec_.argv.empty() || spec_.argv[0].empty())
		return Error::invalid("no command given");
	for (const auto &a : spec_.argv)
		if (a.find('\0') != std::string::npos)
			return Error::invalid("command argument contains a NUL byte");
	for (const auto &e : spec_.env) {
		size_t eq = e.find('=');
		if (eq == 0 || eq == std::string::npos || e.find('\0') != std::string::npos)
			return Error::invalid("invalid environment entry " + quote(e) +
					      ": expected KEY=VALUE");
	}
	if (!isCleanAbsolute(spec_.workdir))
		return Error::invalid("invalid working directory " + quote(spec_.workdir) +
				      ": expected an absolute path without '.', '..' or '//'");
	if (!isCleanAbsolute(spec_.rootfs) || facts_.pathType(spec_.rootfs, true) != 'd')
		return Error::invalid("invalid root filesystem " + quote(spec_.rootfs) +
				      ": not an existing absolute directory");
	for (const auto &m : spec_.masks)
		if (!isCleanAbsolute(m) || m == "/")
			return Error::invalid("invalid masked path " + quote(m));
	if (spec_.uid == 0 || spec_.gid == 0)
		return Error::invalid("sandbox uid/gid must not be 0");
	if (spec_.workspaceBytes < 4096 || spec_.tmpBytes < 4096)
		return Error::invalid("workspace and /tmp sizes must be at least 4K");
	if (spec_.hostname.empty() || spec_.hostname.size() > 64 ||
	    spec_.hostname.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") !=
		    std::string::npos)
		return Error::invalid("invalid hostname " + quote(spec_.hostname));
	if (spec_.rlimits.nofile < 16 || spec_.rlimits.nofile > (1u << 20))
		return Error::invalid("invalid open-file limit " + std::to_string(spec_.rlimits.nofile) +
				      ": expected 16 to 1048576");
	return {};
}

/* The new root: a small tmpfs mirroring the top of the root filesystem. */
Status Builder::addSkeleton()
{
	op(MountKind::Tmpfs, "tmpfs", "", "mount the root skeleton", kNoDevSuid,
	   "mode=0755,size=1m,nr_inodes=4096");

	auto entries = facts_.rootEntries;
	std::sort(entries.begin(), entries.end(),
		  [](const auto &a, const auto &b) { return a.name < b.name; });
	for (const auto &e : entries) {
		std::string path = "/" + e.name;
		if (e.name.empty() || e.name == "." || e.name == ".." || isOwnTopLevel(path))
			continue;
		if (isMasked(path)) {
			mkdir(path);
			continue;
		}
		switch (e.type) {
		case HostFacts::RootEntry::Type::Directory:
			mkdir(path);
			op(MountKind::BindDir, std::string(kOldRoot) + joinRoot(spec_.rootfs, path), path,
			   "bind " + path + " read-only", kNoDevSuid, {}, true);
			boundTopLevel_.push_back(path);
			break;
		case HostFacts::RootEntry::Type::Symlink:
			op(MountKind::Symlink, e.linkTarget, path, "create symlink " + path);
			break;
		case HostFacts::RootEntry::Type::Other:
			break;
		}
	}
	for (const char *own : kOwnTopLevel)
		mkdir(std::string("/") + own);
	return {};
}

/* Masks below the top level: an empty read-only tmpfs over the directory. */
void Builder::addMasks()
{
	for (const auto &m : spec_.masks) {
		if (m.find('/', 1) == std::string::npos)
			continue; /* top level: already an empty directory */
		/* Inside another mask (the state dir under /var/lib): already hidden. */
		bool covered = std::any_of(spec_.masks.begin(), spec_.masks.end(), [&](const std::string &other) {
			return other != m && isUnder(m, other);
		});
		if (covered)
			continue;
		if (std::find(boundTopLevel_.begin(), boundTopLevel_.end(), topLevel(m)) ==
		    boundTopLevel_.end())
			continue;
		char type = facts_.pathType(joinRoot(spec_.rootfs, m), false);
		if (type == 'd')
			op(MountKind::Tmpfs, "tmpfs", m, "mask " + m, kNoDevSuid | MS_NOEXEC | MS_RDONLY,
			   "mode=0755,size=4k,nr_inodes=16");
		else if (type == 'f')
			op(MountKind::BindFile, std::string(kOldRoot) + "/dev/null", m, "mask " + m,
			   kNoDevSuid, {}, true);
	}
}

void Builder::addKernelFilesystems()
{
	op(MountKind::Proc, "proc", "/proc", "mount proc on /proc", kNoDevSuid | MS_NOEXEC);
	/* What a job has no business changing even if it found a way to. */
	for (const char *p : { "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus" })
		op(MountKind::RebindRo, {}, p, std::string("make ") + p + " read-only", 0, {}, true, true);
	op(MountKind::Sysfs, "sysfs", "/sys", "mount sysfs on /sys",
	   kNoDevSuid | MS_NOEXEC | MS_RDONLY);
	op(MountKind::Cgroup2, "cgroup2", "/sys/fs/cgroup", "mount cgroup2 on /sys/fs/cgroup",
	   kNoDevSuid | MS_NOEXEC | MS_RDONLY, {}, false, true);
}

void Builder::addDev()
{
	op(MountKind::Tmpfs, "tmpfs", "/dev", "mount tmpfs on /dev", MS_NOSUID | MS_NOEXEC,
	   "mode=0755,size=64k,nr_inodes=64");
	for (const char *node : { "null", "zero", "full", "random", "urandom", "tty" }) {
		std::string path = std::string("/dev/") + node;
		op(MountKind::BindFile, std::string(kOldRoot) + path, path, "bind " + path,
		   MS_NOSUID | MS_NOEXEC, {}, false, std::string(node) == "tty");
	}
	mkdir("/dev/shm");
	op(MountKind::Tmpfs, "tmpfs", "/dev/shm", "mount tmpfs on /dev/shm", kNoDevSuid,
	   "mode=1777,size=" + std::to_string(spec_.tmpBytes));
	mkdir("/dev/pts");
	op(MountKind::Devpts, "devpts", "/dev/pts", "mount devpts on /dev/pts",
	   MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", false, true);
	const std::pair<const char *, const char *> links[] = {
		{ "pts/ptmx", "/dev/ptmx" },	    { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};
	for (const auto &[from, to] : links)
		op(MountKind::Symlink, from, to, std::string("create symlink ") + to);
}

void Builder::addWritable()
{
	op(MountKind::Tmpfs, "tmpfs", "/work", "mount the workspace tmpfs on /work", kNoDevSuid,
	   "mode=0755,size=" + std::to_string(spec_.workspaceBytes) + ",uid=" +
		   std::to_string(spec_.uid) + ",gid=" + std::to_string(spec_.gid));
	op(MountKind::Tmpfs, "tmpfs", "/tmp", "mount tmpfs on /tmp", kNoDevSuid,
	   "mode=1777,size=" + std::to_string(spec_.tmpBytes));
}

Status Builder::addBinds()
{
	std::vector<BindSpec> binds = spec_.binds;
	for (auto &b : binds)
		if (b.destination.empty())
			b.destination = b.source;
	/* A parent sorts before its children, so it is mounted first. */
	std::sort(binds.begin(), binds.end(),
		  [](const BindSpec &a, const BindSpec &b) { return a.destination < b.destination; });

	for (const auto &b : binds) {
		if (!isCleanAbsolute(b.source))
			return Error::invalid("invalid bind source " + quote(b.source) +
					      ": expected an absolute path without '.', '..' or '//'");
		if (!isCleanAbsolute(b.destination) || b.destination == "/")
			return Error::invalid("invalid bind destination " + quote(b.destination) +
					      ": expected an absolute path other than /");
		for (const char *bad : { "/proc", "/sys", "/dev" })
			if (isUnder(b.destination, bad))
				return Error::invalid("invalid bind destination " + quote(b.destination) +
						      ": " + bad + " is the sandbox's own");
		if (isMasked(b.destination))
			return Error::invalid("invalid bind destination " + quote(b.destination) +
					      ": it is under a masked path");
		char srcType = facts_.pathType(b.source, true);
		if (srcType == 0)
			return Error(ENOENT, "bind source " + quote(b.source));

		bool writableParent = isUnder(b.destination, "/work") || isUnder(b.destination, "/tmp");
		bool topLevelDest = b.destination.find('/', 1) == std::string::npos;
		if (writableParent) {
			/* Create the missing parents inside the tmpfs (EEXIST is fine). */
			size_t pos = b.destination.find('/', 1);
			pos = b.destination.find('/', pos + 1);
			while (pos != std::string::npos) {
				mkdir(b.destination.substr(0, pos));
				pos = b.destination.find('/', pos + 1);
			}
			if (srcType == 'd' && b.destination != "/work" && b.destination != "/tmp")
				mkdir(b.destination);
		} else if (topLevelDest) {
			if (srcType == 'd')
				mkdir(b.destination);
		} else if (facts_.pathType(joinRoot(spec_.rootfs, b.destination), false) != srcType) {
			return Error::invalid("invalid bind destination " + quote(b.destination) +
					      ": it must already exist in the root filesystem as a " +
					      (srcType == 'd' ? "directory" : "file") +
					      " (only paths under /work, /tmp or at the top level are created)");
		}
		op(srcType == 'd' ? MountKind::BindDir : MountKind::BindFile,
		   std::string(kOldRoot) + b.source, b.destination,
		   "bind " + b.source + " on " + b.destination + (b.readOnly ? " read-only" : ""),
		   kNoDevSuid, {}, b.readOnly);
	}
	return {};
}

void Builder::addFinish()
{
	op(MountKind::RemountRo, {}, "", "make the root read-only", kNoDevSuid);
}

void Builder::addRlimits()
{
	auto both = [](uint64_t v) { return rlimit{ v, v }; };
	plan_.rlimits = {
		{ RLIMIT_CORE, both(0), "core" },
		{ RLIMIT_NOFILE, both(spec_.rlimits.nofile), "nofile" },
		{ RLIMIT_FSIZE, both(spec_.rlimits.fsizeBytes), "fsize" },
		{ RLIMIT_STACK, { spec_.rlimits.stackBytes, RLIM_INFINITY }, "stack" },
	};
}

void Builder::addCommand()
{
	plan_.argvStorage = spec_.argv;

	std::vector<std::string> env = {
		std::string("PATH=") + kDefaultPath,
		"HOME=/work",
		"TMPDIR=/tmp",
		"LANG=C.UTF-8",
	};
	for (const auto &e : spec_.env) {
		std::string key = e.substr(0, e.find('=') + 1);
		auto same = [&](const std::string &x) { return x.compare(0, key.size(), key) == 0; };
		env.erase(std::remove_if(env.begin(), env.end(), same), env.end());
		env.push_back(e);
	}
	plan_.envStorage = std::move(env);
	plan_.pathVar = kDefaultPath;
	for (const auto &e : plan_.envStorage)
		if (e.compare(0, 5, "PATH=") == 0)
			plan_.pathVar = e.substr(5);

	for (auto &a : plan_.argvStorage)
		plan_.argv.push_back(a.data());
	plan_.argv.push_back(nullptr);
	for (auto &e : plan_.envStorage)
		plan_.envp.push_back(e.data());
	plan_.envp.push_back(nullptr);

	plan_.workdir = spec_.workdir;
	plan_.hostname = spec_.hostname;
	plan_.uid = spec_.uid;
	plan_.gid = spec_.gid;
	plan_.dieWithParent = spec_.dieWithParent;
}

} /* namespace */

Result<Plan> buildPlan(const SandboxSpec &spec, const HostFacts &facts)
{
	Plan plan;
	Builder b(spec, facts, plan);
	if (auto s = b.validate(); !s)
		return std::move(s).error();
	if (auto s = b.addSkeleton(); !s)
		return std::move(s).error();
	b.addMasks();
	b.addKernelFilesystems();
	b.addDev();
	b.addWritable();
	if (auto s = b.addBinds(); !s)
		return std::move(s).error();
	b.addFinish();
	b.addRlimits();
	b.addCommand();
	plan.capLastCap = cap_max_bits() - 1;
	return plan;
}

Result<HostFacts> probeHost(const std::string &rootfs)
{
	HostFacts facts;
	facts.pathType = [](const std::string &path, bool follow) -> char {
		struct stat st;
		int r = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
		if (r < 0)
			return 0;
		return S_ISDIR(st.st_mode) ? 'd' : 'f';
	};

	DIR *dir = ::opendir(rootfs.c_str());
	if (!dir)
		return Error::fromErrno("read root filesystem " + quote(rootfs));
	while (struct dirent *e = ::readdir(dir)) {
		std::string name = e->d_name;
		if (name == "." || name == "..")
			continue;
		std::string path = joinRoot(rootfs, "/" + name);
		struct stat st;
		if (::lstat(path.c_str(), &st) < 0)
			continue;
		HostFacts::RootEntry entry{ name, HostFacts::RootEntry::Type::Other, {} };
		if (S_ISDIR(st.st_mode)) {
			entry.type = HostFacts::RootEntry::Type::Directory;
		} else if (S_ISLNK(st.st_mode)) {
			char buf[4096];
			ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
			if (n <= 0)
				continue;
			entry.type = HostFacts::RootEntry::Type::Symlink;
			entry.linkTarget.assign(buf, static_cast<size_t>(n));
		}
		facts.rootEntries.push_back(std::move(entry));
	}
	::closedir(dir);
	return facts;
}

Result<BindSpec> parseBind(const std::string &text, bool readOnly)
{
	BindSpec b;
	b.readOnly = readOnly;
	size_t colon = text.find(':');
	b.source = text.substr(0, colon);
	if (colon != std::string::npos)
		b.destination = text.substr(colon + 1);
	if (b.source.empty() || (colon != std::string::npos && b.destination.empty()))
		return Error::invalid(std::string("invalid ") + (readOnly ? "--ro-bind" : "--bind") +
				      " " + quote(text) + ": expected SRC[:DST]");
	return b;
}

} /* namespace benchd::sandbox */
