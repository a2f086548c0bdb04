// postgres/migrator.hpp — bringing a PostgreSQL schema to the newest version.
//
// A journal on PostgreSQL is one schema (namespace): the first schema of the
// connection's search_path that exists, current_schema(), normally
// `public`; a URI with `options=-csearch_path%3Dname` puts one elsewhere.
// Its version is the highest row of journal_migrations (migration 0001
// makes that table); SQLite keeps the same number in PRAGMA user_version.
//
// inspect() decides, writing nothing:
//   - a schema with no tables, views or sequences: version 0, a new journal;
//   - a schema with journal_migrations: its version, provided its rows are
//     1, 2, 3 … with the names this library knows for them (else Corrupt);
//   - a schema with other relations but no journal_migrations: NotAJournal
//     (the journal does not move into a schema that holds something else);
//   - no schema at all (search_path names none that exists): InvalidArgument.
//
// migrate() applies each missing migration in its own transaction with its
// journal_migrations row, under a transaction-level advisory lock on the
// schema, re-reading the version after the lock: hosts that open a new
// journal at once apply each migration exactly once, and a failure leaves
// the schema at the last whole version. A schema newer than this library
// (versions it does not know) is SchemaTooNew and is left untouched; whether
// such a journal may still be read is the caller's decision, from its
// compatible version.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "postgres/connection.hpp"
#include "postgres/migrations.hpp"

namespace runjournal::pg {

struct SchemaState {
  std::string schema;  // current_schema()
  int version = 0;     // 0: empty; above the library's newest: newer than this library
};

SchemaState inspect(Connection& connection, std::span<const Migration> known = migrations());

struct MigrationOutcome {
  int from_version = 0;
  int to_version = 0;
};

MigrationOutcome migrate(Connection& connection, std::span<const Migration> known = migrations());

}  // namespace runjournal::pg
