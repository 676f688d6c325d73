/* SPDX-License-Identifier: MIT */
/*
 * What the store suite needs around the library: unwrap a Result or fail
 * the test with its message, and check an expected Error.
 */
#pragma once

#include <string>
#include <utility>

#include <criterion/criterion.h>

#include "base/error.hpp"

namespace benchd::test {

template<typename T>
T must(Result<T> &&result, const char *expr)
{
	cr_assert(result.ok(), "%s: %s", expr, result.ok() ? "" : result.error().message().c_str());
	return std::move(result).value();
}

inline void must(Status &&status, const char *expr)
{
	cr_assert(status.ok(), "%s: %s", expr, status.ok() ? "" : status.error().message().c_str());
}

/* The failure of `result`, asserting it failed with `code` and mentions `text`. */
template<typename R>
Error expectError(R &&result, int code, const std::string &text, const char *expr)
{
	cr_assert(!result.ok(), "%s succeeded, wanted an error mentioning '%s'", expr, text.c_str());
	Error error = result.error();
	cr_expect_eq(error.code(), code, "%s: errno %d, wanted %d (%s)", expr, error.code(), code,
		     error.message().c_str());
	cr_expect(error.message().find(text) != std::string::npos, "%s: '%s' does not mention '%s'",
		  expr, error.message().c_str(), text.c_str());
	return error;
}

} /* namespace benchd::test */

#define MUST(expr) benchd::test::must((expr), #expr)
#define EXPECT_ERROR(expr, code, text) benchd::test::expectError((expr), (code), (text), #expr)
