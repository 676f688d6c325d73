/* SPDX-License-Identifier: MIT */
/*
 * Layout detection reads /proc/self/mountinfo and /proc/self/cgroup. These
 * tests feed it the text of layouts this host does not have: co-mounted
 * cpu,cpuacct, escaped mount points, a container's mount root.
 */
#include <criterion/criterion.h>

#include "proc_cgroup.hpp"

using namespace benchd::cgroups;

namespace {

/* A systemd-style hybrid host, cpu co-mounted with cpuacct. */
const char *const kHybridMountInfo =
	"25 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
	"30 22 0:27 / /sys/fs/cgroup ro,nosuid shared:4 - tmpfs tmpfs ro,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw,nsdelegate\n"
	"33 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:7 - cgroup cgroup rw,cpu,cpuacct\n"
	"34 30 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:8 - cgroup cgroup rw,memory\n"
	"35 30 0:32 / /sys/fs/cgroup/pids rw,nosuid shared:9 - cgroup cgroup rw,pids\n"
	"36 30 0:33 / /sys/fs/cgroup/systemd rw shared:10 - cgroup cgroup rw,xattr,name=systemd\n"
	"90 22 0:40 / /mnt/other\\040cgroup2 rw - cgroup2 none rw\n";

} /* namespace */

Test(cgroups_proc, mountinfo_gives_type_root_mount_point_and_super_options)
{
	auto mounts = parseMountInfo(kHybridMountInfo);
	cr_assert_eq(mounts.size(), 8u);
	cr_expect_eq(mounts[3].mountPoint, "/sys/fs/cgroup/cpu,cpuacct");
	cr_expect_eq(mounts[3].fsType, "cgroup");
	cr_expect_eq(mounts[3].root, "/");
	cr_expect_eq(mounts[3].superOptions, (std::vector<std::string>{ "rw", "cpu", "cpuacct" }));
	cr_expect_eq(mounts[7].mountPoint, "/mnt/other cgroup2", "octal escape not undone: '%s'",
		     mounts[7].mountPoint.c_str());
}

Test(cgroups_proc, co_mounted_cpu_hierarchy_is_found_by_either_controller)
{
	auto mounts = parseMountInfo(kHybridMountInfo);
	const MountEntry *cpu = findV1Mount(mounts, "cpu", "/sys/fs/cgroup");
	const MountEntry *cpuacct = findV1Mount(mounts, "cpuacct", "/sys/fs/cgroup");
	cr_assert(cpu && cpuacct);
	cr_expect_eq(cpu, cpuacct);
	/* "name=systemd" and "xattr" are not controllers named "systemd". */
	cr_expect_null(findV1Mount(mounts, "systemd", "/sys/fs/cgroup"));
	cr_expect_null(findV1Mount(mounts, "cpu", "/sys/fs/cgroup/memory"));
}

Test(cgroups_proc, cgroup2_mount_is_looked_for_under_the_mount_point_only)
{
	auto mounts = parseMountInfo(kHybridMountInfo);
	const MountEntry *unified = findCgroup2Mount(mounts, "/sys/fs/cgroup");
	cr_assert(unified);
	cr_expect_eq(unified->mountPoint, "/sys/fs/cgroup/unified");
	cr_expect_null(findCgroup2Mount(mounts, "/sys/fs/cgroupx"));
	cr_expect_null(findCgroup2Mount(mounts, "/tmp"));
}

Test(cgroups_proc, own_cgroup_is_found_per_hierarchy)
{
	auto memberships = parseProcCgroup("12:pids:/user.slice\n"
					   "4:cpu,cpuacct:/user.slice/a:b\n"
					   "3:memory:/process_api/X\n"
					   "1:name=systemd:/user.slice/s\n"
					   "0::/user.slice/s\n");
	cr_expect_eq(ownCgroup(memberships, "cpu").value_or("?"), "/user.slice/a:b");
	cr_expect_eq(ownCgroup(memberships, "cpuacct").value_or("?"), "/user.slice/a:b");
	cr_expect_eq(ownCgroup(memberships, "memory").value_or("?"), "/process_api/X");
	cr_expect_eq(ownCgroup(memberships, "").value_or("?"), "/user.slice/s");
	cr_expect(!ownCgroup(memberships, "io"));
	cr_expect(!ownCgroup(parseProcCgroup("3:memory:/x\n"), ""), "no 0:: line, no cgroup2");
}

Test(cgroups_proc, container_mount_root_is_stripped_from_our_path)
{
	MountEntry mount{ "/docker/abc", "/sys/fs/cgroup/memory", "cgroup", { "rw", "memory" } };
	cr_expect_eq(pathInMount(mount, "/docker/abc").value(), "/");
	cr_expect_eq(pathInMount(mount, "/docker/abc/job").value(), "/job");
	cr_expect_eq(dirOf(mount, "/job"), "/sys/fs/cgroup/memory/job");
	cr_expect_eq(dirOf(mount, "/"), "/sys/fs/cgroup/memory");
	auto outside = pathInMount(mount, "/docker/abcdef");
	cr_assert(!outside.ok(), "a sibling cgroup was taken as inside the mount");
	cr_expect(outside.error().message().find("/docker/abcdef") != std::string::npos);
}
