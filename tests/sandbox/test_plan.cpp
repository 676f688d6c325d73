/* SPDX-License-Identifier: MIT */
/*
 * buildPlan is a pure function: these tests feed it a made-up host and
 * read the steps it lays out. No privileges, no kernel objects.
 */
#include <algorithm>
#include <map>
#include <sys/mount.h>

#include <criterion/criterion.h>

#include "sandbox/plan.hpp"

using namespace benchd::sandbox;
using Type = HostFacts::RootEntry::Type;

namespace {

HostFacts fakeHost(std::map<std::string, char> paths = {})
{
	HostFacts f;
	f.rootEntries = {
		{ "usr", Type::Directory, {} }, { "etc", Type::Directory, {} },
		{ "var", Type::Directory, {} }, { "bin", Type::Symlink, "usr/bin" },
		{ "proc", Type::Directory, {} }, { "tmp", Type::Directory, {} },
		{ "home", Type::Directory, {} }, { "root", Type::Directory, {} },
		{ "work", Type::Directory, {} }, { "swapfile", Type::Other, {} },
	};
	paths.emplace("/", 'd');
	paths.emplace("/var/lib", 'd');
	f.pathType = [paths](const std::string &p, bool) -> char {
		auto it = paths.find(p);
		return it == paths.end() ? 0 : it->second;
	};
	return f;
}

SandboxSpec baseSpec()
{
	SandboxSpec s;
	s.argv = { "/bin/true" };
	s.uid = s.gid = 1234;
	return s;
}

const MountOp *findOp(const Plan &p, MountKind kind, const std::string &target)
{
	for (const auto &op : p.mounts)
		if (op.kind == kind && op.target == std::string(kNewRoot) + target)
			return &op;
	return nullptr;
}

size_t indexOf(const Plan &p, MountKind kind, const std::string &target)
{
	for (size_t i = 0; i < p.mounts.size(); i++)
		if (p.mounts[i].kind == kind && p.mounts[i].target == std::string(kNewRoot) + target)
			return i;
	return SIZE_MAX;
}

std::string errorOf(const SandboxSpec &spec, const HostFacts &facts)
{
	auto r = buildPlan(spec, facts);
	cr_assert(!r, "plan should have been refused");
	return r.error().message();
}

} /* namespace */

Test(plan, the_root_is_mirrored_read_only_and_the_sandbox_builds_its_own_dirs)
{
	auto p = buildPlan(baseSpec(), fakeHost());
	cr_assert(p, "%s", p ? "" : p.error().message().c_str());
	const MountOp *usr = findOp(*p, MountKind::BindDir, "/usr");
	cr_assert(usr);
	cr_expect(usr->readOnly);
	cr_expect_eq(usr->source, std::string(kOldRoot) + "/usr");
	const MountOp *bin = findOp(*p, MountKind::Symlink, "/bin");
	cr_assert(bin);
	cr_expect_eq(bin->source, "usr/bin");
	/* The host's /proc, /tmp and /work are never bound; the sandbox makes its own. */
	for (const char *own : { "/proc", "/tmp", "/work" })
		cr_expect(!findOp(*p, MountKind::BindDir, own), "%s was bound from the host", own);
	cr_expect(findOp(*p, MountKind::Proc, "/proc"));
	cr_expect(findOp(*p, MountKind::Tmpfs, "/tmp"));
	cr_expect(!findOp(*p, MountKind::BindDir, "/swapfile"));
	/* The skeleton is made read-only last. */
	cr_expect_eq(p->mounts.back().kind, MountKind::RemountRo);
}

Test(plan, masked_paths_are_empty_and_read_only)
{
	auto p = buildPlan(baseSpec(), fakeHost());
	cr_assert(p);
	/* Top level: an empty directory in the (read-only) skeleton, not a bind. */
	cr_expect(findOp(*p, MountKind::Mkdir, "/home"));
	cr_expect(!findOp(*p, MountKind::BindDir, "/home"));
	cr_expect(!findOp(*p, MountKind::BindDir, "/root"));
	/* Below it: an empty read-only tmpfs after the bind that contains it. */
	const MountOp *lib = findOp(*p, MountKind::Tmpfs, "/var/lib");
	cr_assert(lib);
	cr_expect(lib->flags & MS_RDONLY);
	cr_expect_lt(indexOf(*p, MountKind::BindDir, "/var"), indexOf(*p, MountKind::Tmpfs, "/var/lib"));
}

Test(plan, a_mask_inside_another_mask_is_already_hidden)
{
	/* The daemon's default state dir lives under /var/lib, itself masked. */
	auto spec = baseSpec();
	spec.masks.push_back("/var/lib/benchd");
	auto p = buildPlan(spec, fakeHost({ { "/var/lib/benchd", 'd' } }));
	cr_assert(p);
	cr_expect(findOp(*p, MountKind::Tmpfs, "/var/lib"));
	cr_expect(!findOp(*p, MountKind::Tmpfs, "/var/lib/benchd"), "the nested mask would fail: its mount point is hidden");
}

Test(plan, workspace_and_tmp_carry_their_sizes_and_owner)
{
	auto spec = baseSpec();
	spec.workspaceBytes = 8 << 20;
	spec.tmpBytes = 16 << 20;
	auto p = buildPlan(spec, fakeHost());
	cr_assert(p);
	cr_expect_eq(findOp(*p, MountKind::Tmpfs, "/work")->data, "mode=0755,size=8388608,uid=1234,gid=1234");
	cr_expect_eq(findOp(*p, MountKind::Tmpfs, "/tmp")->data, "mode=1777,size=16777216");
}

