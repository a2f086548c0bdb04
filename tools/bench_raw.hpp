// bench_raw.hpp — the raw-SQLite baseline the benchmark compares against:
// the same inserts through the C API with reused prepared statements, the
// same WAL mode and synchronous level, and the same runs upsert, but none of
// the journal's checks, projection, idempotency or group commit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace runjournal::bench {

class RawJournal {
 public:
  RawJournal(const std::filesystem::path& path, bool full_sync);
  ~RawJournal();
  RawJournal(const RawJournal&) = delete;
  RawJournal& operator=(const RawJournal&) = delete;

  // `count` events for `run_id`, `per_txn` to a transaction; each event is
  // an INSERT into events and an upsert of the run's row.
  void append(const std::string& run_id, std::int64_t count, std::int64_t per_txn);
  // `count` events spread round-robin over `runs` runs (r0, r1, …), `per_txn`
  // to a transaction: the write pattern of that many threads appending to
  // their own runs, the events of one group commit in one transaction.
  void append_interleaved(int runs, std::int64_t count, std::int64_t per_txn);
  // Reads one run's events in seq order and parses each payload.
  std::int64_t read_run(const std::string& run_id);

 private:
  void exec(const char* sql);
  // One event: the insert and the runs upsert, with the next position.
  void write_event(const std::string& run_id, std::int64_t seq);
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_event_ = nullptr;
  sqlite3_stmt* upsert_run_ = nullptr;
  std::int64_t position_ = 0;
  std::int64_t seq_ = 0;
};

// Opens the file the way a plain SQLite program would (WAL, prepared
// insert) and closes it again: the baseline for Journal::open.
void raw_open(const std::filesystem::path& path);

// Scans every event in position order and parses each payload with
// nlohmann::json: the baseline for rebuild. Returns the number of events.
std::int64_t raw_scan_parse(const std::filesystem::path& path);

}  // namespace runjournal::bench
