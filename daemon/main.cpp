/* SPDX-License-Identifier: MIT */
/*
 * benchd: thin entry point. Subcommands are dispatched from a table.
 */
#include <cstdio>
#include <cstring>

#include "oneshot.hpp"

namespace {

struct Command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

const Command kCommands[] = {
	{ "oneshot", benchd::oneshotMain, "run one command in a sandbox and exit with its status" },
};

void usage(FILE *out)
{
	std::fputs("Usage: benchd COMMAND [OPTION]...\n\nCommands:\n", out);
	for (const auto &c : kCommands)
		std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
	std::fputs("\nbenchd COMMAND --help shows a command's options.\n", out);
}

} /* namespace */

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!std::strcmp(argv[1], "--version")) {
		std::puts("benchd " BENCHD_VERSION);
		return 0;
	}
	for (const auto &c : kCommands)
		if (!std::strcmp(argv[1], c.name))
			return c.main(argc - 1, argv + 1);
	std::fprintf(stderr, "benchd: unknown command '%s' (see benchd --help)\n", argv[1]);
	return 2;
}
