#include "writer.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>
#include <sys/stat.h>

#include "connection.hpp"
#include "driver.hpp"
#include "lease_store.hpp"
#include "meta_store.hpp"
#include "migrator.hpp"
#include "projector.hpp"
#include "replay.hpp"
#include "sqlite_util.hpp"

namespace runjournal::detail {
namespace {

// Writers are found by the file's identity, not its name, so two paths to
// one file (a symlink, "./a" and "a") still share one connection.
using FileId = std::pair<dev_t, ino_t>;

std::optional<FileId> file_id(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::mutex& registry_mutex() {
  static std::mutex mu;
  return mu;
}

std::map<FileId, std::weak_ptr<Writer>>& registry() {
  static std::map<FileId, std::weak_ptr<Writer>> writers;
  return writers;
}

// A run's rows are cached across a group: read once, written once.
constexpr std::size_t kGroupCacheCapacity = 1 << 16;
// ... and across commits, while no other connection writes the file, up to
// this many runs (the live runs of a busy host); past it the cache starts
// afresh at the next commit.
constexpr std::size_t kKeepAcrossCommits = 1024;
// Gathering (see lead()) is worth it only when a commit's flush is slow
// enough for callers to come back meanwhile (a durable commit's fsync); and
// it never waits more than kMaxGatherUs.
constexpr std::int64_t kMinGatherUs = 40;
constexpr std::int64_t kMaxGatherUs = 1000;
// The writer brings journal_meta's positions up to date once this many
// positions have been assigned since they were last written.
constexpr std::int64_t kMetaEvery = 4096;
// A leader takes queued batches until the group holds this many events (it
// always takes at least one batch, however large): bounds one transaction.
constexpr std::size_t kMaxGroupEvents = 20'000;

// Refusals concern one batch only; anything else (I/O, a full disk, a
// corrupt page) puts the whole transaction in doubt.
bool is_refusal(ErrorCode code) {
  return code == ErrorCode::NotFound || code == ErrorCode::Conflict || code == ErrorCode::AlreadyExists ||
         code == ErrorCode::AlreadyRunning || code == ErrorCode::InvalidArgument;
}

// Each caller gets an exception object of its own: one object shared by
// threads is released by whichever drops it last, through reference counts
// ThreadSanitizer cannot see. An Error is copied; anything else (no memory)
// is shared as it is.
std::exception_ptr own_copy(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    return std::make_exception_ptr(e);
  } catch (...) {
    return failure;
  }
}

// Whether `e` repeats the stored event `original`: the same kind and the
// same payload (as JSON values, so spelling does not matter). A driver the
// journal added is not the caller's: a retry from another process carries
// another one, so then it is left out of the comparison.
bool is_retry_of(const Event& original, const PreparedEvent& e) {
  if (original.kind != e.kind) return false;
  if (!e.driver_added) return original.payload == e.payload;
  nlohmann::json stored = original.payload;
  nlohmann::json given = e.payload;
  stored.erase(kDriverKey);
  given.erase(kDriverKey);
  return stored == given;
}

}  // namespace

Writer::Writer(std::unique_ptr<SQLite::Database> db, Durability durability)
    : db_(std::move(db)),
      events_(*db_),
      runs_(*db_),
      meta_(*db_),
      durability_(durability),
      cache_(runs_, kGroupCacheCapacity) {}

std::int64_t Writer::data_version() {
  SQLite::Statement& stmt = cached_statement(*db_, data_version_stmt_, "PRAGMA data_version");
  StatementReset reset_on_exit(stmt);
  stmt.executeStep();
  return stmt.getColumn("data_version").getInt64();
}

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

std::shared_ptr<Writer> Writer::acquire(const std::filesystem::path& path, const Options& options, bool is_new) {
  std::lock_guard lock(registry_mutex());
  if (auto id = file_id(path)) {
    auto it = registry().find(*id);
    if (it != registry().end()) {
      if (auto writer = it->second.lock()) {
        // Several Journals on one file share a connection; the strongest
        // durability any of them asked for wins.
        std::lock_guard writer_lock(writer->db_mu_);
        if (options.durability == Durability::Full && writer->durability_ != Durability::Full) {
          translate_errors("setting durability", [&] { set_durability(*writer->db_, Durability::Full); });
          writer->durability_ = Durability::Full;
        }
        writer->lease_ttl_ms_ = std::max<std::int64_t>(writer->lease_ttl_ms_, options.lease_ttl.count());
        return writer;
      }
    }
  }
  auto db = open_writer(path, options.durability, options.busy_timeout, is_new, options.vfs);
  translate_errors(fmt::format("migrating {}", path), [&] { migrate(*db); });
  auto writer = std::make_shared<Writer>(std::move(db), options.durability);
  writer->lease_ttl_ms_ = options.lease_ttl.count();
  writer->reconcile_projection();
  if (auto id = file_id(path)) registry()[*id] = writer;
  return writer;
}

void Writer::reconcile_projection() {
  std::lock_guard lock(db_mu_);
  invalidate_cache();
  translate_errors("bringing runs up to date", [&] {
    const Meta meta = meta_.load();
    // runs derived by a newer projector is never re-derived by an older one.
    require_writable(db_->getFilename(), latest_schema_version(), meta);
    const bool stale_version = meta.projector_version != kProjectorVersion;
    if (!stale_version && !runs_lag(meta, events_.newest())) return;  // the usual open: no history is read
    WriteTransaction txn(*db_);
    const Meta current = meta_.load();  // another process may have done it meanwhile
    require_writable(db_->getFilename(), latest_schema_version(), current);
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
  // least) not in its run's row. One more b-tree descent, no history read.
  if (!newest || newest->first <= meta.projected_position) return false;
  return runs_.last_position(newest->second).value_or(0) < newest->first;
}

std::int64_t Writer::catch_up_in_transaction() {
  const Meta meta = meta_.load();
  // Reached after another connection wrote: a newer runjournal may have
  // migrated the file or re-derived runs meanwhile, and then this one must
  // stop writing it (the transaction rolls back; nothing is written).
  require_writable(db_->getFilename(), pragma_int(*db_, "PRAGMA user_version"), meta);
  const auto newest = events_.newest();
  const std::int64_t max_position = newest ? newest->first : 0;
  const std::int64_t last_assigned = std::max(meta.last_position, max_position);
  meta_projected_ = meta.projected_position;
  if (!runs_lag(meta, newest)) return last_assigned;
  project_events_after(events_, runs_, meta.projected_position, {});
  meta_.save_positions(last_assigned, max_position);
  meta_projected_ = max_position;
  return last_assigned;
}

RebuildReport Writer::rebuild_in_transaction(const Progress& progress) {
  const Meta meta = meta_.load();
  runs_.delete_all();
  RebuildReport report = project_events_after(events_, runs_, 0, progress);
  const std::int64_t max_position = events_.max_position();
  meta_.save_positions(std::max(meta.last_position, max_position), max_position);
  meta_projected_ = max_position;
  meta_.save_projector_version(kProjectorVersion);
  return report;
}

RebuildReport Writer::rebuild(const Progress& progress) {
  std::lock_guard lock(db_mu_);
  invalidate_cache();
  return translate_errors("rebuild", [&] {
    WriteTransaction txn(*db_);
    RebuildReport report = rebuild_in_transaction(progress);
    txn.commit();
    return report;
  });
}

void Writer::write_lease(std::int64_t now_ms) {
  const Driver self = this_process_driver();
  refresh_lease(*db_, self.host, self.boot_id, now_ms + lease_ttl_ms_);
}

void Writer::heartbeat() {
  std::lock_guard lock(db_mu_);
  const std::int64_t now_ms = system_clock_ms();
  translate_errors("refreshing the heartbeat lease", [&] {
    WriteTransaction txn(*db_, &txn_statements_);
    write_lease(now_ms);
    txn.commit();
  });
  lease_due_ms_ = now_ms + std::max<std::int64_t>(lease_ttl_ms_ / 6, 1);
}

void Writer::write(std::string_view what, const std::function<void(SQLite::Database&)>& fn) {
  std::lock_guard lock(db_mu_);
  invalidate_cache();
  translate_errors(what, [&] {
    WriteTransaction txn(*db_);
    fn(*db_);
    txn.commit();
  });
}

void Writer::with_connection(const std::function<void(SQLite::Database&, EventStore&, RunStore&)>& fn) {
  std::lock_guard lock(db_mu_);
  invalidate_cache();
  translate_errors("writing", [&] { fn(*db_, events_, runs_); });
}

void Writer::invalidate_cache() noexcept {
  cache_.clear();
  cache_valid_ = false;
}

CommitStats Writer::commit_stats() {
  std::lock_guard lock(db_mu_);
  return stats_;
}

BatchResult Writer::append(std::vector<PreparedEvent> events, WithRuns with_runs) {
  auto request = std::make_shared<Request>();
  request->events = std::move(events);
  request->waiter = true;
  request->with_runs = with_runs == WithRuns::Yes;
  {
    std::unique_lock lock(queue_mu_);
    ++callers_;
    queue_.push_back(request);
    // Wake a gathering leader only once its group would be complete: a wake
    // per arrival costs it two context switches each.
    if (gathering_ && queue_.size() >= gather_need_) gather_cv_.notify_one();
    while (!request->done) {
      if (leader_active_) {
        done_cv_.wait(lock);  // woken after every commit
      } else {
        lead(lock);
      }
    }
    --callers_;
  }
  // Taken out of the request, so that this thread holds the last
  // reference: the leader's copy of the request may outlive this call.
  if (std::exception_ptr error = std::move(request->error)) std::rethrow_exception(error);
  return std::move(*request->result);
}

void Writer::append_async(std::vector<PreparedEvent> events, std::function<void(BatchResult&&)> done,
                          std::function<void(std::exception_ptr)> failed) {
  auto request = std::make_shared<Request>();
  request->events = std::move(events);
  request->on_done = std::move(done);
  request->on_failed = std::move(failed);
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(request);
    if (!flusher_.joinable()) flusher_ = std::thread([this] { flusher_loop(); });
    if (leader_active_) return;  // the leader hands over to the flusher when it is done
  }
  flusher_cv_.notify_one();
}

void Writer::flusher_loop() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    if (!queue_.empty() && !leader_active_) {
      lead(lock);
      continue;
    }
    if (stopping_ && queue_.empty()) return;
    flusher_cv_.wait(lock);
  }
}

