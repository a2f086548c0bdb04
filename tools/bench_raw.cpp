#include "bench_raw.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace runjournal::bench {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, run_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, idempotency_key TEXT, UNIQUE (run_id, seq));"
    "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, event_count INTEGER NOT NULL, "
    "last_seq INTEGER NOT NULL, last_position INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);";
constexpr const char* kInsertEvent =
    "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) VALUES (?, ?, ?, ?, 'tool_called', ?)";
constexpr const char* kUpsertRun =
    "INSERT INTO runs (run_id, status, event_count, last_seq, last_position, updated_at_ms) "
    "VALUES (?1, 'executing', 1, ?2, ?3, ?4) ON CONFLICT (run_id) DO UPDATE SET "
    "event_count = event_count + 1, last_seq = ?2, last_position = ?3, updated_at_ms = ?4";
constexpr const char* kPayload = R"({"tool_name":"search","args":{"query":"quarterly report","limit":10}})";

void check(int rc, sqlite3* db) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db));
}

}  // namespace

RawJournal::RawJournal(const std::filesystem::path& path, bool full_sync) {
  check(sqlite3_open(path.c_str(), &db_), db_);
  exec("PRAGMA journal_mode = WAL");
  exec(full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  exec(kSchema);
  check(sqlite3_prepare_v2(db_, kInsertEvent, -1, &insert_event_, nullptr), db_);
  check(sqlite3_prepare_v2(db_, kUpsertRun, -1, &upsert_run_, nullptr), db_);
}

RawJournal::~RawJournal() {
  sqlite3_finalize(insert_event_);
  sqlite3_finalize(upsert_run_);
  sqlite3_close(db_);
}

void RawJournal::exec(const char* sql) { check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), db_); }

void RawJournal::write_event(const std::string& run_id, std::int64_t seq) {
  ++position_;
  sqlite3_bind_int64(insert_event_, 1, position_);
  sqlite3_bind_text(insert_event_, 2, run_id.c_str(), static_cast<int>(run_id.size()), SQLITE_STATIC);
  sqlite3_bind_int64(insert_event_, 3, seq);
  sqlite3_bind_int64(insert_event_, 4, 1'700'000'000'000 + position_);
  sqlite3_bind_text(insert_event_, 5, kPayload, -1, SQLITE_STATIC);
  check(sqlite3_step(insert_event_), db_);
  sqlite3_reset(insert_event_);
  sqlite3_bind_text(upsert_run_, 1, run_id.c_str(), static_cast<int>(run_id.size()), SQLITE_STATIC);
  sqlite3_bind_int64(upsert_run_, 2, seq);
  sqlite3_bind_int64(upsert_run_, 3, position_);
  sqlite3_bind_int64(upsert_run_, 4, 1'700'000'000'000 + position_);
  check(sqlite3_step(upsert_run_), db_);
  sqlite3_reset(upsert_run_);
}

void RawJournal::append(const std::string& run_id, std::int64_t count, std::int64_t per_txn) {
  for (std::int64_t done = 0; done < count;) {
    exec("BEGIN IMMEDIATE");
    for (std::int64_t i = 0; i < per_txn && done < count; ++i, ++done) write_event(run_id, ++seq_);
    exec("COMMIT");
  }
}

void RawJournal::append_interleaved(int runs, std::int64_t count, std::int64_t per_txn) {
  std::vector<std::int64_t> seqs(static_cast<std::size_t>(runs), 0);
  std::vector<std::string> ids;
  for (int r = 0; r < runs; ++r) ids.push_back("r" + std::to_string(r));
  for (std::int64_t done = 0; done < count;) {
    exec("BEGIN IMMEDIATE");
    for (std::int64_t i = 0; i < per_txn && done < count; ++i, ++done) {
      const auto r = static_cast<std::size_t>(done % runs);
      write_event(ids[r], ++seqs[r]);
    }
    exec("COMMIT");
  }
}

std::int64_t RawJournal::read_run(const std::string& run_id) {
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db_,
                           "SELECT position, run_id, seq, ts_ms, kind, payload FROM events WHERE run_id = ? "
                           "ORDER BY seq",
                           -1, &stmt, nullptr),
        db_);
  sqlite3_bind_text(stmt, 1, run_id.c_str(), static_cast<int>(run_id.size()), SQLITE_STATIC);
  std::int64_t n = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 5));
    n += nlohmann::json::parse(text).size() > 0 ? 1 : 0;
  }
  sqlite3_finalize(stmt);
  return n;
}

void raw_open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db), db);
  check(sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr), db);
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db, kInsertEvent, -1, &stmt, nullptr), db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

std::int64_t raw_scan_parse(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), db);
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v2(db, "SELECT run_id, seq, kind, payload FROM events ORDER BY position", -1, &stmt, nullptr),
        db);
  std::int64_t n = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    n += nlohmann::json::parse(text).is_object() ? 1 : 0;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

}  // namespace runjournal::bench
