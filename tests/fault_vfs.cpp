#include "fault_vfs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <sqlite3.h>

namespace runjournal::test {
namespace {

// What an unsynced write or truncate replaced: written back, newest first,
// when the power fails.
struct Undo {
  sqlite3_int64 offset = 0;
  std::string old_bytes;
};

struct HeldWrite {
  sqlite3_int64 offset = 0;
  std::string bytes;
};

// One main database or WAL file, by full path: a file may be closed and
// opened again (or opened by two connections) between two syncs.
struct PathState {
  std::string path;
  sqlite3_int64 synced_size = -1;  // -1: nothing unsynced since the last sync
  std::vector<Undo> undo;
  std::vector<HeldWrite> unsynced;
  std::vector<sqlite3_file*> open;  // the real files open on this path now
};

struct FaultFile {
  sqlite3_file base;  // must come first: SQLite sees a sqlite3_file
  sqlite3_file* real;
  PathState* state;  // null for files whose writes are not held
};

struct Global {
  std::mutex mu;
  sqlite3_vfs* root = nullptr;
  sqlite3_vfs vfs{};
  FaultCounts counts;
  std::optional<Fault> fault;
  std::int64_t fault_seen = 0;
  std::optional<PowerLoss> power;
  std::int64_t power_syncs = 0;
  bool failed = false;
  // Never erased while a file may point at it: states are only emptied.
  std::map<std::string, std::unique_ptr<PathState>> paths;
};

Global& global() {
  static Global g;
  return g;
}

int error_for(FaultOp op) {
  switch (op) {
    case FaultOp::Read: return SQLITE_IOERR_READ;
    case FaultOp::Write: return SQLITE_IOERR_WRITE;
    case FaultOp::Sync: return SQLITE_IOERR_FSYNC;
    case FaultOp::Truncate: return SQLITE_IOERR_TRUNCATE;
  }
  return SQLITE_IOERR;
}

std::int64_t& count_of(FaultCounts& c, FaultOp op) {
  switch (op) {
    case FaultOp::Read: return c.reads;
    case FaultOp::Write: return c.writes;
    case FaultOp::Sync: return c.syncs;
    case FaultOp::Truncate: return c.truncates;
  }
  return c.reads;
}

// Counts one call; returns the error it must fail with, or SQLITE_OK.
int check(Global& g, FaultOp op) {
  ++count_of(g.counts, op);
  if (g.failed) {
    ++g.counts.injected;
    return error_for(op);
  }
  if (g.fault && g.fault->op == op) {
    ++g.fault_seen;
    if (g.fault_seen == g.fault->nth || (g.fault->persistent && g.fault_seen > g.fault->nth)) {
      ++g.counts.injected;
      return g.fault->rc;
    }
  }
  return SQLITE_OK;
}

sqlite3_int64 real_size(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) return 0;
  return size;
}

// The unix VFS moves at most 128 KiB - 1 in one xRead or xWrite (it masks
// the count with 0x1ffff; SQLite never asks for more than a page), so larger
// copies, such as undoing the truncation of a big WAL, go in pieces.
constexpr sqlite3_int64 kMaxIo = 64 * 1024;

// The bytes [offset, offset + n) that exist now (fewer past the end).
std::string read_existing(sqlite3_file* real, sqlite3_int64 offset, sqlite3_int64 n) {
  const sqlite3_int64 size = real_size(real);
  if (offset >= size) return {};
  std::string bytes(static_cast<std::size_t>(std::min(n, size - offset)), '\0');
  for (sqlite3_int64 done = 0; done < static_cast<sqlite3_int64>(bytes.size()); done += kMaxIo) {
    const sqlite3_int64 piece = std::min(kMaxIo, static_cast<sqlite3_int64>(bytes.size()) - done);
    real->pMethods->xRead(real, bytes.data() + done, static_cast<int>(piece), offset + done);
  }
  return bytes;
}

bool holding(const Global& g, const FaultFile* f) { return f->state != nullptr && g.power && !g.failed; }

void start_holding(PathState& st, sqlite3_file* real) {
  if (st.synced_size < 0) st.synced_size = real_size(real);
}

// Writes to the file on disk, through an open handle if there is one (a
// second POSIX descriptor closed here would drop the process's locks).
void raw_write(PathState& st, sqlite3_int64 offset, const std::string& bytes) {
  if (!st.open.empty()) {
    sqlite3_file* real = st.open.front();
    for (sqlite3_int64 done = 0; done < static_cast<sqlite3_int64>(bytes.size()); done += kMaxIo) {
      const sqlite3_int64 piece = std::min(kMaxIo, static_cast<sqlite3_int64>(bytes.size()) - done);
      real->pMethods->xWrite(real, bytes.data() + done, static_cast<int>(piece), offset + done);
    }
    return;
  }
  const int fd = ::open(st.path.c_str(), O_WRONLY);
  if (fd < 0) return;
  const ssize_t ignored = ::pwrite(fd, bytes.data(), bytes.size(), offset);
  (void)ignored;
  ::close(fd);
}

void raw_truncate(PathState& st, sqlite3_int64 size) {
  if (!st.open.empty()) {
    sqlite3_file* real = st.open.front();
    real->pMethods->xTruncate(real, size);
    return;
  }
  const int ignored = ::truncate(st.path.c_str(), size);
  (void)ignored;
}

// The power fails: every file goes back to what its last sync made durable,
// then (random_subset) some of the unsynced writes land anyway, in any order.
void fail_power(Global& g) {
  g.failed = true;
  std::mt19937 rng(g.power->seed);
  for (auto& [path, st] : g.paths) {
    if (st->synced_size < 0) continue;
    for (auto it = st->undo.rbegin(); it != st->undo.rend(); ++it) raw_write(*st, it->offset, it->old_bytes);
    raw_truncate(*st, st->synced_size);
    if (g.power->random_subset) {
      std::vector<HeldWrite> landed;
      for (HeldWrite& w : st->unsynced) {
        if (rng() % 2 == 0) landed.push_back(std::move(w));
      }
      std::shuffle(landed.begin(), landed.end(), rng);
      for (const HeldWrite& w : landed) raw_write(*st, w.offset, w.bytes);
    }
    st->undo.clear();
    st->unsynced.clear();
    st->synced_size = -1;
  }
}

FaultFile* as_fault(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file); }

