/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzzer's corpus as an ordinary Criterion test, so every
 * input that ever mattered stays checked without clang or libFuzzer.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>

#include "fuzz.hpp"

Test(fuzz_corpus, every_saved_input_is_handled)
{
	std::string dir = std::string(FUZZ_CORPUS);
	DIR *d = opendir(dir.c_str());
	cr_assert(d, "no corpus at %s", dir.c_str());
	int inputs = 0;
	while (struct dirent *e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		std::ifstream f(dir + "/" + e->d_name, std::ios::binary);
		std::stringstream ss;
		ss << f.rdbuf();
		std::string bytes = ss.str();
		LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
		inputs++;
	}
	closedir(d);
	cr_expect_gt(inputs, 0, "empty corpus %s", dir.c_str());
	cr_log_info("%d inputs", inputs);
}
