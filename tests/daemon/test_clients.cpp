/* SPDX-License-Identifier: MIT */
/*
 * Clients that send garbage, too much, half a message, or never read:
 * each gets an error or is dropped, and the daemon and everyone else
 * carry on.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.hpp"
#include "protocol/varlink.hpp"

using namespace benchd::test;

TestSuite(clients, .fini = TestDaemon::atTestEnd, .timeout = 180);

namespace {

/* A well-behaved client still gets answers. */
void expectServing(const TestDaemon &d)
{
	VarlinkClient ok(d.socket());
	cr_assert(ok.connected(), "the daemon stopped accepting");
	Reply r = ok.call("org.varlink.service.GetInfo");
	cr_expect(r.error.empty());
	cr_expect_eq(r.parameters["product"], "benchd");
}

long rssKb(pid_t pid)
{
	for (const auto &line : grepLines(readFile("/proc/" + std::to_string(pid) + "/status"), "VmRSS:"))
		return std::stol(line.substr(6));
	return -1;
}

} /* namespace */

Test(clients, garbage_gets_an_error_and_the_connection_closed)
{
	TestDaemon d;
	for (const char *garbage : { "garbage", "[1,2,3]", "{\"method\": 7}", "{\"parameters\": {}}", "\xff\xfe{" }) {
		VarlinkClient c(d.socket());
		c.sendRaw(std::string(garbage) + '\0');
		auto r = c.read(5000);
		cr_assert(r, "no answer to %s", garbage);
		cr_expect_eq(r->error, "io.benchd.Supervisor.InvalidArgument");
		cr_expect(c.closedByPeer(3000), "the daemon kept a client that sent garbage");
	}
	expectServing(d);
}

Test(clients, oversized_messages_are_refused)
{
	TestDaemon d(Keys{ { "daemon.max_message", "\"64K\"" } });
	VarlinkClient c(d.socket());
	c.sendRaw("{\"method\": \"io.benchd.Supervisor.Submit\", \"parameters\": {\"argv\": [\"" + std::string(200000, 'x'));
	auto r = c.read(5000);
	cr_assert(r, "no answer to an oversized message");
	cr_expect_eq(r->error, "io.benchd.Supervisor.InvalidArgument");
	cr_expect(r->parameters["reason"].get<std::string>().find("larger than") != std::string::npos);
	cr_expect(c.closedByPeer(3000));
	expectServing(d);
}

Test(clients, a_half_written_message_is_dropped_after_the_timeout)
{
	TestDaemon d;
	VarlinkClient c(d.socket());
	c.sendRaw("{\"method\": \"io.benchd.Supervisor.Li");
	expectServing(d);
	cr_expect(c.closedByPeer(5000), "a half-sent message kept its client forever (client_timeout is 1s)");
	expectServing(d);
}

Test(clients, a_client_that_disconnects_mid_message_or_mid_call_is_harmless)
{
	TestDaemon d;
	{
		VarlinkClient c(d.socket());
		c.sendRaw("{\"method\": \"io.benchd.Supervisor.Sub");
	}
	{
		VarlinkClient c(d.socket());
		int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", "sleep 0.5; echo x" });
		c.sendRaw(benchd::protocol::encodeCall({ "io.benchd.Supervisor.Logs", { { "id", id }, { "follow", true } }, true }));
	}
	expectServing(d);
	cr_expect_eq(waitJob(d.socket(), 1)["state"], "completed");
}

Test(clients, a_client_that_never_reads_is_dropped_and_costs_no_memory)
{
	TestDaemon d(Keys{ { "daemon.max_client_backlog", "\"1M\"" } });
	/* Pipeline many calls whose replies are large, and never read them. */
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", "head -c 200000 /dev/zero" });
	waitJob(d.socket(), id);
	long before = rssKb(d.pid());
	VarlinkClient c(d.socket());
	std::string call = benchd::protocol::encodeCall({ "io.benchd.Supervisor.Logs", { { "id", id } } });
	std::string many;
	for (int i = 0; i < 60; i++)
		many += call;
	c.sendRaw(many);
	usleep(1000000);
	expectServing(d);
	long after = rssKb(d.pid());
	cr_expect_lt(after - before, 20000, "RSS grew by %ld KiB for a client that does not read", after - before);
	/* Reading now: the daemon hung up before sending everything. */
	size_t replies = 0;
	while (c.read(2000))
		replies++;
	cr_expect_lt(replies, 60u, "all %zu replies were queued for a client that never read", replies);
}

Test(clients, a_log_stream_to_a_slow_reader_waits_instead_of_buffering)
{
	TestDaemon d;
	int64_t id = submitJob(d.socket(), { "/bin/sh", "-c", "head -c 30000000 /dev/zero" }, 1,
			       { { "limits", { { "memory_bytes", 256 << 20 } } } });
	waitJob(d.socket(), id);
	long before = rssKb(d.pid());
	VarlinkClient slow(d.socket());
	slow.sendRaw(benchd::protocol::encodeCall({ "io.benchd.Supervisor.Logs", { { "id", id } }, true }));
	usleep(1000000);
	long during = rssKb(d.pid());
	cr_expect_lt(during - before, 8000, "RSS grew by %ld KiB while a client read slowly", during - before);
	/* Then it reads everything, exactly. */
	std::string got;
	while (auto r = slow.read(20000)) {
		got += *benchd::protocol::base64Decode(r->parameters["data"].get<std::string>());
		if (!r->continues)
			break;
	}
	cr_expect_eq(got.size(), 30000000u);
}

Test(clients, too_many_clients_are_refused_and_the_rest_served)
{
	TestDaemon d(Keys{ { "daemon.max_clients", "5" } });
	std::vector<std::unique_ptr<VarlinkClient>> hold;
	for (int i = 0; i < 5; i++)
		hold.push_back(std::make_unique<VarlinkClient>(d.socket()));
	usleep(200000);
	VarlinkClient extra(d.socket());
	cr_expect(extra.closedByPeer(3000), "a sixth client was kept");
	hold.clear();
	usleep(200000);
	expectServing(d);
}