void Writer::lead(std::unique_lock<std::mutex>& lock) {
  leader_active_ = true;
  // Gathering: the callers whose batches the last commit carried are awake
  // but have not queued their next one yet; committing without them would
  // leave them for the commit after. So the leader starts writing what is
  // queued and keeps taking batches as they arrive, until every caller
  // inside append() has one in the group, or half a flush has passed (a
  // caller may not come back: that costs at most this wait, once).
  Gathering gathering;
  gathering.expected = callers_;
  const std::int64_t flush_us = flush_ewma_us_.load();
  gathering.enabled = flush_us >= kMinGatherUs;
  gathering.deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(std::min(flush_us, kMaxGatherUs) / 2);
  std::vector<std::shared_ptr<Request>> group;
  take_queued(group, gathering);
  lock.unlock();
  commit_group(group, gathering);  // never throws: outcomes go into the requests
  lock.lock();
  leader_active_ = false;
  for (auto& request : group) request->done = true;
  // Wake every waiting caller at once: those this commit carried return,
  // the first of the others to run takes over as leader (gathering what
  // queued meanwhile), the rest wait again. One notify_all is one futex
  // call; a notify per carried caller, tried first, cost a system call each
  // on the leader's path and made 16 threads about 8% slower. Notified with
  // the lock released, so a woken thread does not block on it straight away.
  const bool wake_flusher = queue_.empty() ? stopping_ : !queue_.front()->waiter;
  lock.unlock();
  done_cv_.notify_all();
  if (wake_flusher) flusher_cv_.notify_one();
  lock.lock();
}

