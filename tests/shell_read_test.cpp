// shell_read_test: what lets the stock sqlite3 shell, which has no busy
// handler, read a live journal (docs/sql.md, "Reading a live journal with
// the sqlite3 shell"). A reader without a busy handler fails with "database
// is locked" whenever it starts inside a lock window; these tests record,
// through a VFS shim over the default one, the calls that open such windows:
//
// - an EXCLUSIVE (or PENDING) lock on the database file, which SQLite takes
//   when a connection closes, to checkpoint and delete the WAL and the WAL
//   index if it is the last one;
// - a rebuild of the WAL index, which the first connection to open the file
//   runs holding the WAL's exclusive locks (its signature: an exclusive
//   xShmLock on the recovery lock, slot 2, which nothing else takes).
//
// And that, with no checkpoint at close, the WAL still stays bounded and a
// reader still never holds a commit up. How often the shell's reads fail,
// measured: tools/shell_read_probe.sh.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <runjournal/journal.hpp>

#include "sqlite_file.hpp"
#include "test_support.hpp"

using runjournal::Journal;
using runjournal::test::TempDir;
using runjournal::test::wal_size;

namespace {

constexpr const char* kRecordingVfsName = "runjournal-lock-recording";
constexpr int kWalRecoverLock = 2;  // SQLite's WAL_RECOVER_LOCK slot (wal.c)

// What the files opened through the VFS asked for, since the last reset.
struct Record {
  int strongest_db_lock = SQLITE_LOCK_NONE;  // on main database files
  int wal_deletes = 0;                       // xDelete of a "-wal" file
  int shm_deletes = 0;                       // xShmUnmap asked to delete the -shm file
  int index_rebuilds = 0;                    // exclusive xShmLock on the recovery slot
};

struct Recorder {
  std::mutex mu;
  Record record;
  sqlite3_vfs* root = nullptr;
  sqlite3_vfs vfs{};
};

Recorder& recorder() {
  static Recorder r;
  return r;
}

struct RecordingFile {
  sqlite3_file base;  // first: SQLite sees a sqlite3_file
  sqlite3_file* real;
  bool main_db;
};

constexpr std::size_t kRealOffset = (sizeof(RecordingFile) + 7) / 8 * 8;

sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<RecordingFile*>(file)->real; }

