// sqlite_backend.hpp — the SQLite backend (backend.hpp) for a journal file.
//
// No SQLite header here: the core reaches the backend through this one
// factory and the interfaces it returns.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <runjournal/options.hpp>

#include "core/backend.hpp"

namespace runjournal::detail {

// Inspects the file (connection.hpp's inspect_file: refuses, untouched,
// what is not a journal or is too new) and returns its backend. The
// inspecting connection stays open until the first session opens, so the
// WAL index is not rebuilt in between (docs/sql.md).
std::unique_ptr<Backend> open_sqlite_backend(const std::filesystem::path& path, const Options& options);

// The read-only SQL gate on the file (sql_gate.cpp).
void sqlite_sql_each(const std::filesystem::path& path, const Options& options, const std::string& query,
                     const std::function<void(const std::vector<std::string>&)>& on_columns,
                     const std::function<bool(const std::vector<SqlValue>&)>& on_row, const SqlOptions& sql_options);

}  // namespace runjournal::detail
