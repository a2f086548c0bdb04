// group_commit.cpp — group commit (writer.hpp): the queue, the leader, the
// gathering of batches, and the one transaction a group shares, each batch
// in a savepoint of its own. The rules each batch obeys are
// append_rules.cpp's; the engine is the WriteSession's.
#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

#include "core/driver.hpp"
#include "core/writer.hpp"

namespace runjournal::detail {
namespace {

// The writer keeps cached rows across commits, while no other connection
// writes the journal, up to this many runs (the live runs of a busy host);
// past it the cache starts afresh at the next commit.
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

}  // namespace

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
    session_->guard("append", [&] {
      Transaction txn(*session_);
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
          session_->savepoint();
          cache.begin_undo();
        }
        bool wrote = false;
        try {
          results[i] = apply_batch(group[i]->events, group[i]->with_runs, session_->events(), session_->runs(),
                                   cache, position, wrote);
          if (isolate) {
            session_->release_savepoint();
            cache.end_undo(/*roll_back=*/false);
          }
        } catch (const Error& e) {
          // Without a savepoint, a transaction the engine has given up
          // (a failed statement on PostgreSQL, maybe an earlier batch's
          // deferred insert) cannot carry the others: the group fails.
          if (!is_refusal(e.code()) || group.size() == 1 || (wrote && !isolate) ||
              (!isolate && session_->transaction_failed())) {
            throw;
          }
          if (isolate) {
            session_->rollback_to_savepoint();
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
  const std::int64_t version = session_->change_counter();
  if (cache_valid_ && version == data_version_) return {committed_position_, version};
  invalidate_cache();
  return {catch_up_in_transaction(), version};
}

void Writer::finish_commit(Transaction& txn, std::int64_t first, std::int64_t position,
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
  if (refresh_lease) write_lease(lease_host_, lease_boot_id_, now_ms + lease_ttl_ms_);
  // journal_meta's positions are lower bounds (docs/format.md): written
  // every kMetaEvery positions, not every commit, which saves a page in
  // every commit's WAL frames. They bound how far back a catch-up after
  // foreign inserts reads; nothing depends on them being current.
  const bool save_meta = position - meta_projected_ >= kMetaEvery;
  if (save_meta) session_->meta().save_positions(position, position);
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
    return guarded(*session_, "append", [&] {
      Transaction txn(*session_);
      auto [position, version] = begin_positions();
      const std::int64_t first_position = position;
      BatchResult result;
      Request chunk;
      bool wrote = false;
      for (std::size_t first = 0;; first += chunk.events.size()) {
        chunk.events.clear();
        if (!next(chunk.events, first)) break;
        BatchResult part = apply_batch(chunk.events, chunk.with_runs, session_->events(), session_->runs(), cache_,
                                       position, wrote, first);
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


}  // namespace runjournal::detail
