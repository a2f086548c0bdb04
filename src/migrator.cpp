#include "migrator.hpp"

#include <fmt/format.h>

#include <SQLiteCpp/Statement.h>

#include "connection.hpp"
#include "migrations.hpp"
#include "sqlite_util.hpp"

namespace runjournal::detail {
namespace {

int user_version(SQLite::Database& db) {
  SQLite::Statement stmt(db, "PRAGMA user_version");
  stmt.executeStep();
  return stmt.getColumn(0).getInt();
}

}  // namespace

int latest_schema_version() { return static_cast<int>(migrations().size()); }

void migrate(SQLite::Database& db) {
  // The usual open: up to date, one read, no lock.
  if (translate_errors("reading user_version", [&] { return user_version(db); }) == latest_schema_version()) return;
  for (const Migration& migration : migrations()) {
    translate_errors(fmt::format("migration {:04}_{}", migration.version, migration.name), [&] {
      // Cheap check outside a transaction first, so that opening an
      // up-to-date journal takes no write lock at all.
      if (user_version(db) >= migration.version) return;
      WriteTransaction txn(db);
      const int current = user_version(db);
      if (current > latest_schema_version()) {
        throw Error(ErrorCode::SchemaTooNew,
                    fmt::format("schema version {} is newer than this runjournal knows ({})", current,
                                latest_schema_version()));
      }
      if (current >= migration.version) return;  // another process got here first
      db.exec(std::string(migration.sql));
      if (migration.version == 1) db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
      db.exec(fmt::format("PRAGMA user_version = {}", migration.version));
      txn.commit();
    });
  }
}

}  // namespace runjournal::detail
