// migrations.hpp — the schema migrations compiled into the library.
//
// migrations/NNNN_name.sql are embedded at build time (cmake/EmbedMigrations.cmake)
// in version order; version N leaves the file at PRAGMA user_version = N.
// Landed migrations are never edited: a change is a new file.
#pragma once

#include <string_view>
#include <vector>

namespace runjournal::detail {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Every migration, version 1, 2, 3 … in order.
const std::vector<Migration>& migrations();

}  // namespace runjournal::detail
