// runjournal/event.hpp — one recorded step of a run, and what appends one
// (NewEvent, AppendOptions).
//
// Events are the source of truth: rows of the append-only `events` table.
// Values of this type are plain data, safe to copy and to use from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace runjournal {

struct Event {
  std::int64_t position = 0;  // global commit order; never reused
  std::string run_id;
  std::int64_t seq = 0;       // 1, 2, 3 … within the run, no gaps
  std::int64_t ts_ms = 0;     // Unix milliseconds, from the journal's clock
  std::string kind;           // as the caller wrote it (aliases are kept)
  nlohmann::json payload;     // always a JSON object
  std::optional<std::string> idempotency_key;

  friend bool operator==(const Event&, const Event&) = default;
};

struct AppendOptions {
  // Optimistic concurrency: the last seq the caller saw for the run. When the
  // run has moved past it the append fails with ErrorCode::Conflict.
  std::optional<std::int64_t> expected_seq;
  // Unique per run. A retried append with a key the run already holds
  // returns the event first written with it and writes nothing.
  std::optional<std::string> idempotency_key;
};

struct NewEvent {
  std::string run_id;
  std::string kind;
  nlohmann::json payload = nlohmann::json::object();
  AppendOptions options;
};

}  // namespace runjournal
