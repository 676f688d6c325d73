/* SPDX-License-Identifier: MIT */
#include "format.hpp"

#include <chrono>
#include <cstring>
#include <ctime>

#include "base/units.hpp"

namespace benchd::ctl {

std::optional<int64_t> intField(const Json &object, const char *key)
{
	if (!object.is_object())
		return std::nullopt;
	auto it = object.find(key);
	if (it == object.end() || !it->is_number_integer())
		return std::nullopt;
	return it->get<int64_t>();
}

std::string stringField(const Json &object, const char *key, std::string_view fallback)
{
	if (!object.is_object())
		return std::string(fallback);
	auto it = object.find(key);
	if (it == object.end() || !it->is_string())
		return std::string(fallback);
	return it->get<std::string>();
}

std::string printable(std::string_view text)
{
	static const char hex[] = "0123456789abcdef";
	std::string out;
	out.reserve(text.size());
	for (char c : text) {
		auto u = static_cast<unsigned char>(c);
		if (u < 0x20 || u == 0x7f) {
			out += "\\x";
			out += hex[u >> 4];
			out += hex[u & 15];
		} else {
			out += c;
		}
	}
	return out;
}

namespace {

bool plainWord(std::string_view word)
{
	if (word.empty())
		return false;
	for (char c : word) {
		auto u = static_cast<unsigned char>(c);
		if (!(std::isalnum(u) || std::strchr("-_./:=,+@%", c) || u >= 0x80))
			return false;
	}
	return true;
}

bool hasControl(std::string_view word)
{
	for (char c : word)
		if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
			return true;
	return false;
}

std::string quoteWord(std::string_view word)
{
	if (plainWord(word))
		return std::string(word);
	if (hasControl(word)) {
		/* Bash's $'...' spells control bytes without printing them raw. */
		std::string out = "$'";
		for (char c : printable(word)) {
			if (c == '\'')
				out += "\\'";
			else
				out += c;
		}
		return out + "'";
	}
	std::string out = "'";
	for (char c : word) {
		if (c == '\'')
			out += "'\\''";
		else
			out += c;
	}
	return out + "'";
}

} /* namespace */

std::string shellJoin(const std::vector<std::string> &argv)
{
	std::string out;
	for (const auto &word : argv) {
		if (!out.empty())
			out += ' ';
		out += quoteWord(word);
	}
	return out;
}

std::string truncated(std::string_view text, size_t width)
{
	if (text.size() <= width)
		return std::string(text);
	if (width <= 3)
		return std::string(width, '.');
	size_t cut = width - 3;
	/* Back off to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx). */
	while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80)
		cut--;
	return std::string(text.substr(0, cut)) + "...";
}

std::string localTime(int64_t ms)
{
	time_t t = static_cast<time_t>(ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return "-";
	char buf[64];
	if (std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "-";
	return buf;
}

std::string formatAge(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	auto u = static_cast<uint64_t>(ms);
	return formatDurationMs(u < 1000 ? u : u / 1000 * 1000);
}

std::string formatCpus(int64_t milli)
{
	std::string out = std::to_string(milli / 1000);
	int64_t frac = milli % 1000;
	if (frac) {
		char buf[8];
		std::snprintf(buf, sizeof(buf), ".%03lld", static_cast<long long>(frac));
		std::string f = buf;
		while (f.back() == '0')
			f.pop_back();
		out += f;
	}
	return out;
}

int64_t nowMs()
{
	using namespace std::chrono;
	return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool isTerminalState(std::string_view state)
{
	return state == "completed" || state == "failed" || state == "timed_out" || state == "aborted";
}

std::string runsDone(const Json &job)
{
	int64_t done = 0;
	if (auto it = job.find("summary"); it != job.end() && it->is_object())
		for (const auto &[state, count] : it->items())
			if (isTerminalState(state) && count.is_number_integer())
				done += count.get<int64_t>();
	auto total = intField(job, "runs");
	return std::to_string(done) + "/" + (total ? std::to_string(*total) : "?") + " done";
}

std::string exitText(const Json &run)
{
	auto it = run.find("result");
	if (it == run.end() || !it->is_object())
		return "-";
	if (auto sig = intField(*it, "signal")) {
		const char *abbrev = sigabbrev_np(static_cast<int>(*sig));
		return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(*sig);
	}
	if (auto code = intField(*it, "exit_code"))
		return std::to_string(*code);
	return "-";
}

} /* namespace benchd::ctl */
