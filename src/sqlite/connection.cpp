#include "sqlite/connection.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <cstring>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <fmt/std.h>
#include <sqlite3.h>

#include <SQLiteCpp/Statement.h>

#include "sqlite/meta_store.hpp"
#include "sqlite/migrator.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {
namespace {

// Every database option, and why.
//
// journal_size_limit: after a checkpoint resets the WAL, SQLite truncates it
// to this size, so one burst of writes does not leave a huge -wal file behind.
constexpr std::int64_t kJournalSizeLimit = 64LL * 1024 * 1024;
// The writer checkpoints once a commit leaves this many frames in the WAL:
// SQLite's own auto-checkpoint threshold, kept (see checkpoint_when_due).
constexpr int kCheckpointFrames = 1000;

constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

// Set while the writer's checkpoint hook runs its checkpoint, on the thread
// that committed (checkpoint_when_due): that checkpoint never waits.
thread_local bool busy_wait_off = false;

// SQLite calls this while another connection (in any process) holds the
// lock it needs; returning 1 means "try again". It sleeps a jittered,
// growing delay (1 ms doubling to 32 ms, each ±50 %), so that processes that
// collided once do not collide again in lockstep, and gives up when the wait
// for this one lock passes the journal's busy_timeout: the caller then gets
// ErrorCode::Busy with nothing written. `count` restarts at 0 for every new
// lock, and one lock is waited for by one thread, hence thread_local.
// While busy_wait_off is set it gives up at once.
int jittered_busy_wait(void* timeout_ms, int count) {
  if (busy_wait_off) return 0;
  thread_local std::chrono::steady_clock::time_point started;
  thread_local std::mt19937 rng{std::random_device{}()};
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) started = now;
  const auto limit = std::chrono::milliseconds(reinterpret_cast<std::intptr_t>(timeout_ms));
  if (now - started >= limit) return 0;
  const double base_us = 1000.0 * static_cast<double>(1 << std::min(count, 5));
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  auto delay = std::chrono::microseconds(static_cast<std::int64_t>(base_us * jitter(rng)));
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(limit - (now - started));
  std::this_thread::sleep_for(std::min(delay, left));
  return 1;
}

