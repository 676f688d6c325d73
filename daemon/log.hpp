/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log: one line per event on stderr. Under systemd (journald
 * on stderr) each line carries its syslog level as a "<N>" prefix.
 */
#pragma once

#include <string>

namespace benchd::daemon {

enum class Level { Error = 3, Warning = 4, Info = 6, Debug = 7 };

void log(Level level, const std::string &text);

} /* namespace benchd::daemon */
