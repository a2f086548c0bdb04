// pg_backend.hpp — the PostgreSQL backend (core/backend.hpp) for a journal
// named by a libpq URI (postgresql://… or postgres://…).
//
// A journal is one schema: the first existing schema of the connection's
// search_path (docs/postgresql.md, "Where a journal lives"). No libpq
// header here: the core reaches the backend through this factory alone.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <runjournal/inspect.hpp>
#include <runjournal/options.hpp>

#include "core/backend.hpp"

namespace runjournal::detail {

// Connects and inspects the schema, writing nothing: a schema holding other
// relations but no journal is NotAJournal, one from a newer runjournal
// SchemaTooNew (for reading: past its compatible version), an empty one
// NotFound unless it may be created (create_if_missing, not read_only); an
// unreachable server is Io, or TimedOut past Options::busy_timeout.
std::unique_ptr<Backend> open_pg_backend(const std::string& uri, const Options& options);

// The URI for messages: its password, in the authority or as a parameter,
// replaced by "***".
std::string redact_pg_uri(std::string_view uri);

// The read-only SQL gate on PostgreSQL (pg_sql_gate.cpp).
void pg_sql_each(const std::string& conninfo, const std::string& name, const std::string& query,
                 const std::function<void(const std::vector<std::string>&)>& on_columns,
                 const std::function<bool(const std::vector<SqlValue>&)>& on_row, const SqlOptions& options);

}  // namespace runjournal::detail
