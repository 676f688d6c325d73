/* SPDX-License-Identifier: MIT */
#include "sandbox/report.hpp"

#include <cstring>

namespace benchd::sandbox {

const char *stepName(Step step)
{
	switch (step) {
	case Step::Fds: return "set up file descriptors";
	case Step::ParentDeath: return "set parent-death signal";
	case Step::Session: return "start a new session";
	case Step::CgroupNamespace: return "create cgroup namespace";
	case Step::MountPrivate: return "make mounts private";
	case Step::MountStage: return "prepare the staging root";
	case Step::Mount: return "mount";
	case Step::PivotRoot: return "pivot_root into the new root";
	case Step::Hostname: return "set hostname";
	case Step::Loopback: return "bring up loopback";
	case Step::Rlimit: return "set rlimit";
	case Step::DropBounding: return "drop the capability bounding set";
	case Step::Ambient: return "clear ambient capabilities";
	case Step::Setgroups: return "clear supplementary groups";
	case Step::Setgid: return "set gid";
	case Step::Setuid: return "set uid";
	case Step::Capabilities: return "clear capabilities";
	case Step::Workdir: return "enter working directory";
	case Step::NoNewPrivs: return "set no_new_privs";
	case Step::Seccomp: return "load the seccomp filter";
	case Step::Signals: return "set up signals";
	case Step::Fork: return "fork the job";
	case Step::Execve: return "execve";
	}
	return "unknown step";
}

Result<std::vector<Record>> RecordReader::feed(std::string_view bytes)
{
	pending_.append(bytes);
	std::vector<Record> out;
	size_t off = 0;
	while (pending_.size() - off >= sizeof(Record)) {
		Record r;
		std::memcpy(&r, pending_.data() + off, sizeof(Record));
		off += sizeof(Record);
		if (r.magic != kRecordMagic)
			return Error::invalid("sandbox: malformed report record (bad magic)");
		switch (r.kind) {
		case RecordKind::SetupError:
		case RecordKind::ExecError:
		case RecordKind::Started:
		case RecordKind::Exited:
			break;
		default:
			return Error::invalid("sandbox: malformed report record (kind " +
					      std::to_string(static_cast<uint32_t>(r.kind)) + ")");
		}
		r.detail[sizeof(r.detail) - 1] = '\0';
		out.push_back(r);
	}
	pending_.erase(0, off);
	return out;
}

Error recordToError(const Record &record)
{
	std::string text = "sandbox: ";
	text += stepName(record.step);
	if (record.detail[0] != '\0') {
		/* Mount steps carry their whole phrase ("bind /usr read-only"). */
		if (record.step == Step::Mount)
			text = std::string("sandbox: ") + record.detail;
		else
			text += std::string(" ") + record.detail;
	}
	return Error(record.err, text);
}

} /* namespace benchd::sandbox */
