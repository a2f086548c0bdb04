#include "sqlite/meta_store.hpp"

#include <SQLiteCpp/Statement.h>

#include <runjournal/error.hpp>
#include <runjournal/journal.hpp>

#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {
namespace {

constexpr const char* kSelectMeta =
    "SELECT journal_id, created_at_ms, projector_version, last_position, projected_position, compatible_version, "
    "library_version FROM journal_meta WHERE singleton = 1";
// A file from before schema 4, read without migrating it (a read-only open).
constexpr const char* kSelectMetaBeforeVersions =
    "SELECT journal_id, created_at_ms, projector_version, last_position, projected_position, "
    "1 AS compatible_version, '' AS library_version FROM journal_meta WHERE singleton = 1";
constexpr int kVersionsSchema = 4;
constexpr const char* kUpdatePositions =
    "UPDATE journal_meta SET last_position = ?, projected_position = ? WHERE singleton = 1";
constexpr const char* kUpdateProjectorVersion =
    "UPDATE journal_meta SET projector_version = ?, library_version = ? WHERE singleton = 1";

}  // namespace

SqliteMetaStore::SqliteMetaStore(SQLite::Database& db)
    : db_(db), has_versions_(user_version(db) >= kVersionsSchema) {}

Meta SqliteMetaStore::load() {
  SQLite::Statement& stmt = cached_statement(db_, select_, has_versions_ ? kSelectMeta : kSelectMetaBeforeVersions);
  StatementReset reset_on_exit(stmt);
  if (!stmt.executeStep()) throw Error(ErrorCode::Corrupt, "journal_meta has no row");
  Meta meta;
  meta.journal_id = stmt.getColumn("journal_id").getString();
  meta.created_at_ms = stmt.getColumn("created_at_ms").getInt64();
  meta.projector_version = stmt.getColumn("projector_version").getInt64();
  meta.last_position = stmt.getColumn("last_position").getInt64();
  meta.projected_position = stmt.getColumn("projected_position").getInt64();
  meta.compatible_version = stmt.getColumn("compatible_version").getInt64();
  meta.library_version = stmt.getColumn("library_version").getString();
  return meta;
}

void SqliteMetaStore::save_positions(std::int64_t last_position, std::int64_t projected_position) {
  SQLite::Statement& stmt = cached_statement(db_, update_positions_, kUpdatePositions);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, last_position);
  stmt.bind(2, projected_position);
  stmt.exec();
}

void SqliteMetaStore::save_projector_version(std::int64_t version) {
  SQLite::Statement stmt(db_, kUpdateProjectorVersion);
  stmt.bind(1, version);
  stmt.bind(2, std::string(runjournal::version()));
  stmt.exec();
}

Meta load_meta(SQLite::Database& db) { return SqliteMetaStore(db).load(); }

}  // namespace runjournal::detail
