/* SPDX-License-Identifier: MIT */
/*
 * Records the sandbox sends to its parent through the report pipe.
 *
 * The child cannot allocate or format after clone, so it writes fixed-size
 * records {kind, step, errno, value, detail}; each is smaller than
 * PIPE_BUF, so a write is atomic and records never interleave. The parent
 * turns them into events and messages ("sandbox: mount proc on /proc:
 * Operation not permitted").
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace benchd::sandbox {

enum class RecordKind : uint32_t {
	SetupError = 1, /* a step before the job failed; the sandbox exits 125 */
	ExecError = 2,	/* execve of the job failed; the job exits 126/127 */
	Started = 3,	/* the job's execve succeeded; value = its pid inside */
	Exited = 4,	/* the job ended; value = its wait status */
};

/* Steps of the child, in the order it runs them. */
enum class Step : uint32_t {
	Fds = 1,
	ParentDeath,
	Session,
	CgroupNamespace,
	MountPrivate,
	MountStage,
	Mount, /* detail says which */
	PivotRoot,
	Hostname,
	Loopback,
	Rlimit, /* detail names the limit */
	DropBounding,
	Ambient,
	Setgroups,
	Setgid,
	Setuid,
	Capabilities,
	Workdir,
	NoNewPrivs,
	Seccomp,
	Signals,
	Fork,
	Execve,
};

const char *stepName(Step step);

struct Record {
	uint32_t magic;
	RecordKind kind;
	Step step;
	int32_t err;
	int64_t value;
	char detail[240];
};
static_assert(sizeof(Record) <= 512, "records must stay far below PIPE_BUF");

inline constexpr uint32_t kRecordMagic = 0xbe7c4d01;

/*
 * Reassembles records from whatever chunks the pipe delivers. Malformed
 * input (wrong magic, unknown kind) is an error, never a crash.
 */
class RecordReader
{
public:
	/* Append bytes; returns the complete records they finish. */
	Result<std::vector<Record>> feed(std::string_view bytes);

private:
	std::string pending_;
};

/* "sandbox: <step> <detail>" with the record's errno. */
Error recordToError(const Record &record);

} /* namespace benchd::sandbox */
