// migrator.hpp — brings a journal file to the schema this library knows.
#pragma once

#include <cstdint>
#include <string>

#include <SQLiteCpp/Database.h>

#include "core/versions.hpp"
#include "sqlite/meta_store.hpp"

namespace runjournal::detail {

// The schema version a fully migrated file has (PRAGMA user_version).
int latest_schema_version();

// Applies every migration the file lacks, in order, each in its own
// BEGIN IMMEDIATE transaction together with its user_version bump (and, for
// the first, the application_id). The version is re-read inside each
// transaction, so two processes opening one new file at once do not apply a
// migration twice. Throws SchemaTooNew (require_writable) for a file newer
// than the library, before writing anything.
void migrate(SQLite::Database& db);

}  // namespace runjournal::detail
