/* SPDX-License-Identifier: MIT */
#include "base/error.hpp"

#include <cstring>

namespace benchd {

std::string errnoText(int code)
{
	char buf[128];
	/* GNU strerror_r returns a pointer that may or may not be buf. */
	const char *text = strerror_r(code, buf, sizeof(buf));
	return text;
}

std::string Error::message() const
{
	if (code_ == 0)
		return context_;
	return context_ + ": " + errnoText(code_);
}

Error &Error::wrap(std::string_view outer) &
{
	context_.insert(0, ": ");
	context_.insert(0, outer);
	return *this;
}

Error &&Error::wrap(std::string_view outer) &&
{
	wrap(outer);
	return std::move(*this);
}

} /* namespace benchd */
