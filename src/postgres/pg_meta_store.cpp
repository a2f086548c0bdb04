// pg_meta_store.cpp — journal_meta and the schema version on PostgreSQL
// (pg_stores.hpp).
#include <fmt/format.h>

#include <runjournal/error.hpp>
#include <runjournal/journal.hpp>

#include "postgres/pg_stores.hpp"

namespace runjournal::detail {

Meta PgMetaStore::load() {
  const pg::Result r = conn_.exec(
      "SELECT journal_id, created_at_ms, projector_version, last_position, projected_position, compatible_version, "
      "library_version FROM journal_meta WHERE singleton = 1");
  if (r.rows() == 0) throw Error(ErrorCode::Corrupt, "journal_meta has no row");
  Meta meta;
  meta.journal_id = std::string(r.text(0, r.column("journal_id")));
  meta.created_at_ms = r.int64(0, r.column("created_at_ms"));
  meta.projector_version = r.int64(0, r.column("projector_version"));
  meta.last_position = r.int64(0, r.column("last_position"));
  meta.projected_position = r.int64(0, r.column("projected_position"));
  meta.compatible_version = r.int64(0, r.column("compatible_version"));
  meta.library_version = std::string(r.text(0, r.column("library_version")));
  return meta;
}

// GREATEST: the counter row is a floor that only rises (pg_sessions.cpp
// raises it at every commit; a save never lowers what another raised).
void PgMetaStore::save_positions(std::int64_t last_position, std::int64_t projected_position) {
  conn_.exec(
      "UPDATE journal_meta SET last_position = GREATEST(last_position, $1), projected_position = $2 "
      "WHERE singleton = 1",
      {last_position, projected_position});
}

void PgMetaStore::save_projector_version(std::int64_t version) {
  const std::string library(runjournal::version());
  conn_.exec("UPDATE journal_meta SET projector_version = $1, library_version = $2 WHERE singleton = 1",
             {version, library});
}

std::int64_t pg_schema_version(pg::Connection& conn) {
  const pg::Result r = conn.exec("SELECT coalesce(max(version), 0)::bigint AS version FROM journal_migrations");
  return r.int64(0, r.column("version"));
}

}  // namespace runjournal::detail