// Where the real file starts inside the sqlite3_file SQLite allocates for us.
constexpr std::size_t kRealOffset = (sizeof(FaultFile) + 7) / 8 * 8;

int x_close(sqlite3_file* file) {
  Global& g = global();
  FaultFile* f = as_fault(file);
  {
    std::lock_guard lock(g.mu);
    if (f->state != nullptr) {
      auto& open = f->state->open;
      open.erase(std::remove(open.begin(), open.end(), f->real), open.end());
    }
  }
  return f->real->pMethods->xClose(f->real);
}

int x_read(sqlite3_file* file, void* buf, int n, sqlite3_int64 offset) {
  Global& g = global();
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g.mu);
  if (const int rc = check(g, FaultOp::Read); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xRead(f->real, buf, n, offset);
}

int x_write(sqlite3_file* file, const void* buf, int n, sqlite3_int64 offset) {
  Global& g = global();
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g.mu);
  if (const int rc = check(g, FaultOp::Write); rc != SQLITE_OK) return rc;
  if (holding(g, f)) {
    start_holding(*f->state, f->real);
    f->state->undo.push_back({offset, read_existing(f->real, offset, n)});
    f->state->unsynced.push_back({offset, std::string(static_cast<const char*>(buf), static_cast<std::size_t>(n))});
  }
  return f->real->pMethods->xWrite(f->real, buf, n, offset);
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  Global& g = global();
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g.mu);
  if (const int rc = check(g, FaultOp::Truncate); rc != SQLITE_OK) return rc;
  if (holding(g, f)) {
    start_holding(*f->state, f->real);
    const sqlite3_int64 current = real_size(f->real);
    if (current > size) f->state->undo.push_back({size, read_existing(f->real, size, current - size)});
  }
  return f->real->pMethods->xTruncate(f->real, size);
}

int x_sync(sqlite3_file* file, int flags) {
  Global& g = global();
  FaultFile* f = as_fault(file);
  std::lock_guard lock(g.mu);
  if (const int rc = check(g, FaultOp::Sync); rc != SQLITE_OK) return rc;
  // The real fsync is never made: these tests need the model of what a sync
  // makes durable, not the disk's (which costs milliseconds a call).
  (void)flags;
  if (!g.power) return SQLITE_OK;
  if (++g.power_syncs == g.power->at_sync) {
    ++g.counts.injected;
    fail_power(g);
    return SQLITE_IOERR_FSYNC;
  }
  if (f->state != nullptr) {  // what this file holds is durable now
    f->state->undo.clear();
    f->state->unsynced.clear();
    f->state->synced_size = -1;
  }
  return SQLITE_OK;
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  Global& g = global();
  {
    std::lock_guard lock(g.mu);
    if (g.failed) return SQLITE_IOERR_FSTAT;
  }
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xFileSize(real, size);
}

int x_lock(sqlite3_file* file, int level) {
  Global& g = global();
  {
    std::lock_guard lock(g.mu);
    if (g.failed) return SQLITE_IOERR_LOCK;
  }
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xLock(real, level);
}

// Unlocking always goes through, so that a connection closed after a power
// loss still lets go of its locks.
int x_unlock(sqlite3_file* file, int level) {
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xUnlock(real, level);
}

int x_check_reserved_lock(sqlite3_file* file, int* out) {
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xCheckReservedLock(real, out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xFileControl(real, op, arg);
}

int x_sector_size(sqlite3_file* file) {
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xSectorSize(real);
}

int x_device_characteristics(sqlite3_file* file) {
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xDeviceCharacteristics(real);
}

int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  Global& g = global();
  {
    std::lock_guard lock(g.mu);
    if (g.failed) return SQLITE_IOERR_SHMMAP;
  }
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xShmMap(real, region, size, extend, out);
}

