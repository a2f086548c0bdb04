// append_rules.cpp — the rules append_rules.hpp lists, one event at a time.
#include "core/append_rules.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "core/driver.hpp"
#include "core/projector.hpp"

namespace runjournal::detail {
namespace {

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

bool is_refusal(ErrorCode code) {
  return code == ErrorCode::NotFound || code == ErrorCode::Conflict || code == ErrorCode::AlreadyExists ||
         code == ErrorCode::AlreadyRunning || code == ErrorCode::InvalidArgument;
}

BatchResult apply_batch(std::vector<PreparedEvent>& batch, bool with_runs, EventStore& events, RunStore& runs,
                        ProjectionCache& cache, std::int64_t& position, bool& wrote,
                        std::optional<std::size_t> first_index) {
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
      if (auto original = events.find_by_key(e.run_id, *e.options.idempotency_key)) {
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
        if (auto live = runs.live_run_in_session(*e.exclusive_session)) {
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
    // An insert that throws has written nothing (a statement fails whole;
    // a backend that defers its inserts refuses before queueing), so only
    // after it has the batch written something.
    events.insert(position, e.run_id, seq, e.ts_ms, e.kind, e.payload_text, e.options.idempotency_key);
    wrote = true;
    cache.apply(EventView{e.run_id, seq, position, e.ts_ms, e.kind, e.payload_text});
    if (with_runs && std::find(touched.begin(), touched.end(), e.run_id) == touched.end()) {
      touched.push_back(e.run_id);
    }
    result.events.push_back(
        Event{position, e.run_id, seq, e.ts_ms, e.kind, std::move(e.payload), e.options.idempotency_key});
  }
  if (with_runs) {
    for (const std::string& run_id : touched) result.runs.push_back(Run{.run_id = run_id});
  }
  return result;
}

}  // namespace runjournal::detail
