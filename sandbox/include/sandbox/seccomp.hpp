/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's seccomp filter, compiled once by libseccomp in the parent
 * and kept as raw BPF: the child after clone must not allocate, and
 * seccomp_load() would, so the child only hands this program to the kernel.
 */
#pragma once

#include <linux/filter.h>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace benchd::sandbox {

class SeccompProgram
{
public:
	static Result<SeccompProgram> build();

	/* Valid as long as this object lives. */
	const struct sock_fprog *program() const { return &fprog_; }
	size_t instructions() const { return insns_.size(); }

	/* Syscalls refused with EPERM (for tests and `--help`). */
	static const std::vector<std::string> &deniedSyscalls();

	SeccompProgram(SeccompProgram &&other) noexcept;
	SeccompProgram &operator=(SeccompProgram &&other) noexcept;
	SeccompProgram(const SeccompProgram &) = delete;
	SeccompProgram &operator=(const SeccompProgram &) = delete;

private:
	SeccompProgram() = default;
	void point();

	std::vector<struct sock_filter> insns_;
	struct sock_fprog fprog_ = {};
};

} /* namespace benchd::sandbox */
