/* SPDX-License-Identifier: MIT */
/*
 * benchd: thin entry point. Subcommands are dispatched from a table.
 */
#include <cstdio>
#include <cstring>

#include "daemon_main.hpp"
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
	std::fputs("Commands:\n", out);
	for (const auto &c : kCommands)
		std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
	std::fputs("benchd --help shows the daemon's options; benchd COMMAND --help a command's.\n", out);
}

} /* namespace */

int main(int argc, char **argv)
{
	/* A first word that is not an option names a subcommand; otherwise run the daemon. */
	if (argc >= 2 && argv[1][0] != '-') {
		for (const auto &c : kCommands)
			if (!std::strcmp(argv[1], c.name))
				return c.main(argc - 1, argv + 1);
		std::fprintf(stderr, "benchd: unknown command '%s' (see benchd --help)\n", argv[1]);
		usage(stderr);
		return 2;
	}
	return benchd::daemon::daemonMain(argc, argv);
}
