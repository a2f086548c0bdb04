#include "writer.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>
#include <sys/stat.h>

#include "connection.hpp"
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
// A leader takes queued batches until the group holds this many events (it
// always takes at least one batch, however large): bounds one transaction.
constexpr std::size_t kMaxGroupEvents = 20'000;

// Refusals concern one batch only; anything else (I/O, a full disk, a
// corrupt page) puts the whole transaction in doubt.
bool is_refusal(ErrorCode code) {
  return code == ErrorCode::NotFound || code == ErrorCode::Conflict || code == ErrorCode::AlreadyExists ||
         code == ErrorCode::AlreadyRunning || code == ErrorCode::InvalidArgument;
}

}  // namespace

Writer::Writer(std::unique_ptr<SQLite::Database> db, Durability durability)
    : db_(std::move(db)), events_(*db_), runs_(*db_), meta_(*db_), durability_(durability) {}

Writer::~Writer() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
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
        return writer;
      }
    }
  }
  auto db = open_writer(path, options.durability, options.busy_timeout, is_new, options.vfs);
  translate_errors(fmt::format("migrating {}", path), [&] { migrate(*db); });
  auto writer = std::make_shared<Writer>(std::move(db), options.durability);
  writer->reconcile_projection();
  if (auto id = file_id(path)) registry()[*id] = writer;
  return writer;
}

void Writer::reconcile_projection() {
  std::lock_guard lock(db_mu_);
  translate_errors("bringing runs up to date", [&] {
    const Meta meta = meta_.load();
    const bool stale_version = meta.projector_version != kProjectorVersion;
    const bool lagging = events_.max_position() > meta.projected_position;
    if (!stale_version && !lagging) return;  // the usual open: no history is read
    WriteTransaction txn(*db_);
    const Meta current = meta_.load();  // another process may have done it meanwhile
    if (current.projector_version != kProjectorVersion) {
      rebuild_in_transaction({});
    } else {
      catch_up_in_transaction();
    }
    txn.commit();
  });
}

std::int64_t Writer::catch_up_in_transaction() {
  const Meta meta = meta_.load();
  const std::int64_t max_position = events_.max_position();
  const std::int64_t last_assigned = std::max(meta.last_position, max_position);
  if (max_position <= meta.projected_position) return last_assigned;
  project_events_after(events_, runs_, meta.projected_position, {});
  meta_.save_positions(last_assigned, max_position);
  return last_assigned;
}

RebuildReport Writer::rebuild_in_transaction(const Progress& progress) {
  const Meta meta = meta_.load();
  runs_.delete_all();
  RebuildReport report = project_events_after(events_, runs_, 0, progress);
  const std::int64_t max_position = events_.max_position();
  meta_.save_positions(std::max(meta.last_position, max_position), max_position);
  meta_.save_projector_version(kProjectorVersion);
  return report;
}

RebuildReport Writer::rebuild(const Progress& progress) {
  std::lock_guard lock(db_mu_);
  return translate_errors("rebuild", [&] {
    WriteTransaction txn(*db_);
    RebuildReport report = rebuild_in_transaction(progress);
    txn.commit();
    return report;
  });
}

void Writer::write(std::string_view what, const std::function<void(SQLite::Database&)>& fn) {
  std::lock_guard lock(db_mu_);
  translate_errors(what, [&] {
    WriteTransaction txn(*db_);
    fn(*db_);
    txn.commit();
  });
}

void Writer::with_connection(const std::function<void(SQLite::Database&, EventStore&, RunStore&)>& fn) {
  std::lock_guard lock(db_mu_);
  translate_errors("writing", [&] { fn(*db_, events_, runs_); });
}

CommitStats Writer::commit_stats() {
  std::lock_guard lock(db_mu_);
  return stats_;
}

BatchResult Writer::append(std::vector<PreparedEvent> events) {
  auto request = std::make_shared<Request>();
  request->events = std::move(events);
  std::promise<BatchResult> promise;
  std::future<BatchResult> result = promise.get_future();
  request->on_done = [&promise](BatchResult&& r) { promise.set_value(std::move(r)); };
  request->on_failed = [&promise](std::exception_ptr e) { promise.set_exception(std::move(e)); };
  {
    std::unique_lock lock(queue_mu_);
    queue_.push_back(request);
    lead_until_done(lock, request.get());
  }
  return result.get();
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
  }
  queue_cv_.notify_all();
}

void Writer::flusher_loop() {
  std::unique_lock lock(queue_mu_);
  for (;;) {
    if (!queue_.empty() && !leader_active_) {
      lead_until_done(lock, nullptr);
      continue;
    }
    if (stopping_ && queue_.empty()) return;
    queue_cv_.wait(lock);
  }
}

