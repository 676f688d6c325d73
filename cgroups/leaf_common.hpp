/* SPDX-License-Identifier: MIT */
/*
 * What the v2 and hybrid leaves share: both keep membership, cgroup.kill and
 * populated tracking on a cgroup2 directory. Private to the cgroups library.
 */
#pragma once

#include <string>

#include "base/unique_fd.hpp"
#include "cgroups/manager.hpp"

namespace benchd::cgroups {

/* A leaf name is one path component, and not one benchd keeps for itself. */
Status checkLeafName(const std::string &name);

/* The fds a leaf keeps on its cgroup2 directory. */
struct Cgroup2Fds {
	UniqueFd dir;	 /* O_DIRECTORY, for clone3(CLONE_INTO_CGROUP) */
	UniqueFd events; /* cgroup.events, for poll(POLLPRI) */
};
Result<Cgroup2Fds> openCgroup2Dir(const std::string &path);

class CommonLeaf : public Leaf
{
public:
	const std::string &name() const override { return name_; }
	int dirFd() const override { return fds_.dir.get(); }
	const std::string &path() const override { return path_; }
	int eventsFd() const override { return fds_.events.get(); }

	Status kill() override;
	Result<bool> populated() const override;
	Status waitEmpty(int timeoutMs) override;
	Status destroy() final;

protected:
	CommonLeaf(std::string name, std::string path, Cgroup2Fds fds);

	/* Remove the leaf's directory in every hierarchy; it is empty by now. */
	virtual Status removeDirectories() = 0;

	/* For the destructors of the final classes: destroy, errors ignored. */
	void destroyQuietly() noexcept;

private:
	std::string name_;
	std::string path_;
	Cgroup2Fds fds_;
	bool destroyed_ = false;
};

} /* namespace benchd::cgroups */
