/* SPDX-License-Identifier: MIT */
/*
 * The one error type of benchd.
 *
 * A failure carries the errno it came from (0 when it is a validation
 * error with no system call behind it) and a context sentence that names
 * what was being done and with which value:
 *
 *   "create cgroup /sys/fs/cgroup/benchd/run-42: Permission denied"
 *
 * Library code never logs; it returns an Error and the caller decides.
 * Exceptions never cross module boundaries: a function that can fail
 * returns Result<T>.
 */
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace benchd {

class Error
{
public:
	/* An error from a system or library call; code is an errno value. */
	Error(int code, std::string context)
		: code_(code), context_(std::move(context))
	{
	}

	/* Capture the current errno. Call right after the failing call. */
	static Error fromErrno(std::string context)
	{
		return Error(errno, std::move(context));
	}

	/* A validation error: no errno, the text says it all. */
	static Error invalid(std::string text)
	{
		return Error(0, std::move(text));
	}

	int code() const { return code_; }
	const std::string &context() const { return context_; }

	/* "context: strerror(code)", or just the context when code is 0. */
	std::string message() const;

	/* Prefix the context with what the caller was doing. */
	Error &&wrap(std::string_view outer) &&;
	Error &wrap(std::string_view outer) &;

private:
	int code_;
	std::string context_;
};

/* strerror that is thread-safe and never allocates on failure paths. */
std::string errnoText(int code);

template<typename T>
class [[nodiscard]] Result
{
public:
	Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
	Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

	explicit operator bool() const { return v_.index() == 0; }
	bool ok() const { return v_.index() == 0; }

	T &value() & { return std::get<0>(v_); }
	const T &value() const & { return std::get<0>(v_); }
	T &&value() && { return std::get<0>(std::move(v_)); }

	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }

	Error &error() & { return std::get<1>(v_); }
	const Error &error() const & { return std::get<1>(v_); }
	Error &&error() && { return std::get<1>(std::move(v_)); }

private:
	std::variant<T, Error> v_;
};

template<>
class [[nodiscard]] Result<void>
{
public:
	Result() = default;
	Result(Error error) : error_(std::move(error)), failed_(true) {}

	explicit operator bool() const { return !failed_; }
	bool ok() const { return !failed_; }

	Error &error() & { return error_; }
	const Error &error() const & { return error_; }
	Error &&error() && { return std::move(error_); }

private:
	Error error_{ 0, {} };
	bool failed_ = false;
};

using Status = Result<void>;

} /* namespace benchd */
