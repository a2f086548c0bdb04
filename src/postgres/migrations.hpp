// postgres/migrations.hpp — the PostgreSQL schema migrations compiled in.
//
// migrations/postgresql/NNNN_name.sql are embedded at build time
// (src/postgres/embed_migrations.cmake) in version order. They mirror the
// SQLite migrations one for one: version N means the same tables and
// columns on both backends, so a journal's schema version says the same
// thing wherever it lives. Landed migrations are never edited.
#pragma once

#include <string_view>
#include <vector>

namespace runjournal::pg {

struct Migration {
  int version;
  std::string_view name;  // "0001_core"
  std::string_view sql;
};

// Every migration, version 1, 2, 3 … in order.
const std::vector<Migration>& migrations();

}  // namespace runjournal::pg
