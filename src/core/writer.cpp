// writer.cpp — the process's one Writer per journal (writer.hpp): finding
// or opening it, bringing `runs` up to date at open, rebuild, the
// heartbeat lease. Group commit itself is group_commit.cpp's.
#include "core/writer.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "core/driver.hpp"
#include "core/projector.hpp"
#include "core/replay.hpp"
#include "core/versions.hpp"

namespace runjournal::detail {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mu;
  return mu;
}

// Writers by the journal's identity, not its name, so two paths to one
// file (a symlink, "./a" and "a") still share one session.
std::map<std::string, std::weak_ptr<Writer>>& registry() {
  static std::map<std::string, std::weak_ptr<Writer>> writers;
  return writers;
}

// A run's rows are cached across a group: read once, written once.
constexpr std::size_t kGroupCacheCapacity = 1 << 16;
}  // namespace

Writer::Writer(std::unique_ptr<WriteSession> session)
    : session_(std::move(session)), cache_(session_->runs(), kGroupCacheCapacity) {}

Writer::~Writer() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  flusher_cv_.notify_all();
  // The flusher drains what is queued before it stops: an accepted
  // asynchronous append is committed or failed, never dropped.
  if (flusher_.joinable()) flusher_.join();
}

std::shared_ptr<Writer> Writer::acquire(Backend& backend, const Options& options) {
  std::lock_guard lock(registry_mutex());
  if (auto id = backend.identity()) {
    auto it = registry().find(*id);
    if (it != registry().end()) {
      if (auto writer = it->second.lock()) {
        // Several Journals on one journal share a session; the strongest
        // durability any of them asked for wins.
        std::lock_guard writer_lock(writer->db_mu_);
        WriteSession& session = *writer->session_;
        if (options.durability == Durability::Full && session.durability() != Durability::Full) {
          session.guard("setting durability", [&] { session.set_durability(Durability::Full); });
        }
        writer->lease_ttl_ms_ = std::max<std::int64_t>(writer->lease_ttl_ms_, options.lease_ttl.count());
        return writer;
      }
    }
  }
  auto writer = std::make_shared<Writer>(backend.open_writer(options.durability));
  writer->lease_ttl_ms_ = options.lease_ttl.count();
  const Driver self = options.driver ? *options.driver : this_process_driver();
  writer->lease_host_ = self.host;
  writer->lease_boot_id_ = self.boot_id;
  writer->reconcile_projection();
  if (auto id = backend.identity()) registry()[*id] = writer;
  return writer;
}

void Writer::reconcile_projection() {
  std::lock_guard lock(db_mu_);
  invalidate_cache();
  WriteSession& session = *session_;
  session.guard("bringing runs up to date", [&] {
    const Meta meta = session.meta().load();
    // runs derived by a newer projector is never re-derived by an older one.
    require_writable(session, session.latest_schema_version(), meta);
    const bool stale_version = meta.projector_version != kProjectorVersion;
    if (!stale_version && !runs_lag(meta, session.events().newest())) return;  // the usual open: no history is read
    Transaction txn(session);
    const Meta current = session.meta().load();  // another process may have done it meanwhile
    require_writable(session, session.latest_schema_version(), current);
    if (current.projector_version != kProjectorVersion) {
      rebuild_in_transaction({});
    } else {
      catch_up_in_transaction();
    }
    txn.commit();
  });
}

bool Writer::runs_lag(const Meta& meta, const std::optional<std::pair<std::int64_t, std::string>>& newest) {
  // Every commit projects the events it inserts, so runs reflects them all
  // unless something else inserted events: then the newest one is (at
  // least) not in its run's row. One more index descent, no history read.
  if (!newest || newest->first <= meta.projected_position) return false;
  return session_->runs().last_position(newest->second).value_or(0) < newest->first;
}

std::int64_t Writer::catch_up_in_transaction() {
  WriteSession& session = *session_;
  const Meta meta = session.meta().load();
  // Reached after another connection wrote: a newer runjournal may have
  // migrated the journal or re-derived runs meanwhile, and then this one
  // must stop writing it (the transaction rolls back; nothing is written).
  require_writable(session, session.schema_version(), meta);
  const auto newest = session.events().newest();
  const std::int64_t max_position = newest ? newest->first : 0;
  const std::int64_t last_assigned = std::max(meta.last_position, max_position);
  meta_projected_ = meta.projected_position;
  if (!runs_lag(meta, newest)) return last_assigned;
  project_events_after(session.events(), session.runs(), meta.projected_position, {});
  session.meta().save_positions(last_assigned, max_position);
  meta_projected_ = max_position;
  return last_assigned;
}

RebuildReport Writer::rebuild_in_transaction(const Progress& progress) {
  WriteSession& session = *session_;
  const Meta meta = session.meta().load();
  session.runs().delete_all();
  RebuildReport report = project_events_after(session.events(), session.runs(), 0, progress);
  const std::int64_t max_position = session.events().max_position();
  session.meta().save_positions(std::max(meta.last_position, max_position), max_position);
  meta_projected_ = max_position;
  session.meta().save_projector_version(kProjectorVersion);
  return report;
}

RebuildReport Writer::rebuild(const Progress& progress) {
  std::lock_guard lock(db_mu_);
  invalidate_cache();
  return guarded(*session_, "rebuild", [&] {
    Transaction txn(*session_);
    RebuildReport report = rebuild_in_transaction(progress);
    txn.commit();
    return report;
  });
}

void Writer::write_lease(const std::string& host, const std::string& boot_id, std::int64_t expires_at_ms) {
  session_->leases().refresh(host, boot_id, expires_at_ms);
}

void Writer::heartbeat(const Driver& self, std::int64_t ttl_ms) {
  std::lock_guard lock(db_mu_);
  const std::int64_t now_ms = system_clock_ms();
  session_->guard("refreshing the heartbeat lease", [&] {
    Transaction txn(*session_);
    write_lease(self.host, self.boot_id, now_ms + ttl_ms);
    txn.commit();
  });
  // Only the writer's own host is refreshed by commits; another driver's
  // lease is kept by its Journal's heartbeat() calls.
  if (self.host == lease_host_ && self.boot_id == lease_boot_id_) {
    lease_due_ms_ = now_ms + std::max<std::int64_t>(lease_ttl_ms_ / 6, 1);
  }
}

void Writer::with_session(std::string_view what, const std::function<void(WriteSession&)>& fn) {
  std::lock_guard lock(db_mu_);
  invalidate_cache();
  session_->guard(what, [&] { fn(*session_); });
}

void Writer::invalidate_cache() noexcept {
  cache_.clear();
  cache_valid_ = false;
}

CommitStats commit_stats_of(const std::filesystem::path& path, const Options& options) {
  std::unique_ptr<Backend> backend = open_backend(path, options);
  return Writer::acquire(*backend, options)->commit_stats();
}

CommitStats Writer::commit_stats() {
  std::lock_guard lock(db_mu_);
  return stats_;
}

}  // namespace runjournal::detail
