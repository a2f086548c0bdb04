// event_input.hpp — checking what callers hand to the journal, before any
// transaction starts: bad input is refused with InvalidArgument and never
// reaches the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <runjournal/event.hpp>
#include <runjournal/error.hpp>
#include <runjournal/options.hpp>

namespace runjournal::detail {

// One event, checked by the Journal that takes it and ready to store.
struct PreparedEvent {
  std::string run_id;
  std::string kind;
  nlohmann::json payload;    // a JSON object
  std::string payload_text;  // its compact text, as stored
  std::int64_t ts_ms = 0;
  AppendOptions options;
  // create_run(exclusive): refuse when this session has a live run.
  std::optional<std::string> exclusive_session;
  // The journal added the "driver" to `payload` (the caller gave none): an
  // idempotent retry from another process compares payloads without it.
  bool driver_added = false;
};

// Longest run id, session id or idempotency key accepted, in bytes.
inline constexpr std::size_t kMaxIdBytes = 256;

// Checks one event against the journal's limits and returns it ready to
// store, stamped with `ts_ms`. Throws Error(InvalidArgument) naming the
// problem: empty or oversize kind or run id, payload not an object or over
// max_payload_bytes, text that is not UTF-8, a run_created payload without a
// string session_id. A run_created or run_resumed payload without a "driver"
// gets options.driver (default: this process) added. A null payload is {}.
// A payload nested deeper than options.max_json_depth is refused naming the
// limit; the check walks it without recursion, before it is serialised.
PreparedEvent prepare_event(const NewEvent& event, const Options& options, std::int64_t ts_ms);
// The same, taking the caller's payload instead of copying it.
PreparedEvent prepare_event(NewEvent&& event, const Options& options, std::int64_t ts_ms);
// The same for an event of history copied as it was (an import, a fork):
// every check, but a run_created or run_resumed without a "driver" stays
// without one.
PreparedEvent prepare_copied_event(NewEvent&& event, const Options& options, std::int64_t ts_ms);
// The same for one event given by its parts (no NewEvent copy of the payload).
PreparedEvent prepare_event(const std::string& run_id, const std::string& kind, const nlohmann::json& payload,
                            const AppendOptions& append_options, const Options& options, std::int64_t ts_ms);

// Refuses (as require_representable does) a caller's JSON value that nests
// deeper than options.max_json_depth minus `depth_below` (the levels the
// journal puts above it: 1 for run inputs inside run_created's payload).
// Called before the value is copied: nlohmann copies recursively.
void require_caller_json(const nlohmann::json& value, std::string_view what, const Options& options,
                         std::size_t depth_below = 0);

// Checks an id-like string (run id, session id, key): non-empty, at most
// kMaxIdBytes, valid UTF-8.
void require_id(const std::string& value, const char* what);

}  // namespace runjournal::detail
