// stats.cpp — Journal::stats(): what a person asks first about a journal.
//
// Counts and positions come from one read snapshot, so they agree with each
// other; the storage's figures (file sizes) are read in it too, from the
// file system, and may be a moment newer.
#include <runjournal/journal.hpp>

#include <algorithm>

#include "core/backend.hpp"
#include "core/journal_impl.hpp"

namespace runjournal {
namespace {

constexpr RunStatus kStatuses[] = {RunStatus::Created,     RunStatus::Planning,  RunStatus::Executing,
                                   RunStatus::Verifying,   RunStatus::Interrupted, RunStatus::Completed,
                                   RunStatus::Failed,      RunStatus::Cancelled};

}  // namespace

JournalStats Journal::stats() const {
  JournalStats stats;
  // The backend's name: the path, or a URI without its password.
  stats.path = impl_->backend->name();
  for (RunStatus status : kStatuses) stats.runs_by_status[std::string(to_string(status))] = 0;
  detail::StorageStats storage;
  impl_->read("reading statistics", [&](detail::ReadSession& s) {
    detail::Snapshot snapshot(s);
    detail::EventStore& events = s.events();
    for (const auto& [status, count] : s.runs().count_by_status()) {
      stats.runs_by_status[status] = count;
      stats.runs += count;
    }
    stats.events = events.count();
    stats.first_position = events.min_position();
    stats.last_position = events.max_position();
    const detail::Meta meta = s.meta().load();
    stats.journal_id = meta.journal_id;
    stats.assigned_position = std::max(meta.last_position, stats.last_position);
    stats.projector_version = meta.projector_version;
    storage = s.storage_stats();
  });
  stats.page_size = storage.page_size;
  stats.page_count = storage.page_count;
  stats.free_pages = storage.free_pages;
  stats.schema_version = storage.schema_version;
  stats.file_bytes = storage.file_bytes;
  stats.wal_bytes = storage.wal_bytes;
  stats.sqlite_version = storage.engine_version;
  return stats;
}

}  // namespace runjournal
