/* SPDX-License-Identifier: MIT */
/*
 * The schema as numbered migrations. PRAGMA user_version records the last
 * one applied; each runs in its own transaction that also bumps it, so a
 * crash mid-migration leaves the previous version intact. A migration, once
 * released, is never edited: a change is a new one at the end.
 */
#pragma once

#include <span>

#include "base/error.hpp"
#include "store/sqlite.hpp"

namespace benchd::store {

struct Migration {
	int version;	  /* 1, 2, ... in order */
	const char *what; /* for messages */
	const char *sql;
};

/* benchd's migrations, oldest first. */
std::span<const Migration> migrations();

/*
 * Apply the migrations the database lacks. Refuses (ENOTSUP) a database
 * whose user_version is newer than the last migration, and (EINVAL) one
 * whose application_id belongs to another program.
 */
Status migrate(Database &db, std::span<const Migration> list);

Result<int> userVersion(Database &db);

} /* namespace benchd::store */
