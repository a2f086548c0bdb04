// runjournal-shell-probe: the writers tools/shell_read_probe.sh runs beside
// the stock sqlite3 shell, to measure how often the shell's reads of a live
// file fail with "database is locked" (docs/sql.md, "Reading a live journal
// with the sqlite3 shell"). A measurement tool, not a test.
//
//   runjournal-shell-probe raw-append FILE          one raw C append, one process
//   runjournal-shell-probe raw-host FILE N PAUSE_MS a long-lived raw C writer
//   runjournal-shell-probe host FILE N PAUSE_MS     a long-lived runjournal host
//
// The raw writer is the baseline: SQLite's C API alone, in WAL mode with
// synchronous=FULL (the journal's default durability), that keeps its WAL
// and does not checkpoint when it closes (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
// SQLITE_FCNTL_PERSIST_WAL), so it causes none of the lock windows of a
// close. Whatever the shell still trips over beside it is SQLite's own.
// Each raw append creates its table if needed and writes one row in one
// transaction, as one `runjournal append` process does.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include <sqlite3.h>

#include <runjournal/journal.hpp>

namespace {

void check(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  throw std::runtime_error(std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

class RawWriter {
 public:
  explicit RawWriter(const std::string& path) {
    check(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), db_, "open");
    // Another writer's transaction is waited for, as the journal's writer does.
    sqlite3_busy_timeout(db_, 10'000);
    // No checkpoint, no EXCLUSIVE lock and no WAL removal at close.
    check(sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr), db_, "no checkpoint on close");
    exec("PRAGMA journal_mode = WAL");
    int persist = 1;
    check(sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist), db_, "persist WAL");
    exec("PRAGMA synchronous = FULL");
    exec("CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, run_id TEXT NOT NULL, "
         "seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL)");
    check(sqlite3_prepare_v2(db_,
                             "INSERT INTO events (run_id, seq, ts_ms, kind, payload) "
                             "VALUES ('r', (SELECT count(*) + 1 FROM events), ?, 'step', '{\"i\":1}')",
                             -1, &insert_, nullptr),
          db_, "prepare");
  }
  ~RawWriter() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  RawWriter(const RawWriter&) = delete;
  RawWriter& operator=(const RawWriter&) = delete;

  void append() {
    exec("BEGIN IMMEDIATE");
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    sqlite3_bind_int64(insert_, 1, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    check(sqlite3_step(insert_), db_, "insert");
    sqlite3_reset(insert_);
    exec("COMMIT");
  }

 private:
  void exec(const char* sql) { check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), db_, sql); }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

long number(const char* text, const char* what) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0) throw std::runtime_error(std::string("bad ") + what + ": " + text);
  return value;
}

int usage() {
  std::fputs(
      "usage: runjournal-shell-probe raw-append FILE\n"
      "       runjournal-shell-probe raw-host FILE N PAUSE_MS\n"
      "       runjournal-shell-probe host FILE N PAUSE_MS\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  const std::string path = argv[2];
  try {
    if (mode == "raw-append" && argc == 3) {
      RawWriter(path).append();
      return 0;
    }
    if ((mode == "raw-host" || mode == "host") && argc == 5) {
      const long n = number(argv[3], "N");
      const auto pause = std::chrono::milliseconds(number(argv[4], "PAUSE_MS"));
      if (mode == "raw-host") {
        RawWriter writer(path);
        for (long i = 0; i < n; ++i) {
          writer.append();
          std::this_thread::sleep_for(pause);
        }
      } else {
        runjournal::Journal journal = runjournal::Journal::open(path);
        const runjournal::Run run = journal.create_run({.session_id = "probe"});
        for (long i = 0; i < n; ++i) {
          journal.append(run.run_id, "step", {{"i", i}});
          std::this_thread::sleep_for(pause);
        }
      }
      return 0;  // the writer closes here, as a host that exits does
    }
    return usage();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runjournal-shell-probe: %s\n", e.what());
    return 1;
  }
}
