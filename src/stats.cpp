// stats.cpp — Journal::stats(): what a person asks first about a journal.
//
// Counts and positions come from one read transaction, so they agree with
// each other; file sizes are read from the file system right after and may
// be a moment newer.
#include <runjournal/journal.hpp>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <sqlite3.h>

#include "journal_impl.hpp"
#include "meta_store.hpp"
#include "sqlite_util.hpp"

namespace runjournal {
namespace {

// PRAGMAs about the file itself; they belong to no table.
constexpr const char* kPageSize = "PRAGMA page_size";
constexpr const char* kPageCount = "PRAGMA page_count";
constexpr const char* kFreelistCount = "PRAGMA freelist_count";
constexpr const char* kUserVersion = "PRAGMA user_version";

constexpr RunStatus kStatuses[] = {RunStatus::Created,     RunStatus::Planning,  RunStatus::Executing,
                                   RunStatus::Verifying,   RunStatus::Interrupted, RunStatus::Completed,
                                   RunStatus::Failed,      RunStatus::Cancelled};

// 0 for a file that is not there (a WAL removed by the last close).
std::int64_t size_of(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

}  // namespace

JournalStats Journal::stats() const {
  JournalStats stats;
  stats.path = impl_->path.string();
  for (RunStatus status : kStatuses) stats.runs_by_status[std::string(to_string(status))] = 0;
  impl_->read("reading statistics", [&](SQLite::Database& db, detail::EventStore& events, detail::RunStore& runs) {
    detail::ReadTransaction snapshot(db);
    for (const auto& [status, count] : runs.count_by_status()) {
      stats.runs_by_status[status] = count;
      stats.runs += count;
    }
    stats.events = events.count();
    stats.first_position = events.min_position();
    stats.last_position = events.max_position();
    const detail::Meta meta = detail::load_meta(db);
    stats.journal_id = meta.journal_id;
    stats.assigned_position = std::max(meta.last_position, stats.last_position);
    stats.projector_version = meta.projector_version;
    stats.page_size = detail::pragma_int(db, kPageSize);
    stats.page_count = detail::pragma_int(db, kPageCount);
    stats.free_pages = detail::pragma_int(db, kFreelistCount);
    stats.schema_version = detail::pragma_int(db, kUserVersion);
  });
  stats.file_bytes = size_of(impl_->path);
  stats.wal_bytes = size_of(impl_->path.string() + "-wal");
  stats.sqlite_version = sqlite3_libversion();
  return stats;
}

}  // namespace runjournal