// No connection of ours checkpoints when it closes. SQLite's last connection
// to close takes an EXCLUSIVE lock on the database file, checkpoints (and
// syncs), and deletes the WAL and the WAL index; one that is not the last
// still takes the PENDING lock on its way out. Either way a reader that
// starts meanwhile without a busy handler, the stock sqlite3 shell, fails
// with "database is locked" (sqlite.org/wal.html, "Sometimes Queries Return
// SQLITE_BUSY In WAL Mode"): 1000 of 4520 shell reads failed beside 300
// `runjournal append` processes (tools/shell_read_probe.sh, docs/sql.md).
// The WAL stays bounded without that checkpoint: see install_checkpoint_hook.
// With no checkpoint at close SQLite never deletes the WAL, so
// SQLITE_FCNTL_PERSIST_WAL is not needed too.
void no_checkpoint_on_close(SQLite::Database& db) {
  sqlite3_db_config(db.getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
}

void harden(SQLite::Database& db, std::chrono::milliseconds busy_timeout) {
  // Defensive mode: SQL cannot corrupt the file through writable_schema,
  // direct shadow-table writes and the like.
  sqlite3_db_config(db.getHandle(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  no_checkpoint_on_close(db);
  // Functions in the schema (none today) must not run with side effects
  // when a hostile file is opened.
  db.exec("PRAGMA trusted_schema = OFF");
  sqlite3_busy_handler(db.getHandle(), &jittered_busy_wait,
                       reinterpret_cast<void*>(static_cast<std::intptr_t>(busy_timeout.count())));
}

// `path` as a URI filename with `immutable=1` (sqlite.org/uri.html): '%',
// '?' and '#' are escaped, the rest is kept.
std::string immutable_uri(const std::filesystem::path& path) {
  std::string uri = "file:";
  for (char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// What SQLite says when a read-only connection cannot set up the WAL index
// (no -shm it may create or write).
bool is_cannot_share(int extended) {
  return extended == SQLITE_READONLY || extended == SQLITE_READONLY_CANTINIT ||
         extended == SQLITE_READONLY_DIRECTORY || extended == SQLITE_CANTOPEN || extended == SQLITE_READONLY_CANTLOCK;
}

}  // namespace

std::unique_ptr<SQLite::Database> open_read_only(const std::filesystem::path& path, int flags,
                                                 std::chrono::milliseconds busy_timeout, const std::string& vfs) {
  const int timeout_ms = static_cast<int>(busy_timeout.count());
  auto db = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READONLY | flags, timeout_ms, vfs);
  no_checkpoint_on_close(*db);
  try {
    detail::application_id(*db);  // the first read sets up the WAL index
    return db;
  } catch (const SQLite::Exception& e) {
    std::error_code ec;
    const bool writer_present = std::filesystem::exists(path.string() + "-wal", ec) || ec;
    if (!is_cannot_share(e.getExtendedErrorCode()) || writer_present) throw;
  }
  db = std::make_unique<SQLite::Database>(immutable_uri(path), SQLite::OPEN_READONLY | SQLite::OPEN_URI | flags,
                                          timeout_ms, vfs);
  no_checkpoint_on_close(*db);
  detail::application_id(*db);
  return db;
}

bool inspect_file(const std::filesystem::path& path, bool create, bool read_only, const std::string& vfs,
                  std::unique_ptr<SQLite::Database>* keep_open) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (read_only) create = false;
  if (!exists) {
    if (!create) throw Error(ErrorCode::NotFound, fmt::format("no journal at {}", path));
    return true;
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(ErrorCode::NotAJournal, fmt::format("{} is a directory, not a journal", path));
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(ErrorCode::Io, fmt::format("cannot read {}: {}", path, ec.message()));
  if (size == 0) {
    if (!create) throw Error(ErrorCode::NotFound, fmt::format("{} is empty: no journal there yet", path));
    return true;
  }

  std::array<char, 100> header{};
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::Io, fmt::format("cannot open {}", path));
    in.read(header.data(), header.size());
    if (in.gcount() < static_cast<std::streamsize>(header.size()) ||
        std::memcmp(header.data(), kSqliteMagic, sizeof kSqliteMagic) != 0) {
      throw Error(ErrorCode::NotAJournal, fmt::format("{} is not a SQLite file, so not a journal", path));
    }
  }

  // A hot rollback journal beside the file (a transaction cut short by a
  // crash or an I/O error while the file was still being created, before it
  // switched to WAL) makes the read-only inspection fail with
  // SQLITE_READONLY_ROLLBACK: only a read-write connection may roll it back,
  // and until one does the file could never be opened again. When the
  // header says the file is ours (or not yet anyone's), roll it back first,
  // as any SQLite client would; a foreign database is still left untouched.
  // Found by tests/fault_test.cpp (SQLITE_FULL at a write during creation).
  const auto header_application_id = (std::int64_t{static_cast<unsigned char>(header[68])} << 24) |
                                     (std::int64_t{static_cast<unsigned char>(header[69])} << 16) |
                                     (std::int64_t{static_cast<unsigned char>(header[70])} << 8) |
                                     std::int64_t{static_cast<unsigned char>(header[71])};
  return translate_errors(fmt::format("inspecting {}", path), [&] {
    // The first read is a pragma, not a query of sqlite_schema: the
    // application id and user version come from the header without SQLite
    // parsing the whole schema, which the writer connection does anyway.
    std::unique_ptr<SQLite::Database> inspector;
    try {
      inspector = open_read_only(path, 0, std::chrono::milliseconds(5000), vfs);
    } catch (const SQLite::Exception& e) {
      // Only when the header says the file is ours (or not yet anyone's):
      // a foreign database is left untouched; and never for a read-only
      // open, which writes nothing.
      if (e.getExtendedErrorCode() != SQLITE_READONLY_ROLLBACK ||
          (header_application_id != 0 && header_application_id != kApplicationId)) {
        throw;
      }
      if (read_only) {
        throw Error(ErrorCode::Io, fmt::format("{} holds a transaction cut short by a crash; open it once for "
                                               "writing to roll it back",
                                               path));
      }
      {
        SQLite::Database rw(path.string(), SQLite::OPEN_READWRITE, 5000, vfs);
        pragma_int(rw, "SELECT count(*) FROM sqlite_schema");  // reading rolls the hot journal back
      }
      inspector = open_read_only(path, 0, std::chrono::milliseconds(5000), vfs);
    }
    SQLite::Database& db = *inspector;
    sqlite3_db_config(db.getHandle(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    const std::int64_t application_id = detail::application_id(db);
    const std::int64_t user_version = detail::user_version(db);
    if (application_id == 0 && user_version == 0 &&
        pragma_int(db, "SELECT count(*) FROM sqlite_schema") == 0) {  // an empty SQLite file
      if (!create) throw Error(ErrorCode::NotFound, fmt::format("{} is an empty database: no journal there yet", path));
      return true;
    }
    if (application_id != kApplicationId) {
      throw Error(ErrorCode::NotAJournal,
                  fmt::format("{} is a SQLite database but not a runjournal journal (application_id {})",
                              path, application_id));
    }
    if (user_version > latest_schema_version()) {
      const Meta meta = SqliteMetaStore(db).load();
      require_readable(path.string(), user_version, latest_schema_version(), meta);
      if (!read_only) require_writable(path.string(), user_version, latest_schema_version(), meta);
    }
    // Still open, so that the WAL index outlives it until the Journal has
    // its own connection (Journal::open).
    if (keep_open != nullptr) *keep_open = std::move(inspector);
    return false;
  });
}

void set_durability(SQLite::Database& db, Durability durability) {
  // FULL syncs the WAL at every commit: a commit survives power loss.
  // NORMAL syncs only at checkpoints: a commit survives a process crash.
  db.exec(durability == Durability::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

std::unique_ptr<SQLite::Database> open_writer(const std::filesystem::path& path, Durability durability,
                                              std::chrono::milliseconds busy_timeout, bool is_new,
                                              const std::string& vfs) {
  return translate_errors(fmt::format("opening {}", path), [&] {
    // NOMUTEX: the writer's own lock (Writer::db_mu_) already serialises
    // every use of this connection; SQLite's per-call mutex would only add
    // a lock and an unlock to every API call.
    auto db = std::make_unique<SQLite::Database>(
        path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
        static_cast<int>(busy_timeout.count()), vfs);
    harden(*db, busy_timeout);
    if (is_new) {
      // Must precede the first table: lets retention give pages back with
      // PRAGMA incremental_vacuum instead of a full VACUUM. A file that
      // already has a header (an empty SQLite database) only takes the
      // setting through a VACUUM, which costs nothing while it has no tables.
      db->exec("PRAGMA auto_vacuum = INCREMENTAL");
      if (pragma_int(*db, "PRAGMA auto_vacuum") != 2 && pragma_int(*db, "SELECT count(*) FROM sqlite_schema") == 0) {
        db->exec("VACUUM");
      }
    }
    // WAL: readers never block the writer, and the stock sqlite3 shell can
    // read a live journal. The pragma answers the mode it got; anything but
    // "wal" (a file system without shared memory, say) is refused.
    {
      SQLite::Statement stmt(*db, "PRAGMA journal_mode = WAL");
      stmt.executeStep();
      const std::string mode = stmt.getColumn(0).getString();
      if (mode != "wal") {
        throw Error(ErrorCode::Io, fmt::format("{}: journal_mode is {}, WAL could not be enabled", path, mode));
      }
    }
    set_durability(*db, durability);
    db->exec(fmt::format("PRAGMA journal_size_limit = {}", kJournalSizeLimit));
    return db;
  });
}

namespace {

// SQLite's auto-checkpoint is a PASSIVE checkpoint after a commit that
// leaves kCheckpointFrames frames in the WAL. This hook replaces it, with
// two changes:
//
// - Until it has once emptied the WAL, the connection's checkpoint is a
//   TRUNCATE. With no checkpoint at close, the WAL a process leaves behind
//   keeps its frames, and the next process to open the file rebuilds the
//   WAL index from them: it cannot tell which were copied into the database
//   already, so to it none were. A PASSIVE checkpoint copies them all, but
//   the WAL only starts over at the next write transaction after it, which
//   never comes when each process writes once (the command line): the WAL
//   would grow by every process's frames, each copying it all again. A
//   TRUNCATE empties the WAL file itself. After that, PASSIVE, as SQLite
//   does: the WAL then starts over in place, and a commit's sync does not
//   also have to grow the file. (A TRUNCATE at every threshold cost a third
//   of the durable single-thread appends: `runjournal-bench --only "1
//   thread, 1 event/txn, full"`, ratio 0.64 against 0.93 before, three runs
//   each; this way, 0.87, the WAL's one extra growth in a round of 2000.)
// - It never waits. With a busy handler a TRUNCATE would hold the commit
//   that triggered it until every reader has left the WAL and no other
//   process writes. Without one it does what it can: when another process
//   is writing, SQLite makes it a PASSIVE one (what its own auto-checkpoint
//   would have run there, so the WAL-reset race of docs/guarantees.md meets
//   no checkpoint it did not meet before); when a reader still needs part
//   of the WAL it copies the rest and a later commit tries again. Readers
//   never wait for it either: they read from the database file what is
//   copied.
//
// The commit has happened whatever the checkpoint does: its failure (busy,
// or an I/O error that the next commit meets too) is dropped, as SQLite's
// auto-checkpoint drops it.
int checkpoint_when_due(void* state, sqlite3* db, const char* schema, int frames) {
  if (frames < kCheckpointFrames) return SQLITE_OK;
  CheckpointHook& hook = *static_cast<CheckpointHook*>(state);
  const int mode = hook.emptied_wal ? SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_TRUNCATE;
  busy_wait_off = true;
  const int rc = sqlite3_wal_checkpoint_v2(db, schema, mode, nullptr, nullptr);
  busy_wait_off = false;
  // SQLITE_OK from a TRUNCATE: it copied every frame and emptied the file.
  if (rc == SQLITE_OK) hook.emptied_wal = true;
  return SQLITE_OK;
}

}  // namespace

void install_checkpoint_hook(SQLite::Database& db, CheckpointHook& hook) {
  sqlite3_wal_hook(db.getHandle(), &checkpoint_when_due, &hook);
}

std::unique_ptr<SQLite::Database> open_reader(const std::filesystem::path& path,
                                              std::chrono::milliseconds busy_timeout,
                                              const std::string& vfs) {
  return translate_errors(fmt::format("opening {} for reading", path), [&] {
    // NOMUTEX: callers serialise each reader (Journal::Impl::read_mu).
    auto db = open_read_only(path, SQLite::OPEN_NOMUTEX, busy_timeout, vfs);
    harden(*db, busy_timeout);
    return db;
  });
}

}  // namespace runjournal::detail