Test(plan, binds_under_the_workspace_get_their_parents_and_go_parent_first)
{
	auto spec = baseSpec();
	spec.binds = { { "/data/b", "/work/a/b/c", false }, { "/data/a", "/work/a", true } };
	auto p = buildPlan(spec, fakeHost({ { "/data/a", 'd' }, { "/data/b", 'd' } }));
	cr_assert(p, "%s", p ? "" : p.error().message().c_str());
	size_t outer = indexOf(*p, MountKind::BindDir, "/work/a");
	size_t inner = indexOf(*p, MountKind::BindDir, "/work/a/b/c");
	cr_assert(outer != SIZE_MAX && inner != SIZE_MAX);
	cr_expect_lt(outer, inner);
	cr_expect_lt(indexOf(*p, MountKind::Mkdir, "/work/a/b"), inner);
	cr_expect_lt(indexOf(*p, MountKind::Tmpfs, "/work"), outer);
	cr_expect(p->mounts[outer].readOnly);
	cr_expect(!p->mounts[inner].readOnly);
}

Test(plan, bad_binds_are_refused_naming_the_value)
{
	auto facts = fakeHost({ { "/data", 'd' }, { "/file", 'f' } });
	struct Case {
		BindSpec bind;
		const char *message;
	} cases[] = {
		{ { "relative", "/x", true }, "invalid bind source 'relative': expected an absolute path without '.', '..' or '//'" },
		{ { "/data", "/work/../etc", true }, "invalid bind destination '/work/../etc': expected an absolute path other than /" },
		{ { "/data", "/proc/x", true }, "invalid bind destination '/proc/x': /proc is the sandbox's own" },
		{ { "/data", "/home/x", true }, "invalid bind destination '/home/x': it is under a masked path" },
		{ { "/missing", "/x", true }, "bind source '/missing': No such file or directory" },
		{ { "/data", "/usr/share/x", true }, "invalid bind destination '/usr/share/x': it must already exist in the root filesystem as a directory (only paths under /work, /tmp or at the top level are created)" },
		{ { "/data", "/", true }, "invalid bind destination '/': expected an absolute path other than /" },
	};
	for (const auto &c : cases) {
		auto spec = baseSpec();
		spec.binds = { c.bind };
		cr_expect_eq(errorOf(spec, facts), c.message);
	}
}

Test(plan, the_environment_starts_clean_and_accepts_overrides)
{
	auto spec = baseSpec();
	spec.env = { "PATH=/opt/bin", "A=1", "A=2" };
	auto p = buildPlan(spec, fakeHost());
	cr_assert(p);
	std::vector<std::string> env(p->envStorage);
	cr_expect(std::find(env.begin(), env.end(), "HOME=/work") != env.end());
	cr_expect(std::find(env.begin(), env.end(), "A=2") != env.end());
	cr_expect(std::find(env.begin(), env.end(), "A=1") == env.end());
	cr_expect_eq(std::count_if(env.begin(), env.end(), [](auto &e) { return e.rfind("PATH=", 0) == 0; }), 1);
	cr_expect_eq(p->pathVar, "/opt/bin");
	cr_expect_null(p->envp.back());
	cr_expect_null(p->argv.back());
}

Test(plan, argv_and_envp_survive_a_move)
{
	auto spec = baseSpec();
	spec.argv = { "/bin/echo", "a fairly long argument that is not a short string", "x" };
	auto p = buildPlan(spec, fakeHost());
	cr_assert(p);
	Plan moved = std::move(*p);
	cr_expect_str_eq(moved.argv[1], "a fairly long argument that is not a short string");
	cr_expect_str_eq(moved.argv[2], "x");
	cr_expect_str_eq(moved.envp[0], moved.envStorage[0].c_str());
}

Test(plan, invalid_specs_are_refused_before_anything_exists)
{
	auto facts = fakeHost();
	auto spec = baseSpec();
	spec.uid = 0;
	cr_expect_eq(errorOf(spec, facts), "sandbox uid/gid must not be 0");
	spec = baseSpec();
	spec.argv.clear();
	cr_expect_eq(errorOf(spec, facts), "no command given");
	spec = baseSpec();
	spec.env = { "NOEQUALS" };
	cr_expect_eq(errorOf(spec, facts), "invalid environment entry 'NOEQUALS': expected KEY=VALUE");
	spec = baseSpec();
	spec.workdir = "work";
	cr_expect_eq(errorOf(spec, facts),
		     "invalid working directory 'work': expected an absolute path without '.', '..' or '//'");
	spec = baseSpec();
	spec.hostname = "bad host";
	cr_expect_eq(errorOf(spec, facts), "invalid hostname 'bad host'");
	spec = baseSpec();
	spec.rootfs = "/missing";
	cr_expect_eq(errorOf(spec, facts), "invalid root filesystem '/missing': not an existing absolute directory");
}

Test(plan, parse_bind_reads_src_and_optional_dst)
{
	auto a = parseBind("/a:/b", true);
	cr_assert(a);
	cr_expect_eq(a->source, "/a");
	cr_expect_eq(a->destination, "/b");
	auto b = parseBind("/a", false);
	cr_assert(b);
	cr_expect(b->destination.empty());
	cr_expect(!b->readOnly);
	cr_expect(!parseBind(":/b", true));
	auto c = parseBind("/a:", true);
	cr_assert(!c);
	cr_expect_eq(c.error().message(), "invalid --ro-bind '/a:': expected SRC[:DST]");
}