int x_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  return real_of(f)->pMethods->xRead(real_of(f), buf, n, offset);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  return real_of(f)->pMethods->xWrite(real_of(f), buf, n, offset);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return real_of(f)->pMethods->xTruncate(real_of(f), size); }
int x_sync(sqlite3_file* f, int flags) { return real_of(f)->pMethods->xSync(real_of(f), flags); }
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return real_of(f)->pMethods->xFileSize(real_of(f), size); }
int x_lock(sqlite3_file* f, int level) {
  if (reinterpret_cast<RecordingFile*>(f)->main_db) {
    std::lock_guard lock(recorder().mu);
    int& strongest = recorder().record.strongest_db_lock;
    if (level > strongest) strongest = level;
  }
  return real_of(f)->pMethods->xLock(real_of(f), level);
}
int x_unlock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xUnlock(real_of(f), level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int x_device_characteristics(sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  if ((flags & SQLITE_SHM_LOCK) != 0 && (flags & SQLITE_SHM_EXCLUSIVE) != 0 && offset <= kWalRecoverLock &&
      kWalRecoverLock < offset + n) {
    std::lock_guard lock(recorder().mu);
    ++recorder().record.index_rebuilds;
  }
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  if (delete_flag != 0) {
    std::lock_guard lock(recorder().mu);
    ++recorder().record.shm_deletes;
  }
  return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}

// Version 2: shared memory, no memory-mapped reads.
const sqlite3_io_methods kMethods = {
    2,           x_close,     x_read,        x_write,      x_truncate,     x_sync,
    x_file_size, x_lock,      x_unlock,      x_check_reserved_lock,        x_file_control,
    x_sector_size,            x_device_characteristics,    x_shm_map,      x_shm_lock,
    x_shm_barrier,            x_shm_unmap,   nullptr,      nullptr,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* f = reinterpret_cast<RecordingFile*>(file);
  f->base.pMethods = nullptr;  // no xClose for a file whose open failed
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  f->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  sqlite3_vfs* root = recorder().root;
  const int rc = root->xOpen(root, name, f->real, flags, out_flags);
  if (rc == SQLITE_OK) f->base.pMethods = &kMethods;
  return rc;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  const std::string_view n(name);
  if (n.size() >= 4 && n.substr(n.size() - 4) == "-wal") {
    std::lock_guard lock(recorder().mu);
    ++recorder().record.wal_deletes;
  }
  return recorder().root->xDelete(recorder().root, name, sync_dir);
}

int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return recorder().root->xAccess(recorder().root, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return recorder().root->xFullPathname(recorder().root, name, n, out);
}
int x_randomness(sqlite3_vfs*, int n, char* out) { return recorder().root->xRandomness(recorder().root, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return recorder().root->xSleep(recorder().root, us); }
int x_current_time(sqlite3_vfs*, double* out) { return recorder().root->xCurrentTime(recorder().root, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return recorder().root->xGetLastError(recorder().root, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return recorder().root->xCurrentTimeInt64(recorder().root, out);
}

// What was recorded since the last call, which starts a new record; the
// first call registers the VFS.
Record take_record() {
  static std::once_flag once;
  std::call_once(once, [] {
    Recorder& r = recorder();
    r.root = sqlite3_vfs_find(nullptr);
    r.vfs.iVersion = 2;
    r.vfs.szOsFile = static_cast<int>(kRealOffset) + r.root->szOsFile;
    r.vfs.mxPathname = r.root->mxPathname;
    r.vfs.zName = kRecordingVfsName;
    r.vfs.xOpen = x_open;
    r.vfs.xDelete = x_delete;
    r.vfs.xAccess = x_access;
    r.vfs.xFullPathname = x_full_pathname;
    r.vfs.xRandomness = x_randomness;
    r.vfs.xSleep = x_sleep;
    r.vfs.xCurrentTime = x_current_time;
    r.vfs.xGetLastError = x_get_last_error;
    r.vfs.xCurrentTimeInt64 = x_current_time_int64;
    sqlite3_vfs_register(&r.vfs, 0);
  });
  std::lock_guard lock(recorder().mu);
  return std::exchange(recorder().record, Record{});
}

runjournal::Options recording() {
  runjournal::Options options;
  options.vfs = kRecordingVfsName;
  return options;
}

// A journal with one run, written and closed through the default VFS.
std::filesystem::path small_journal(const TempDir& dir) {
  const auto path = dir.file("j.journal");
  Journal journal = Journal::open(path);
  journal.create_run({.session_id = "s", .run_id = "r"});
  journal.append("r", "step", {{"i", 0}});
  return path;
}

}  // namespace

TEST_CASE("closing a journal takes no lock on the database file beyond SHARED and keeps its WAL") {
  TempDir dir;
  const auto path = small_journal(dir);
  take_record();
  {
    Journal journal = Journal::open(path, recording());
    journal.append("r", "step", {{"i", 1}});
    CHECK(journal.run("r")->event_count == 3);  // through the reader connection
  }
  const Record closed = take_record();
  // Before: the last connection to close asked for EXCLUSIVE, checkpointed
  // and deleted both the WAL and the WAL index.
  CHECK(closed.strongest_db_lock == SQLITE_LOCK_SHARED);
  CHECK(closed.wal_deletes == 0);
  CHECK(closed.shm_deletes == 0);
  CHECK(std::filesystem::exists(path.string() + "-wal"));
  // What the WAL holds is the journal's: a fresh open reads it all.
  CHECK(Journal::open(path).run("r")->event_count == 3);
}

TEST_CASE("closing a journal beside another open connection does not ask for EXCLUSIVE either") {
  TempDir dir;
  const auto path = small_journal(dir);
  // Another reader holds the file open: a closing connection that is not
  // the last used to take the PENDING lock (on its way to EXCLUSIVE) all
  // the same, and new readers could not start until it was gone.
  SQLite::Database other(path.string(), SQLite::OPEN_READONLY);
  CHECK(SQLite::Statement(other, "SELECT count(*) FROM events").executeStep());
  take_record();
  { Journal::open(path, recording()).append("r", "step", {{"i", 1}}); }
  CHECK(take_record().strongest_db_lock == SQLITE_LOCK_SHARED);
}

TEST_CASE("opening a closed journal rebuilds the WAL index once, not once per connection") {
  TempDir dir;
  const auto path = small_journal(dir);
  take_record();
  {
    Journal journal = Journal::open(path, recording());
    // The first connection must rebuild the index: nobody had the file
    // open. Before, the inspecting connection closed before the writer's
    // opened, so the writer found nobody either and rebuilt it again.
    CHECK(take_record().index_rebuilds == 1);
    journal.append("r", "step", {{"i", 1}});
    CHECK(journal.run("r")->event_count == 3);
    CHECK(take_record().index_rebuilds == 0);
  }
  SUBCASE("a read-only Journal too: its inspecting connection stays open until its reader is") {
    take_record();
    runjournal::Options options = recording();
    options.read_only = true;
    Journal reader = Journal::open(path, options);
    CHECK(reader.run("r")->event_count == 3);
    CHECK(take_record().index_rebuilds == 1);
  }
  SUBCASE("and not at all while another connection has it open") {
    SQLite::Database other(path.string(), SQLite::OPEN_READONLY);
    CHECK(SQLite::Statement(other, "SELECT count(*) FROM events").executeStep());
    take_record();
    { Journal::open(path, recording()).append("r", "step", {{"i", 2}}); }
    CHECK(take_record().index_rebuilds == 0);
  }
}

TEST_CASE("with one write transaction per open, the WAL stays bounded") {
  // As a command-line process that writes once: open, one transaction,
  // close (append_async refreshes no lease, so it is one transaction).
  // Without a checkpoint at close, SQLite's PASSIVE auto-checkpoint never
  // lets the WAL start over here (the WAL starts over at the next write
  // transaction after a checkpoint, and the next open rebuilds the index
  // and counts every frame as not yet copied): the WAL would grow by every
  // open's frames.
  TempDir dir;
  const auto path = dir.file("j.journal");
  { Journal::open(path, {.durability = runjournal::Durability::Normal}).create_run({.session_id = "s", .run_id = "r"}); }
  const nlohmann::json payload = {{"text", std::string(16 * 1024, 'x')}};  // overflow pages: many frames a write
  // 1000 frames (SQLite's threshold, src/sqlite/connection.cpp) and a commit's more.
  constexpr std::uintmax_t kBound = (1000 + 64) * (4096 + 24) + 32;
  std::uintmax_t largest = 0;
  for (int i = 0; i < 400; ++i) {
    Journal::open(path, {.durability = runjournal::Durability::Normal}).append_async("r", "step", payload).get();
    largest = std::max(largest, wal_size(path));
  }
  CHECK(largest > 512 * 1024);  // the workload does cross the threshold, several times
  CHECK(largest <= kBound);
  CHECK(Journal::open(path).verify().ok());
}

TEST_CASE("a reader in the WAL holds no commit up, and a later commit empties the WAL") {
  TempDir dir;
  const auto path = dir.file("j.journal");
  runjournal::Options options;
  options.busy_timeout = std::chrono::milliseconds(3000);
  Journal journal = Journal::open(path, options);
  journal.create_run({.session_id = "s", .run_id = "r"});
  const nlohmann::json payload = {{"text", std::string(16 * 1024, 'x')}};
  // A reader holds a snapshot: no checkpoint can empty the WAL under it.
  auto reader = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READONLY);
  reader->exec("BEGIN");
  CHECK(SQLite::Statement(*reader, "SELECT count(*) FROM events").executeStep());
  // Past the threshold every commit tries a checkpoint; one that waited for
  // the reader would take the whole busy timeout.
  auto slowest = std::chrono::steady_clock::duration::zero();
  int appended = 0;
  while (appended < 250 && slowest < std::chrono::milliseconds(1500)) {
    const auto start = std::chrono::steady_clock::now();
    journal.append("r", "step", payload);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
    ++appended;
  }
  CHECK(slowest < std::chrono::milliseconds(1500));
  CHECK(wal_size(path) > 1000u * 4096);  // past the threshold, not emptied
  reader.reset();
  journal.append("r", "step", payload);  // the reader has gone: emptied
  CHECK(wal_size(path) == 0);
  CHECK(journal.run("r")->event_count == appended + 2);
}