int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xShmLock(real, offset, n, flags);
}

void x_shm_barrier(sqlite3_file* file) {
  sqlite3_file* real = as_fault(file)->real;
  real->pMethods->xShmBarrier(real);
}

int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  sqlite3_file* real = as_fault(file)->real;
  return real->pMethods->xShmUnmap(real, delete_flag);
}

// Version 2: shared memory (WAL needs it) but no xFetch, so SQLite never
// reads pages through a memory map that would bypass xRead.
const sqlite3_io_methods kMethods = {
    2,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    nullptr,
    nullptr,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  Global& g = global();
  FaultFile* f = as_fault(file);
  f->base.pMethods = nullptr;  // SQLite calls no xClose on a file whose open failed
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  f->state = nullptr;
  {
    std::lock_guard lock(g.mu);
    if (g.failed) return SQLITE_CANTOPEN;
  }
  const int rc = g.root->xOpen(g.root, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  f->base.pMethods = &kMethods;
  if (name != nullptr && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) != 0) {
    std::lock_guard lock(g.mu);
    auto& slot = g.paths[name];
    if (!slot) slot = std::make_unique<PathState>(PathState{.path = name});
    f->state = slot.get();
    f->state->open.push_back(f->real);
  }
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  Global& g = global();
  {
    std::lock_guard lock(g.mu);
    if (g.failed) return SQLITE_IOERR_DELETE;
    // Deleting is treated as durable: SQLite deletes a WAL only after a
    // checkpoint that synced the database.
    if (auto it = g.paths.find(name); it != g.paths.end()) {
      it->second->undo.clear();
      it->second->unsynced.clear();
      it->second->synced_size = -1;
    }
  }
  return g.root->xDelete(g.root, name, sync_dir);
}

int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  Global& g = global();
  return g.root->xAccess(g.root, name, flags, out);
}

int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  Global& g = global();
  return g.root->xFullPathname(g.root, name, n, out);
}

void* x_dl_open(sqlite3_vfs*, const char* name) { return global().root->xDlOpen(global().root, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { global().root->xDlError(global().root, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return global().root->xDlSym(global().root, handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) { global().root->xDlClose(global().root, handle); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return global().root->xRandomness(global().root, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return global().root->xSleep(global().root, us); }
int x_current_time(sqlite3_vfs*, double* out) { return global().root->xCurrentTime(global().root, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) { return global().root->xGetLastError(global().root, n, out); }
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return global().root->xCurrentTimeInt64(global().root, out);
}

}  // namespace

void install_fault_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    Global& g = global();
    g.root = sqlite3_vfs_find(nullptr);
    sqlite3_vfs& v = g.vfs;
    v.iVersion = 2;
    // Room for our header and, after it, the real file (8-byte aligned).
    v.szOsFile = static_cast<int>(kRealOffset) + g.root->szOsFile;
    v.mxPathname = g.root->mxPathname;
    v.zName = kFaultVfsName;
    v.xOpen = x_open;
    v.xDelete = x_delete;
    v.xAccess = x_access;
    v.xFullPathname = x_full_pathname;
    v.xDlOpen = x_dl_open;
    v.xDlError = x_dl_error;
    v.xDlSym = x_dl_sym;
    v.xDlClose = x_dl_close;
    v.xRandomness = x_randomness;
    v.xSleep = x_sleep;
    v.xCurrentTime = x_current_time;
    v.xGetLastError = x_get_last_error;
    v.xCurrentTimeInt64 = x_current_time_int64;
    sqlite3_vfs_register(&v, 0);
  });
}

void reset_fault_vfs() {
  Global& g = global();
  std::lock_guard lock(g.mu);
  g.counts = {};
  g.fault.reset();
  g.fault_seen = 0;
  g.power.reset();
  g.power_syncs = 0;
  g.failed = false;
  for (auto& [path, st] : g.paths) {
    st->undo.clear();
    st->unsynced.clear();
    st->synced_size = -1;
  }
}

void arm_fault(const Fault& fault) {
  Global& g = global();
  std::lock_guard lock(g.mu);
  g.fault = fault;
  g.fault_seen = 0;
}

void disarm_fault() {
  Global& g = global();
  std::lock_guard lock(g.mu);
  g.fault.reset();
}

FaultCounts fault_counts() {
  Global& g = global();
  std::lock_guard lock(g.mu);
  return g.counts;
}

void arm_power_loss(const PowerLoss& plan) {
  Global& g = global();
  std::lock_guard lock(g.mu);
  g.power = plan;
  g.power_syncs = 0;
  g.failed = false;
}

bool power_failed() {
  Global& g = global();
  std::lock_guard lock(g.mu);
  return g.failed;
}

std::int64_t power_syncs_seen() {
  Global& g = global();
  std::lock_guard lock(g.mu);
  return g.power_syncs;
}

}  // namespace runjournal::test
