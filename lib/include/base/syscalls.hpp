/* SPDX-License-Identifier: MIT */
/*
 * System calls glibc 2.36 does not wrap, or wraps without C++ linkage
 * (<sys/pidfd.h> lacks extern "C").
 */
#pragma once

#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>

namespace benchd::sys {

inline int pidfdSendSignal(int pidfd, int sig)
{
	return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline int pidfdOpen(pid_t pid, unsigned flags = 0)
{
	return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

} /* namespace benchd::sys */
