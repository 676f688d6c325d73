/* SPDX-License-Identifier: MIT */
/*
 * The views benchctl prints: one job with its attempts (status JOB,
 * cancel, retry, submit --wait), a list of jobs with the daemon's
 * capacity (status, list), and JSON as the daemon sent it.
 */
#pragma once

#include <cstddef>
#include <string>

#include "protocol/varlink.hpp"

namespace benchd::ctl {

using protocol::Json;

/* The job's fields, then a table of its attempts. */
std::string renderJob(const Json &job);

struct ListStyle {
	bool showUser = false; /* --all: jobs of several users */
	size_t width = 0;      /* the terminal's columns; 0 when not a terminal */
};

/* A List reply {jobs, capacity}: a table of jobs, then a capacity line. */
std::string renderJobList(const Json &list, const ListStyle &style);

/*
 * A reply carrying {job} (Status, Cancel, Retry): print the job as a view
 * or as JSON; returns the exit code (3 when the reply has no job).
 */
int printJobReply(const Json &parameters, bool json);

/* JSON for scripts: the value untouched, indented, one document per line end. */
std::string renderJson(const Json &value);

} /* namespace benchd::ctl */
