// connection.hpp — opening SQLite connections to a journal file safely.
//
// Order matters here. A file is first inspected without writing a byte:
// the header is read by hand (is it SQLite at all?), then a read-only
// connection reads application_id, user_version and the schema. Only a file
// that passes, or one that is missing or empty, is then opened for writing
// and has its PRAGMAs set. So a file that is refused is left byte-for-byte
// as it was.
#pragma once

#include <filesystem>
#include <memory>

#include <SQLiteCpp/Database.h>

#include <runjournal/options.hpp>

namespace runjournal::detail {

// "RJRN": PRAGMA application_id of every journal (SQLite file header, offset 68).
inline constexpr std::int64_t kApplicationId = 0x524A524E;

// Refuses a file that must not be touched, or says it is new:
// - missing: NotFound unless `create`; returns true (initialise it);
// - empty (0 bytes, or SQLite with no schema and no application id): true,
//   or NotFound (file untouched) unless `create`;
// - not SQLite, or SQLite that is not a journal: NotAJournal;
// - a journal from a newer runjournal: SchemaTooNew, unless `read_only` and
//   its compatible version is one this library knows (require_readable,
//   require_writable in migrator.hpp);
// - a journal: false; then `keep_open`, when given, receives the read-only
//   connection that inspected it, still open (Journal::open holds it until
//   the Journal has a connection of its own).
// With `read_only` nothing is ever written: `create` must be false, and a
// hot rollback journal left by a crash during creation is not rolled back
// (Io: a writer must open it first).
bool inspect_file(const std::filesystem::path& path, bool create, bool read_only, const std::string& vfs,
                  std::unique_ptr<SQLite::Database>* keep_open = nullptr);

// The writer connection: read-write (and create), WAL checked, synchronous
// per `durability`, busy timeout, defensive mode, trusted_schema off,
// journal_size_limit, and auto_vacuum=INCREMENTAL on a new file. Like
// every connection opened here, it never checkpoints when it closes, so
// closing takes no lock a reader could trip over; install_checkpoint_hook
// keeps its WAL bounded instead. Opened without SQLite's own mutex: the
// caller must never use it from two threads at once.
std::unique_ptr<SQLite::Database> open_writer(const std::filesystem::path& path, Durability durability,
                                              std::chrono::milliseconds busy_timeout, bool is_new,
                                              const std::string& vfs);

// A reader connection: read-only, busy timeout, defensive mode, no
// checkpoint at close; like the writer's, without SQLite's own mutex. It
// reads a journal this process may not write too (open_read_only).
std::unique_ptr<SQLite::Database> open_reader(const std::filesystem::path& path,
                                              std::chrono::milliseconds busy_timeout,
                                              const std::string& vfs);

// A read-only connection that has read the file's header (so any lock or
// WAL-index problem shows here). In WAL mode a reader needs the -shm file:
// where it cannot make one (the folder is read-only and no writer has the
// file open, so no -wal or -shm is there), SQLite refuses ("attempt to write
// a readonly database"). Then, and only then, the file is opened with
// `immutable=1`: nobody can be writing it, since a writer could not make
// its -wal either (docs/guarantees.md, "Reading"). It never checkpoints at
// close.
std::unique_ptr<SQLite::Database> open_read_only(const std::filesystem::path& path, int flags,
                                                 std::chrono::milliseconds busy_timeout, const std::string& vfs);

// What the writer's checkpoints remember between commits.
struct CheckpointHook {
  bool emptied_wal = false;  // a TRUNCATE checkpoint has emptied the WAL
};

// Replaces SQLite's auto-checkpoint on the writer connection: after a commit
// that leaves 1000 frames in the WAL (SQLite's threshold), a checkpoint that
// never waits for a lock; the connection's first ones empty the WAL file
// (TRUNCATE) until one succeeds, the later ones are PASSIVE. So the WAL
// stays bounded though no connection checkpoints at close, also when every
// process writes once. `hook` must outlive the connection.
void install_checkpoint_hook(SQLite::Database& db, CheckpointHook& hook);

// Sets synchronous on an open connection (FULL or NORMAL).
void set_durability(SQLite::Database& db, Durability durability);

}  // namespace runjournal::detail
