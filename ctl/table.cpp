/* SPDX-License-Identifier: MIT */
#include "table.hpp"

#include <algorithm>

namespace benchd::ctl {

size_t displayWidth(const std::string &text)
{
	return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
		return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
	}));
}

void Table::add(std::vector<std::string> cells)
{
	cells.resize(columns_.size());
	rows_.push_back(std::move(cells));
}

std::string Table::render() const
{
	std::vector<size_t> width(columns_.size());
	for (size_t c = 0; c < columns_.size(); c++) {
		width[c] = displayWidth(columns_[c].title);
		for (const auto &row : rows_)
			width[c] = std::max(width[c], displayWidth(row[c]));
	}
	auto line = [&](auto cellOf) {
		std::string out;
		for (size_t c = 0; c < columns_.size(); c++) {
			const std::string &cell = cellOf(c);
			bool last = c + 1 == columns_.size();
			std::string pad(width[c] - displayWidth(cell), ' ');
			if (columns_[c].align == Align::Right)
				out += pad + cell;
			else
				out += last ? cell : cell + pad;
			if (!last)
				out += "  ";
		}
		while (!out.empty() && out.back() == ' ')
			out.pop_back();
		return out + "\n";
	};
	std::string out = line([&](size_t c) -> const std::string & { return columns_[c].title; });
	for (const auto &row : rows_)
		out += line([&](size_t c) -> const std::string & { return row[c]; });
	return out;
}

} /* namespace benchd::ctl */
