/* SPDX-License-Identifier: MIT */
/*
 * An answer the API refuses with: a Varlink error name and its
 * parameters. The model returns these; the API layer sends them.
 */
#pragma once

#include <string>
#include <variant>

#include "protocol/supervisor.hpp"

namespace benchd::daemon {

struct ApiError {
	std::string name;
	protocol::Json parameters = protocol::Json::object();
};

template<typename T>
using ApiResult = std::variant<T, ApiError>;

inline ApiError internalError(const std::string &reason)
{
	return { protocol::errors::kInternal, { { "reason", reason } } };
}

} /* namespace benchd::daemon */
