// fault_vfs.hpp — a SQLite VFS for tests that fails on command and can
// simulate a power loss.
//
// It is a shim over the default VFS (sqlite3_vfs_find(nullptr)), registered
// under kFaultVfsName; a Journal uses it through Options::vfs, a raw
// SQLiteCpp connection through the Database constructor's VFS argument.
// Every call goes through to the default VFS unless a fault is armed:
//
// - Faults: count the xRead, xWrite, xSync and xTruncate calls on every file
//   opened through the VFS; arm_fault() makes the Nth call of one kind (from
//   now, 1-based) return a SQLite error code instead of doing anything, once
//   or for every later call of that kind too.
// - Power loss: arm_power_loss() holds the writes to main databases and WAL
//   files until the file is synced (the bytes do reach the file at once, but
//   what they replaced is kept, so they can be taken back). At the k-th
//   xSync from now the power fails: every unsynced write and truncate is
//   taken back (with random_subset, a random subset of the unsynced writes
//   is then applied again, in random order: a disk that reorders its
//   cache), that sync and every later operation fail with SQLITE_IOERR, and
//   the test then closes the journal and reopens the real files with the
//   default VFS. Shared memory (-shm, xShm*) is memory, not disk: it passes
//   through.
//
// xSync is never passed on to the disk (a test needs the model of what a
// sync makes durable, not the disk's, and a real fsync costs milliseconds):
// files written through this VFS are not durable against a real crash of
// the machine.
//
// Thread safety: the state is process-wide and behind one mutex; the VFS may
// be used by several connections and threads at once. Tests that arm it must
// not run concurrently with each other (doctest runs cases one at a time).
#pragma once

#include <cstdint>

namespace runjournal::test {

inline constexpr const char* kFaultVfsName = "runjournal-fault";

// Registers the VFS (once; later calls do nothing). Not the default VFS.
void install_fault_vfs();

enum class FaultOp { Read, Write, Sync, Truncate };

struct Fault {
  FaultOp op = FaultOp::Write;
  std::int64_t nth = 1;     // the Nth call of `op` after arm_fault(), 1-based
  bool persistent = false;  // also fail every later call of `op`
  int rc = 10;              // a SQLite result code (SQLITE_IOERR = 10, SQLITE_FULL = 13, …)
};

// Operations on files opened through the VFS, since the last reset_fault_vfs().
struct FaultCounts {
  std::int64_t reads = 0;
  std::int64_t writes = 0;
  std::int64_t syncs = 0;
  std::int64_t truncates = 0;
  std::int64_t injected = 0;  // calls that failed because of a fault or a power loss
};

// Disarms everything, forgets held writes and zeroes the counts.
void reset_fault_vfs();
// Counting restarts at arm time for the armed kind.
void arm_fault(const Fault& fault);
void disarm_fault();
FaultCounts fault_counts();

struct PowerLoss {
  std::int64_t at_sync = 1;    // the power fails at this xSync after arming, 1-based
  bool random_subset = false;  // re-apply a random subset of unsynced writes
  std::uint32_t seed = 0;      // for random_subset
};
void arm_power_loss(const PowerLoss& plan);
// True once the power has failed (until reset_fault_vfs()).
bool power_failed();
// How many xSync calls the VFS saw while power loss was armed (before it
// failed): a workload's sync count, to sweep k over.
std::int64_t power_syncs_seen();

}  // namespace runjournal::test
