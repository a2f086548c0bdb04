#include "sqlite/migrator.hpp"

#include <fmt/format.h>

#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>

#include "sqlite/connection.hpp"
#include "sqlite/migrations.hpp"
#include "core/projector.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {
namespace {

// journal_meta.library_version exists from this schema on.
constexpr int kLibraryVersionSchema = 4;
constexpr const char* kRecordLibraryVersion = "UPDATE journal_meta SET library_version = ? WHERE singleton = 1";

int schema_of(SQLite::Database& db) { return static_cast<int>(user_version(db)); }

}  // namespace

int latest_schema_version() { return static_cast<int>(migrations().size()); }

void migrate(SQLite::Database& db) {
  // The usual open: up to date, one read, no lock.
  const int found = translate_errors("reading user_version", [&] { return schema_of(db); });
  if (found == latest_schema_version()) return;
  if (found > latest_schema_version()) {
    translate_errors("reading journal_meta", [&] { require_writable(db.getFilename(), found, latest_schema_version(), SqliteMetaStore(db).load()); });
  }
  for (const Migration& migration : migrations()) {
    translate_errors(fmt::format("migration {:04}_{}", migration.version, migration.name), [&] {
      // Cheap check outside a transaction first, so that opening an
      // up-to-date journal takes no write lock at all.
      if (schema_of(db) >= migration.version) return;
      WriteTransaction txn(db);
      const int current = schema_of(db);
      if (current > latest_schema_version()) require_writable(db.getFilename(), current, latest_schema_version(), SqliteMetaStore(db).load());
      if (current >= migration.version) return;  // another process got here first
      db.exec(std::string(migration.sql));
      if (migration.version == 1) db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
      if (migration.version >= kLibraryVersionSchema) {
        // Who brought the file here: an older runjournal that must refuse
        // to write it names this version (docs/format.md).
        SQLite::Statement stmt(db, kRecordLibraryVersion);
        stmt.bind(1, std::string(runjournal::version()));
        stmt.exec();
      }
      db.exec(fmt::format("PRAGMA user_version = {}", migration.version));
      txn.commit();
    });
  }
}

}  // namespace runjournal::detail
