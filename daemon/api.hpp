/* SPDX-License-Identifier: MIT */
/*
 * The io.benchd.Supervisor methods (and org.varlink.service's GetInfo and
 * GetInterfaceDescription) on top of the Supervisor.
 */
#pragma once

#include <memory>

#include "loop.hpp"
#include "protocol/supervisor.hpp"
#include "server.hpp"
#include "supervisor.hpp"

namespace benchd::daemon {

class Api
{
public:
	Api(Supervisor &supervisor, Loop &loop);

	/* The Server's handler. */
	void handle(const Peer &peer, protocol::Call call, std::shared_ptr<Responder> responder);

private:
	void submit(const Peer &peer, const protocol::Json &params, std::shared_ptr<Responder> r);
	void logs(const Peer &peer, const protocol::Call &call, std::shared_ptr<Responder> r);

	Supervisor &sup_;
	Loop &loop_;
};

} /* namespace benchd::daemon */
