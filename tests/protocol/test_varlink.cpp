/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <random>

#include "protocol/supervisor.hpp"
#include "protocol/varlink.hpp"

using namespace benchd::protocol;

Test(varlink, messages_are_split_on_nul_across_any_chunking)
{
	std::string stream = encodeCall({ "a.b.C", { { "x", 1 } } }) + encodeCall({ "a.b.D", {}, true });
	/* Feed it one byte at a time and all at once: same messages. */
	MessageReader oneByOne(1 << 16), whole(1 << 16);
	std::vector<std::string> a, b;
	for (char c : stream) {
		auto got = oneByOne.feed(std::string_view(&c, 1));
		cr_assert(got);
		for (auto &m : *got)
			a.push_back(m);
	}
	auto all = whole.feed(stream);
	cr_assert(all);
	b = *all;
	cr_assert_eq(a.size(), 2u);
	cr_expect(a == b);
	auto call = parseCall(a[1]);
	cr_assert(call);
	cr_expect_eq(call->method, "a.b.D");
	cr_expect(call->more);
	cr_expect_eq(oneByOne.pending(), 0u);
}

Test(varlink, oversized_messages_are_refused)
{
	MessageReader r(100);
	cr_expect(r.feed(std::string(100, 'x')));
	auto over = r.feed("y");
	cr_assert(!over);
	cr_expect_eq(over.error().code(), EMSGSIZE);
}

Test(varlink, malformed_calls_are_errors_not_crashes)
{
	for (const char *bad : { "", "garbage", "[1,2]", "{}", "{\"method\": 5}", "{\"method\": \"\"}",
				 "{\"method\": \"a.B\", \"parameters\": []}", "{\"method\": \"a.B\", \"more\": \"yes\"}",
				 "{\"method\": \"a.B\"" })
		cr_expect(!parseCall(bad), "accepted: %s", bad);
	cr_expect(parseCall("{\"method\": \"a.B\", \"parameters\": null}"));
}

Test(varlink, replies_and_errors_round_trip)
{
	std::string m = encodeReply({ { "id", 7 } }, true);
	cr_assert_eq(m.back(), '\0');
	m.pop_back();
	auto r = parseReply(m);
	cr_assert(r);
	cr_expect(r->continues);
	cr_expect_eq(r->parameters["id"], 7);
	std::string e = encodeError(errors::kJobNotFound, { { "id", 9 } });
	e.pop_back();
	auto er = parseReply(e);
	cr_assert(er);
	cr_expect_eq(er->error, "io.benchd.Supervisor.JobNotFound");
	cr_expect_eq(er->parameters["id"], 9);
}

Test(varlink, base64_round_trips_any_bytes)
{
	std::mt19937 rng(42);
	for (size_t len = 0; len < 300; len++) {
		std::string bytes(len, '\0');
		for (auto &c : bytes)
			c = static_cast<char>(rng());
		auto back = base64Decode(base64Encode(bytes));
		cr_assert(back);
		cr_assert(*back == bytes, "length %zu", len);
	}
	cr_expect_eq(base64Encode("foob"), "Zm9vYg==");
	cr_expect(!base64Decode("Zm9"));
	cr_expect(!base64Decode("Zm=v"));
	cr_expect(!base64Decode("Z!9v"));
	/* Found by fuzz/fuzz_units: bits under the padding must be zero. */
	cr_expect(!base64Decode("33099990/99="));
	cr_expect(!base64Decode("Zh==")); /* "Zg==" is the canonical one */
	cr_expect(base64Decode("Zg=="));
}

Test(supervisor, submit_parameters_are_checked_and_named)
{
	auto ok = parseSubmit(Json::parse(R"({"argv": ["/bin/true"], "runs": 3, "limits": {"memory_bytes": 67108864}})"));
	cr_assert(std::holds_alternative<SubmitParams>(ok));
	cr_expect_eq(std::get<SubmitParams>(ok).runs, 3u);

	struct Case {
		const char *json;
		const char *parameter;
	} cases[] = {
		{ R"({})", "argv" },
		{ R"({"argv": []})", "argv" },
		{ R"({"argv": [1]})", "argv" },
		{ R"({"argv": ["x"], "env": ["NOEQ"]})", "env" },
		{ R"({"argv": ["x"], "runs": 0})", "runs" },
		{ R"({"argv": ["x"], "runs": -1})", "runs" },
		{ R"({"argv": ["x"], "runs": "3"})", "runs" },
		{ R"({"argv": ["x"], "limits": {"memory_bytes": 5}})", "limits.memory_bytes" },
		{ R"({"argv": ["x"], "limits": {"cpu_millis": 1}})", "limits.cpu_millis" },
		{ R"({"argv": ["x"], "meta": {"k": 1}})", "meta" },
	};
	for (const auto &c : cases) {
		auto r = parseSubmit(Json::parse(c.json));
		cr_assert(std::holds_alternative<InvalidArgument>(r), "accepted %s", c.json);
		cr_expect_eq(std::get<InvalidArgument>(r).parameter, c.parameter, "%s", c.json);
	}
}

Test(supervisor, the_interface_description_names_every_method)
{
	const auto &idl = interfaceDescription();
	for (const char *m : { "method Submit", "method Status", "method List", "method Logs", "method Cancel",
			       "method Retry", "interface io.benchd.Supervisor" })
		cr_expect(idl.find(m) != std::string::npos, "missing %s", m);
}
