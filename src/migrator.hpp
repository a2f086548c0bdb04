// migrator.hpp — brings a journal file to the schema this library knows.
#pragma once

#include <cstdint>
#include <string>

#include <SQLiteCpp/Database.h>

#include "meta_store.hpp"

namespace runjournal::detail {

// The schema version a fully migrated file has (PRAGMA user_version).
int latest_schema_version();

// Whether this runjournal may read, and may write, a journal whose schema
// version is `file_schema` and whose journal_meta is `meta` (docs/format.md,
// "Identity and versions"): it reads any file whose compatible version it
// knows, and writes only files whose schema and projector are not newer
// than its own. Each throws Error(SchemaTooNew) naming both sides' versions
// and the runjournal that wrote the file; `where` starts the message.
void require_readable(const std::string& where, std::int64_t file_schema, const Meta& meta);
void require_writable(const std::string& where, std::int64_t file_schema, const Meta& meta);

// Applies every migration the file lacks, in order, each in its own
// BEGIN IMMEDIATE transaction together with its user_version bump (and, for
// the first, the application_id). The version is re-read inside each
// transaction, so two processes opening one new file at once do not apply a
// migration twice. Throws SchemaTooNew (require_writable) for a file newer
// than the library, before writing anything.
void migrate(SQLite::Database& db);

}  // namespace runjournal::detail
