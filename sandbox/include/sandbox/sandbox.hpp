/* SPDX-License-Identifier: MIT */
/*
 * Start a sandbox from a Plan and hold on to it.
 *
 * Two phases, so that a caller can do work between clone and the first
 * step of the child (put it into cgroup-v1 hierarchies, register its
 * pidfd with an event loop):
 *
 *   auto sb = Sandbox::spawn(plan, filter, io, leaf.dirFd());  // child waits
 *   leaf.attach(sb->pid());
 *   sb->start();                                               // child runs
 *
 * The child becomes pid 1 of new mount, pid, net, ipc, uts and cgroup
 * namespaces; it builds the root, drops every privilege, and then acts
 * as the sandbox's init: forks the job, reaps orphans, forwards signals,
 * and exits with the job's status. Everything it has to say arrives as
 * Records on reportFd().
 *
 * Nothing here blocks except wait(true) and the destructor's reap of a
 * process it has just SIGKILLed.
 */
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/seccomp.hpp"

namespace benchd::sandbox {

/* The job's standard streams, borrowed for the duration of spawn(). */
struct Stdio {
	int in = -1; /* -1: /dev/null */
	int out = -1;
	int err = -1;
};

class Sandbox
{
public:
	/*
	 * clone3 the sandbox. `cgroupDirFd` (cgroup2 directory) places it
	 * with CLONE_INTO_CGROUP; -1 leaves it in the caller's cgroup.
	 */
	static Result<Sandbox> spawn(const Plan &plan, const SeccompProgram &filter,
				     const Stdio &io, int cgroupDirFd);

	/* Let the child run its steps. Call once, after attaching it. */
	Status start();

	pid_t pid() const { return pid_; }
	int pidfd() const { return pidfd_.get(); }
	int reportFd() const { return report_.get(); }

	/* pidfd_send_signal to the sandbox's init. */
	Status signal(int sig);

	/*
	 * Reap init. block=false returns std::nullopt-like empty result via
	 * `exited` when it is still running.
	 */
	struct Exit {
		bool exited = false;
		siginfo_t info = {};
	};
	Result<Exit> wait(bool block);

	~Sandbox();
	Sandbox(Sandbox &&other) noexcept;
	Sandbox &operator=(Sandbox &&other) = delete;
	Sandbox(const Sandbox &) = delete;
	Sandbox &operator=(const Sandbox &) = delete;

private:
	Sandbox() = default;

	pid_t pid_ = -1;
	bool reaped_ = true;
	UniqueFd pidfd_;
	UniqueFd report_;
	UniqueFd go_;
};

} /* namespace benchd::sandbox */
