/* SPDX-License-Identifier: MIT */
#pragma once

namespace benchd {

/* `benchd oneshot ...`; returns the process exit status. */
int oneshotMain(int argc, char **argv);

} /* namespace benchd */
