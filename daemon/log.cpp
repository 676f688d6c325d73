/* SPDX-License-Identifier: MIT */
#include "log.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace benchd::daemon {

void log(Level level, const std::string &text)
{
	static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
	static const bool debug = std::getenv("BENCHD_DEBUG") != nullptr;
	if (level == Level::Debug && !debug)
		return;
	if (journal) {
		std::fprintf(stderr, "<%d>%s\n", static_cast<int>(level), text.c_str());
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	char stamp[32];
	std::strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	static const char *names[] = { "", "", "", "error: ", "warning: ", "", "", "debug: " };
	std::fprintf(stderr, "%s.%03ld benchd: %s%s\n", stamp, ts.tv_nsec / 1000000,
		     names[static_cast<int>(level)], text.c_str());
}

} /* namespace benchd::daemon */
