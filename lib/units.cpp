/* SPDX-License-Identifier: MIT */
#include "base/units.hpp"

#include <cctype>
#include <limits>

namespace benchd {

namespace {

/*
 * A decimal number with up to `scaleDigits` fraction digits, returned
 * multiplied by 10^scaleDigits. Integer arithmetic only, so "0.1" is exact.
 */
bool parseFixed(std::string_view &text, unsigned scaleDigits, uint64_t &out)
{
	uint64_t whole = 0;
	size_t i = 0;
	bool digits = false;
	while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
		unsigned d = static_cast<unsigned>(text[i] - '0');
		if (whole > (std::numeric_limits<uint64_t>::max() - d) / 10)
			return false;
		whole = whole * 10 + d;
		digits = true;
		i++;
	}
	uint64_t frac = 0;
	unsigned fracDigits = 0;
	if (i < text.size() && text[i] == '.') {
		i++;
		while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
			if (fracDigits < scaleDigits) {
				frac = frac * 10 + static_cast<unsigned>(text[i] - '0');
				fracDigits++;
			} else if (text[i] != '0') {
				return false; /* more precision than we keep */
			}
			digits = true;
			i++;
		}
	}
	if (!digits)
		return false;
	uint64_t scale = 1;
	for (unsigned k = 0; k < scaleDigits; k++)
		scale *= 10;
	for (; fracDigits < scaleDigits; fracDigits++)
		frac *= 10;
	if (whole > (std::numeric_limits<uint64_t>::max() - frac) / scale)
		return false;
	out = whole * scale + frac;
	text.remove_prefix(i);
	return true;
}

bool mulOverflows(uint64_t a, uint64_t b)
{
	return b != 0 && a > std::numeric_limits<uint64_t>::max() / b;
}

std::string quoted(std::string_view text)
{
	return "'" + std::string(text) + "'";
}

} /* namespace */

Result<uint64_t> parseSize(std::string_view text)
{
	const std::string bad = "invalid size " + quoted(text) +
		": expected a number with an optional unit K, M, G or T (powers of 1024), e.g. 512M";
	std::string_view rest = text;
	uint64_t milli;
	if (!parseFixed(rest, 3, milli))
		return Error::invalid(bad);

	uint64_t mult = 1;
	std::string unit(rest);
	for (auto &c : unit)
		c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
	if (unit.size() == 3 && unit[1] == 'I' && unit[2] == 'B')
		unit.resize(1);
	else if (unit.size() == 2 && unit[1] == 'B')
		unit.resize(1);
	if (unit.empty() || unit == "B")
		mult = 1;
	else if (unit == "K")
		mult = 1ULL << 10;
	else if (unit == "M")
		mult = 1ULL << 20;
	else if (unit == "G")
		mult = 1ULL << 30;
	else if (unit == "T")
		mult = 1ULL << 40;
	else
		return Error::invalid(bad);

	if (mulOverflows(milli, mult))
		return Error::invalid("invalid size " + quoted(text) + ": too large");
	uint64_t bytes = milli * mult / 1000;
	if (milli * mult % 1000 != 0)
		return Error::invalid("invalid size " + quoted(text) + ": not a whole number of bytes");
	return bytes;
}

Result<uint64_t> parseDurationMs(std::string_view text)
{
	const std::string bad = "invalid duration " + quoted(text) +
		": expected e.g. 500ms, 10s, 1.5s, 2m, 1h30m or a number of seconds";
	if (text.empty())
		return Error::invalid(bad);

	std::string_view rest = text;
	uint64_t total = 0;
	bool first = true;
	while (!rest.empty()) {
		uint64_t milli;
		if (!parseFixed(rest, 3, milli))
			return Error::invalid(bad);
		uint64_t unitMs;
		if (rest.substr(0, 2) == "ms") {
			unitMs = 0; /* milli already counts thousandths of a ms */
			rest.remove_prefix(2);
		} else if (!rest.empty() && rest[0] == 's') {
			unitMs = 1000;
			rest.remove_prefix(1);
		} else if (!rest.empty() && rest[0] == 'm') {
			unitMs = 60 * 1000;
			rest.remove_prefix(1);
		} else if (!rest.empty() && rest[0] == 'h') {
			unitMs = 3600 * 1000;
			rest.remove_prefix(1);
		} else if (rest.empty() && first) {
			unitMs = 1000;
		} else {
			return Error::invalid(bad);
		}
		first = false;

		uint64_t ms;
		if (unitMs == 0) {
			if (milli % 1000 != 0)
				return Error::invalid("invalid duration " + quoted(text) +
						      ": finer than a millisecond");
			ms = milli / 1000;
		} else {
			if (mulOverflows(milli, unitMs))
				return Error::invalid("invalid duration " + quoted(text) + ": too large");
			ms = milli * unitMs / 1000;
		}
		if (total > std::numeric_limits<uint64_t>::max() - ms)
			return Error::invalid("invalid duration " + quoted(text) + ": too large");
		total += ms;
	}
	return total;
}

Result<uint32_t> parseMilliCpus(std::string_view text)
{
	std::string_view rest = text;
	uint64_t milli;
	if (!parseFixed(rest, 3, milli) || !rest.empty())
		return Error::invalid("invalid CPU count " + quoted(text) +
				      ": expected a number such as 0.5, 1 or 2.25");
	if (milli < 10)
		return Error::invalid("invalid CPU count " + quoted(text) +
				      ": must be at least 0.01");
	if (milli > 1024 * 1000)
		return Error::invalid("invalid CPU count " + quoted(text) + ": too large");
	return static_cast<uint32_t>(milli);
}

Result<uint64_t> parseCount(std::string_view text, uint64_t max,
			    std::string_view what)
{
	std::string_view rest = text;
	uint64_t value;
	if (!parseFixed(rest, 0, value) || !rest.empty() ||
	    text.find('.') != std::string_view::npos)
		return Error::invalid("invalid " + std::string(what) + " " + quoted(text) +
				      ": expected a whole number");
	if (value > max)
		return Error::invalid("invalid " + std::string(what) + " " + quoted(text) +
				      ": at most " + std::to_string(max));
	return value;
}

std::string formatSize(uint64_t bytes)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	uint64_t whole = bytes;
	uint64_t rem = 0;
	while (whole >= 1024 && u < 4) {
		rem = whole % 1024;
		whole /= 1024;
		u++;
	}
	std::string out = std::to_string(whole);
	if (u > 0 && rem != 0) {
		out += "." + std::to_string(rem * 10 / 1024);
	}
	return out + units[u];
}

std::string formatDurationMs(uint64_t ms)
{
	if (ms < 1000)
		return std::to_string(ms) + "ms";
	if (ms < 60 * 1000) {
		std::string s = std::to_string(ms / 1000);
		if (ms % 1000)
			s += "." + std::to_string(ms % 1000 / 100);
		return s + "s";
	}
	uint64_t s = ms / 1000;
	std::string out;
	if (s >= 3600)
		out += std::to_string(s / 3600) + "h";
	if (s % 3600 >= 60)
		out += std::to_string(s % 3600 / 60) + "m";
	if (s % 60)
		out += std::to_string(s % 60) + "s";
	return out;
}

} /* namespace benchd */