void Writer::take_queued(std::vector<std::shared_ptr<Request>>& group, Gathering& gathering) {
  while (!queue_.empty() &&
         (group.empty() || gathering.events + queue_.front()->events.size() <= kMaxGroupEvents)) {
    gathering.events += queue_.front()->events.size();
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

bool Writer::take_more(std::vector<std::shared_ptr<Request>>& group, Gathering& gathering) {
  const std::size_t before = group.size();
  std::unique_lock lock(queue_mu_);
  for (;;) {
    take_queued(group, gathering);
    if (group.size() > before || !queue_.empty()) break;  // took some, or the group is full
    if (!gathering.enabled || group.size() >= gathering.expected) break;
    gathering_ = true;
    gather_need_ = gathering.expected - group.size();
    const bool timed_out = gather_cv_.wait_until(lock, gathering.deadline) == std::cv_status::timeout;
    gathering_ = false;
    if (timed_out) {
      take_queued(group, gathering);
      break;
    }
  }
  return group.size() > before;
}

void Writer::commit_group(std::vector<std::shared_ptr<Request>>& group, Gathering& gathering) {
  std::lock_guard db_lock(db_mu_);
  std::vector<std::optional<BatchResult>> results(group.size());
  std::vector<std::exception_ptr> refused(group.size());
  try {
    translate_errors("append", [&] {
      WriteTransaction txn(*db_, &txn_statements_);
      auto [position, version] = begin_positions();
      const std::int64_t first_position = position;
      ProjectionCache& cache = cache_;
      for (std::size_t i = 0;; ++i) {
        if (i == group.size()) {
          if (!take_more(group, gathering)) break;
          results.resize(group.size());
          refused.resize(group.size());
        }
        // A lone batch needs no savepoint: if it is refused the whole
        // transaction rolls back, and it held nothing else. Nor does a
        // one-event batch: every refusal comes before its one insert.
        const bool isolate = group.size() > 1 && group[i]->events.size() > 1;
        // The exclusive check asks the table, so runs created by earlier
        // batches of this group must be in it. Flushing here, outside any
        // savepoint, keeps the cache and the rows in step.
        if (i > 0 && std::any_of(group[i]->events.begin(), group[i]->events.end(),
                                 [](const PreparedEvent& e) { return e.exclusive_session.has_value(); })) {
          cache.flush();
        }
        const std::int64_t position_before = position;
        if (isolate) {
          savepoint(&SavepointStatements::begin, "SAVEPOINT batch");
          cache.begin_undo();
        }
        bool wrote = false;
        try {
          results[i] = apply(*group[i], cache, position, wrote);
          if (isolate) {
            savepoint(&SavepointStatements::release, "RELEASE batch");
            cache.end_undo(/*roll_back=*/false);
          }
        } catch (const Error& e) {
          if (!is_refusal(e.code()) || group.size() == 1 || (wrote && !isolate)) throw;
          if (isolate) {
            savepoint(&SavepointStatements::rollback, "ROLLBACK TO batch");
            savepoint(&SavepointStatements::release, "RELEASE batch");
            cache.end_undo(/*roll_back=*/true);
          }
          position = position_before;
          refused[i] = std::current_exception();
        }
      }
      // The committed rows: what the cache holds after every batch.
      for (auto& result : results) {
        if (!result) continue;
        for (Run& run : result->runs) run = *cache.get(run.run_id);
      }
      finish_commit(txn, first_position, position, version);
    });
    stats_.batches += static_cast<std::int64_t>(group.size());
  } catch (...) {
    // Rolled back: the cache may hold rows the table no longer has. Every
    // batch the transaction carried fails with it (those already refused
    // keep their own reason).
    invalidate_cache();
    const std::exception_ptr failure = std::current_exception();
    for (std::size_t i = 0; i < group.size(); ++i) {
      const bool own_reason = i < refused.size() && refused[i];
      settle(*group[i], std::nullopt, own_reason ? std::move(refused[i]) : own_copy(failure));
    }
    return;
  }
  for (std::size_t i = 0; i < group.size(); ++i) settle(*group[i], std::move(results[i]), std::move(refused[i]));
}

std::pair<std::int64_t, std::int64_t> Writer::begin_positions() {
  // While no other connection has written since this one's last commit
  // (data_version unchanged), the cached rows and position are current:
  // nothing needs reading back. Otherwise start from the table.
  const std::int64_t version = data_version();
  if (cache_valid_ && version == data_version_) return {committed_position_, version};
  invalidate_cache();
  return {catch_up_in_transaction(), version};
}

void Writer::finish_commit(WriteTransaction& txn, std::int64_t first, std::int64_t position,
                           std::int64_t version) {
  if (position == first) {
    // No event was written: every batch was refused or an idempotent
    // retry. Roll back, so that not a byte of the file changes (a catch-up
    // this transaction made goes too, and with it the rows cached since).
    txn.rollback();
    invalidate_cache();
    return;
  }
  cache_.flush();
  // The lease rides in a commit that writes, once due (writer.hpp).
  const std::int64_t now_ms = system_clock_ms();
  const bool refresh_lease = now_ms >= lease_due_ms_;
  if (refresh_lease) write_lease(now_ms);
  // journal_meta's positions are lower bounds (docs/format.md): written
  // every kMetaEvery positions, not every commit, which saves a page in
  // every commit's WAL frames. They bound how far back a catch-up after
  // foreign inserts reads; nothing depends on them being current.
  const bool save_meta = position - meta_projected_ >= kMetaEvery;
  if (save_meta) meta_.save_positions(position, position);
  const auto flush_start = std::chrono::steady_clock::now();
  txn.commit();
  const auto flush_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - flush_start).count();
  // Read by the next leader under queue_mu_; a moving average (7/8 old).
  flush_ewma_us_.store((flush_ewma_us_.load() * 7 + std::min<std::int64_t>(flush_us, kMaxGatherUs * 2)) / 8);
  if (refresh_lease) lease_due_ms_ = now_ms + std::max<std::int64_t>(lease_ttl_ms_ / 6, 1);
  data_version_ = version;
  committed_position_ = position;
  if (save_meta) meta_projected_ = position;
  cache_valid_ = true;
  if (cache_.size() > kKeepAcrossCommits) cache_.clear();
  ++stats_.commits;
}

BatchResult Writer::append_chunked(const ChunkSource& next) {
  std::lock_guard db_lock(db_mu_);
  try {
    return translate_errors("append", [&] {
      WriteTransaction txn(*db_, &txn_statements_);
      auto [position, version] = begin_positions();
      const std::int64_t first_position = position;
      BatchResult result;
      Request chunk;
      bool wrote = false;
      for (std::size_t first = 0;; first += chunk.events.size()) {
        chunk.events.clear();
        if (!next(chunk.events, first)) break;
        BatchResult part = apply(chunk, cache_, position, wrote, first);
        std::move(part.events.begin(), part.events.end(), std::back_inserter(result.events));
        for (Run& run : part.runs) {
          const auto same = [&](const Run& r) { return r.run_id == run.run_id; };
          if (std::none_of(result.runs.begin(), result.runs.end(), same)) result.runs.push_back(std::move(run));
        }
      }
      for (Run& run : result.runs) run = *cache_.get(run.run_id);
      finish_commit(txn, first_position, position, version);
      ++stats_.batches;
      return result;
    });
  } catch (...) {
    invalidate_cache();  // rolled back: the cache may hold rows the table no longer has
    throw;
  }
}

void Writer::settle(Request& request, std::optional<BatchResult> result, std::exception_ptr error) {
  if (request.waiter) {
    // Read by the waiting caller once it sees `done`, set under queue_mu_.
    request.result = std::move(result);
    request.error = std::move(error);
  } else if (error) {
    request.on_failed(std::move(error));
  } else {
    request.on_done(std::move(*result));
  }
}

void Writer::savepoint(std::optional<SQLite::Statement> SavepointStatements::*slot, const char* sql) {
  SQLite::Statement& stmt = cached_statement(*db_, savepoint_statements_.*slot, sql);
  StatementReset reset_on_exit(stmt);
  stmt.exec();
}

BatchResult Writer::apply(Request& request, ProjectionCache& cache, std::int64_t& position, bool& wrote,
                          std::optional<std::size_t> first_index) {
  std::vector<PreparedEvent>& batch = request.events;
  BatchResult result;
  std::vector<std::string> touched;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    PreparedEvent& e = batch[i];
    // In a batch, a refusal names the event (in the message and as data).
    const auto refuse = [&](ErrorCode code, const std::string& why) {
      if (!first_index && batch.size() == 1) return Error(code, why);
      const std::size_t index = first_index.value_or(0) + i;
      return Error(code, fmt::format("event {}: {}", index, why), index);
    };
    if (e.options.idempotency_key) {
      if (auto original = events_.find_by_key(e.run_id, *e.options.idempotency_key)) {
        // A retry is the same event again; the same key on another event
        // is a caller's mistake, and returning the first would hide it.
        if (!is_retry_of(*original, e)) {
          throw refuse(ErrorCode::Conflict,
                       fmt::format("idempotency key '{}' of run {} is already used by another event: seq {} "
                                   "(position {}, kind {}) has a different {}",
                                   *e.options.idempotency_key, e.run_id, original->seq, original->position,
                                   original->kind, original->kind != e.kind ? "kind" : "payload"));
        }
        result.events.push_back(std::move(*original));
        continue;
      }
    }
    const std::optional<Run>& run = cache.get(e.run_id);
    std::int64_t seq = 1;
    if (classify_kind(e.kind) == KindClass::RunCreated) {
      if (run) throw refuse(ErrorCode::AlreadyExists, fmt::format("run {} already exists", e.run_id));
      if (e.exclusive_session) {
        if (auto live = runs_.live_run_in_session(*e.exclusive_session)) {
          throw refuse(ErrorCode::AlreadyRunning,
                       fmt::format("session {} already has a live run: {}", *e.exclusive_session, *live));
        }
      }
    } else {
      if (!run) throw refuse(ErrorCode::NotFound, fmt::format("no run {}", e.run_id));
      seq = run->last_seq + 1;
    }
    if (e.options.expected_seq && *e.options.expected_seq != seq - 1) {
      throw refuse(ErrorCode::Conflict,
                   fmt::format("run {} is at seq {}, not the expected {}", e.run_id, seq - 1, *e.options.expected_seq));
    }
    ++position;
    wrote = true;
    events_.insert(position, e.run_id, seq, e.ts_ms, e.kind, e.payload_text, e.options.idempotency_key);
    cache.apply(EventView{e.run_id, seq, position, e.ts_ms, e.kind, e.payload_text});
    if (request.with_runs && std::find(touched.begin(), touched.end(), e.run_id) == touched.end()) {
      touched.push_back(e.run_id);
    }
    result.events.push_back(
        Event{position, e.run_id, seq, e.ts_ms, e.kind, std::move(e.payload), e.options.idempotency_key});
  }
  if (request.with_runs) {
    for (const std::string& run_id : touched) result.runs.push_back(Run{.run_id = run_id});
  }
  return result;
}

}  // namespace runjournal::detail
