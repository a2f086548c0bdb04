// meta_store.hpp — the journal_meta table: the journal's own bookkeeping.
#pragma once

#include <cstdint>
#include <string>

#include <optional>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace runjournal::detail {

struct Meta {
  std::string journal_id;
  std::int64_t created_at_ms = 0;
  std::int64_t projector_version = 0;
  std::int64_t last_position = 0;       // highest position ever assigned
  std::int64_t projected_position = 0;  // `runs` reflects events up to here
  // Since schema 4 (migrations/0004_meta_versions.sql); 1 and "" before.
  std::int64_t compatible_version = 1;  // the oldest schema whose runjournal may read the file
  std::string library_version;          // the runjournal that last migrated it or rebuilt runs
};

// The table's statements bound to one connection, kept prepared (the writer
// reads and updates journal_meta in every commit). Used by one thread at a
// time, like its connection.
class MetaStore {
 public:
  // Reads the file's schema version once, to know which columns it has.
  explicit MetaStore(SQLite::Database& db);
  Meta load();
  void save_positions(std::int64_t last_position, std::int64_t projected_position);
  // Records the projector that derived `runs` and this runjournal's version.
  void save_projector_version(std::int64_t version);

 private:
  SQLite::Database& db_;
  bool has_versions_;
  std::optional<SQLite::Statement> select_, update_positions_;
};

// One-off forms of the above, for callers without a MetaStore.
Meta load_meta(SQLite::Database& db);

// Records, inside the caller's write transaction, that positions up to
// `last_position` are assigned and projected up to `projected_position`.
void save_positions(SQLite::Database& db, std::int64_t last_position, std::int64_t projected_position);

void save_projector_version(SQLite::Database& db, std::int64_t version);

}  // namespace runjournal::detail
