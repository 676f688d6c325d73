/* SPDX-License-Identifier: MIT */
#pragma once

namespace benchd::daemon {

/* `benchd [OPTION]...`: the daemon in the foreground; returns the exit status. */
int daemonMain(int argc, char **argv);

} /* namespace benchd::daemon */
