// meta_store.hpp — the journal_meta table: the journal's own bookkeeping.
#pragma once

#include "core/stores.hpp"

#include <cstdint>
#include <string>

#include <optional>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace runjournal::detail {


// The table's statements bound to one connection, kept prepared (the writer
// reads and updates journal_meta in every commit). Used by one thread at a
// time, like its connection.
class SqliteMetaStore final : public MetaStore {
 public:
  // Reads the file's schema version once, to know which columns it has.
  explicit SqliteMetaStore(SQLite::Database& db);
  Meta load() override;
  void save_positions(std::int64_t last_position, std::int64_t projected_position) override;
  // Records the projector that derived `runs` and this runjournal's version.
  void save_projector_version(std::int64_t version) override;

 private:
  SQLite::Database& db_;
  bool has_versions_;
  std::optional<SQLite::Statement> select_, update_positions_;
};

// The journal_meta row, read once (a connection with no store at hand).
Meta load_meta(SQLite::Database& db);

}  // namespace runjournal::detail
