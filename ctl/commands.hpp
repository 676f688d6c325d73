/* SPDX-License-Identifier: MIT */
/*
 * benchctl's subcommands, one file each; main.cpp lists them in its table.
 * Each gets its own argv (argv[0] is its name) and returns the exit code.
 */
#pragma once

#include "cli.hpp"

namespace benchd::ctl {

int submitMain(const Context &ctx, int argc, char **argv);
int statusMain(const Context &ctx, int argc, char **argv);
int listMain(const Context &ctx, int argc, char **argv);
int logsMain(const Context &ctx, int argc, char **argv);
int cancelMain(const Context &ctx, int argc, char **argv);
int retryMain(const Context &ctx, int argc, char **argv);

extern const Help kSubmitHelp;
extern const Help kStatusHelp;
extern const Help kListHelp;
extern const Help kLogsHelp;
extern const Help kCancelHelp;
extern const Help kRetryHelp;

} /* namespace benchd::ctl */
