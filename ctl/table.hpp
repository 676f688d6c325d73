/* SPDX-License-Identifier: MIT */
/*
 * Fixed columns for people: text left-aligned, numbers right-aligned,
 * two spaces apart, the last column left ragged.
 */
#pragma once

#include <string>
#include <vector>

namespace benchd::ctl {

class Table
{
public:
	enum class Align { Left, Right };
	struct Column {
		std::string title;
		Align align = Align::Left;
	};

	explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

	/* One row; missing cells are empty, extra ones ignored. */
	void add(std::vector<std::string> cells);
	bool empty() const { return rows_.empty(); }

	std::string render() const;

private:
	std::vector<Column> columns_;
	std::vector<std::vector<std::string>> rows_;
};

/* Columns a string takes on a terminal: one per UTF-8 code point. */
size_t displayWidth(const std::string &text);

} /* namespace benchd::ctl */
