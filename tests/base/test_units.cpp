/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>

#include "base/units.hpp"

using namespace benchd;

Test(units, sizes_accept_binary_suffixes)
{
	cr_expect_eq(*parseSize("4096"), 4096u);
	cr_expect_eq(*parseSize("64K"), 64u * 1024);
	cr_expect_eq(*parseSize("512M"), 512ull << 20);
	cr_expect_eq(*parseSize("512MiB"), 512ull << 20);
	cr_expect_eq(*parseSize("1.5G"), 3ull << 29);
	cr_expect_eq(*parseSize("2g"), 2ull << 30);
	cr_expect_eq(*parseSize("1T"), 1ull << 40);
}

Test(units, bad_sizes_are_refused_naming_the_value)
{
	for (const char *bad : { "", "M", "12Q", "-1", "1.2.3", "99999999999999999999", "0.5", "1 G" }) {
		auto r = parseSize(bad);
		cr_expect(!r, "'%s' should be refused", bad);
		if (!r)
			cr_expect(r.error().message().find(std::string("'") + bad + "'") != std::string::npos,
				  "message should quote the value: %s", r.error().message().c_str());
	}
}

Test(units, durations_in_milliseconds)
{
	cr_expect_eq(*parseDurationMs("250ms"), 250u);
	cr_expect_eq(*parseDurationMs("10s"), 10000u);
	cr_expect_eq(*parseDurationMs("1.5s"), 1500u);
	cr_expect_eq(*parseDurationMs("2m"), 120000u);
	cr_expect_eq(*parseDurationMs("1h30m"), 5400000u);
	cr_expect_eq(*parseDurationMs("90"), 90000u);
	cr_expect(!parseDurationMs("10x"));
	cr_expect(!parseDurationMs("s"));
	cr_expect(!parseDurationMs("0.5ms"));
	cr_expect(!parseDurationMs("10 s"));
	cr_expect(!parseDurationMs("1s5"));
}

Test(units, cpus_are_fixed_point_millicpus)
{
	cr_expect_eq(*parseMilliCpus("0.5"), 500u);
	cr_expect_eq(*parseMilliCpus("2"), 2000u);
	cr_expect_eq(*parseMilliCpus("1.25"), 1250u);
	cr_expect(!parseMilliCpus("0"));
	cr_expect(!parseMilliCpus("abc"));
	cr_expect(!parseMilliCpus("0.0001"));
	cr_expect(!parseMilliCpus("-1"));
}

Test(units, counts_have_bounds)
{
	cr_expect_eq(*parseCount("64", 100, "pids"), 64u);
	auto r = parseCount("101", 100, "pids");
	cr_assert(!r);
	std::string msg = r.error().message();
	cr_expect_str_eq(msg.c_str(), "invalid pids '101': at most 100");
	cr_expect(!parseCount("1.5", 100, "pids"));
}

Test(units, formatting_is_readable)
{
	cr_expect(formatSize(512ull << 20) == "512MiB");
	cr_expect(formatSize(1536) == "1.5KiB");
	cr_expect(formatDurationMs(1500) == "1.5s");
	cr_expect(formatDurationMs(5400000) == "1h30m");
}