void Writer::lead_until_done(std::unique_lock<std::mutex>& lock, const Request* mine) {
  for (;;) {
    if (mine ? mine->done : queue_.empty()) return;
    if (leader_active_) {
      queue_cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::vector<std::shared_ptr<Request>> group;
    std::size_t events = 0;
    while (!queue_.empty() && (group.empty() || events + queue_.front()->events.size() <= kMaxGroupEvents)) {
      events += queue_.front()->events.size();
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    commit_group(group);  // never throws: outcomes go to the promises
    lock.lock();
    for (auto& request : group) request->done = true;
    leader_active_ = false;
    queue_cv_.notify_all();
  }
}

void Writer::commit_group(std::vector<std::shared_ptr<Request>>& group) {
  std::lock_guard db_lock(db_mu_);
  std::vector<std::optional<BatchResult>> results(group.size());
  std::vector<std::exception_ptr> refused(group.size());
  try {
    translate_errors("append", [&] {
      WriteTransaction txn(*db_);
      std::int64_t position = catch_up_in_transaction();
      ProjectionCache cache(runs_, kGroupCacheCapacity);
      // A lone batch needs no savepoint: if it is refused the whole
      // transaction rolls back, and it held nothing else.
      const bool isolate = group.size() > 1;
      for (std::size_t i = 0; i < group.size(); ++i) {
        if (!isolate) {
          results[i] = apply(*group[i], cache, position);
          continue;
        }
        // The exclusive check asks the table, so runs created by earlier
        // batches of this group must be in it. Flushing here, outside any
        // savepoint, keeps the cache and the rows in step.
        if (std::any_of(group[i]->events.begin(), group[i]->events.end(),
                        [](const PreparedEvent& e) { return e.exclusive_session.has_value(); })) {
          cache.flush();
        }
        const std::int64_t position_before = position;
        db_->exec("SAVEPOINT batch");
        cache.begin_undo();
        try {
          results[i] = apply(*group[i], cache, position);
          db_->exec("RELEASE batch");
          cache.end_undo(/*roll_back=*/false);
        } catch (const Error& e) {
          if (!is_refusal(e.code())) throw;
          db_->exec("ROLLBACK TO batch");
          db_->exec("RELEASE batch");
          cache.end_undo(/*roll_back=*/true);
          position = position_before;
          refused[i] = std::current_exception();
        }
      }
      // The committed rows: what the cache holds after every batch.
      for (auto& result : results) {
        if (!result) continue;
        for (Run& run : result->runs) run = *cache.get(run.run_id);
      }
      cache.flush();
      meta_.save_positions(position, position);
      txn.commit();
    });
    ++stats_.commits;
    stats_.batches += static_cast<std::int64_t>(group.size());
  } catch (...) {
    // The transaction rolled back: every batch it carried fails with it
    // (those already refused keep their own reason).
    const std::exception_ptr failure = std::current_exception();
    for (std::size_t i = 0; i < group.size(); ++i) group[i]->on_failed(refused[i] ? refused[i] : failure);
    return;
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (refused[i]) {
      group[i]->on_failed(refused[i]);
    } else {
      group[i]->on_done(std::move(*results[i]));
    }
  }
}

BatchResult Writer::apply(Request& request, ProjectionCache& cache, std::int64_t& position) {
  std::vector<PreparedEvent>& batch = request.events;
  BatchResult result;
  std::vector<std::string> touched;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    PreparedEvent& e = batch[i];
    // In a batch, a refusal names the event (in the message and as data).
    const auto refuse = [&](ErrorCode code, const std::string& why) {
      if (batch.size() == 1) return Error(code, why);
      return Error(code, fmt::format("event {}: {}", i, why), i);
    };
    if (e.options.idempotency_key) {
      if (auto original = events_.find_by_key(e.run_id, *e.options.idempotency_key)) {
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
    events_.insert(position, e.run_id, seq, e.ts_ms, e.kind, e.payload_text, e.options.idempotency_key);
    cache.apply(EventView{e.run_id, seq, position, e.ts_ms, e.kind, e.payload_text});
    if (std::find(touched.begin(), touched.end(), e.run_id) == touched.end()) touched.push_back(e.run_id);
    result.events.push_back(
        Event{position, e.run_id, seq, e.ts_ms, e.kind, std::move(e.payload), e.options.idempotency_key});
  }
  for (const std::string& run_id : touched) result.runs.push_back(Run{.run_id = run_id});
  return result;
}

}  // namespace runjournal::detail
