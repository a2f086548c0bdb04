// migrator.cpp — inspecting a schema, applying the migrations it lacks.
#include "postgres/migrator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <runjournal/error.hpp>

#include "postgres/transaction.hpp"

namespace runjournal::pg {
namespace {

constexpr std::string_view kCurrentSchema = "SELECT current_schema() AS schema";
// Relations that make a schema "not empty"; indexes and TOAST tables come
// with tables, and functions or types alone do not make a journal's
// statements collide.
constexpr std::string_view kRelations =
    "SELECT c.relname AS name FROM pg_catalog.pg_class AS c "
    "JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') "
    "ORDER BY c.relname";
constexpr std::string_view kApplied = "SELECT version, name FROM journal_migrations ORDER BY version";
constexpr std::string_view kRecord =
    "INSERT INTO journal_migrations (version, name, applied_at_ms) "
    "VALUES ($1, $2, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)";
// One lock per schema of a database: "RJRN", the SQLite application id, and
// the schema's name hashed.
constexpr std::string_view kLock = "SELECT pg_advisory_xact_lock(1380602446, hashtext(current_schema()))";

constexpr std::string_view kMarkTable = "journal_migrations";

}  // namespace

SchemaState inspect(Connection& connection, std::span<const Migration> known) {
  SchemaState state;
  const Result schema = connection.exec(kCurrentSchema);
  if (schema.rows() != 1 || schema.is_null(0, schema.column("schema"))) {
    throw Error(ErrorCode::InvalidArgument,
                "the connection's search_path names no schema that exists: there is nowhere for the journal");
  }
  state.schema = std::string(schema.text(0, schema.column("schema")));

  const Result relations = connection.exec(kRelations);
  const int name_col = relations.column("name");
  bool marked = false;
  std::vector<std::string> others;
  for (int i = 0; i < relations.rows(); ++i) {
    const std::string_view name = relations.text(i, name_col);
    if (name == kMarkTable) marked = true;
    else if (others.size() < 3) others.emplace_back(name);
  }
  if (!marked) {
    if (relations.rows() == 0) return state;
    throw Error(ErrorCode::NotAJournal,
                fmt::format("schema {} of this database is not a journal: it holds {} and no {} (give the journal "
                            "a schema or a database of its own)",
                            state.schema, fmt::join(others, ", "), kMarkTable));
  }

  const Result applied = connection.exec(kApplied);
  const int version_col = applied.column("version");
  const int applied_name_col = applied.column("name");
  for (int i = 0; i < applied.rows(); ++i) {
    const std::int64_t version = applied.int64(i, version_col);
    const std::string_view name = applied.text(i, applied_name_col);
    if (version != i + 1) {
      throw Error(ErrorCode::Corrupt, fmt::format("schema {}: journal_migrations skips from version {} to {}",
                                                  state.schema, i, version));
    }
    if (static_cast<std::size_t>(i) < known.size() && name != known[static_cast<std::size_t>(i)].name) {
      throw Error(ErrorCode::Corrupt, fmt::format("schema {}: migration {} is recorded as {}, which this "
                                                  "runjournal knows as {}",
                                                  state.schema, version, name,
                                                  known[static_cast<std::size_t>(i)].name));
    }
  }
  state.version = applied.rows();
  if (state.version == 0) {
    throw Error(ErrorCode::Corrupt, fmt::format("schema {}: journal_migrations is empty", state.schema));
  }
  return state;
}

MigrationOutcome migrate(Connection& connection, std::span<const Migration> known) {
  const int newest = static_cast<int>(known.size());
  MigrationOutcome outcome;
  const SchemaState first = inspect(connection, known);
  outcome.from_version = first.version;
  const auto too_new = [&](const SchemaState& s) {
    return Error(ErrorCode::SchemaTooNew,
                 fmt::format("schema {} is at version {}, newer than this runjournal's {}: a newer runjournal "
                             "migrated it",
                             s.schema, s.version, newest));
  };
  if (first.version > newest) throw too_new(first);
  int version = first.version;
  for (const Migration& m : known) {
    if (m.version <= version) continue;
    Transaction tx(connection);
    connection.exec(kLock);
    // Another host may have migrated while this one waited for the lock;
    // in READ COMMITTED this statement sees what it committed.
    const SchemaState now = inspect(connection, known);
    if (now.version > newest) throw too_new(now);
    version = now.version;
    if (m.version <= version) continue;  // the destructor ends the empty transaction
    connection.exec(m.sql);
    connection.exec(kRecord, {m.version, m.name});
    tx.commit();
    version = m.version;
  }
  outcome.to_version = version;
  return outcome;
}

}  // namespace runjournal::pg
