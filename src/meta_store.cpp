#include "meta_store.hpp"

#include <SQLiteCpp/Statement.h>

#include <runjournal/error.hpp>

namespace runjournal::detail {
namespace {

constexpr const char* kSelectMeta =
    "SELECT journal_id, created_at_ms, projector_version, last_position, projected_position "
    "FROM journal_meta WHERE singleton = 1";
constexpr const char* kUpdatePositions =
    "UPDATE journal_meta SET last_position = ?, projected_position = ? WHERE singleton = 1";
constexpr const char* kUpdateProjectorVersion =
    "UPDATE journal_meta SET projector_version = ? WHERE singleton = 1";

}  // namespace

Meta load_meta(SQLite::Database& db) {
  SQLite::Statement stmt(db, kSelectMeta);
  if (!stmt.executeStep()) throw Error(ErrorCode::Corrupt, "journal_meta has no row");
  Meta meta;
  meta.journal_id = stmt.getColumn("journal_id").getString();
  meta.created_at_ms = stmt.getColumn("created_at_ms").getInt64();
  meta.projector_version = stmt.getColumn("projector_version").getInt64();
  meta.last_position = stmt.getColumn("last_position").getInt64();
  meta.projected_position = stmt.getColumn("projected_position").getInt64();
  return meta;
}

void save_positions(SQLite::Database& db, std::int64_t last_position, std::int64_t projected_position) {
  SQLite::Statement stmt(db, kUpdatePositions);
  stmt.bind(1, last_position);
  stmt.bind(2, projected_position);
  stmt.exec();
}

void save_projector_version(SQLite::Database& db, std::int64_t version) {
  SQLite::Statement stmt(db, kUpdateProjectorVersion);
  stmt.bind(1, version);
  stmt.exec();
}

}  // namespace runjournal::detail
