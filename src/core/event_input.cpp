#include "core/event_input.hpp"

#include <fmt/format.h>

#include "core/driver.hpp"
#include "core/json_text.hpp"
#include "core/projector.hpp"

namespace runjournal::detail {

void require_id(const std::string& value, const char* what) {
  if (value.empty()) throw Error(ErrorCode::InvalidArgument, fmt::format("{} is empty", what));
  if (value.size() > kMaxIdBytes) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("{} is {} bytes, over the limit of {}", what, value.size(), kMaxIdBytes));
  }
  require_utf8(value, what);
}

namespace {

// The event's fields, and its payload (a copy of the caller's, or the
// caller's own, moved).
struct Fields {
  const std::string& run_id;
  const std::string& kind;
  const AppendOptions& options;
};

// Whether a run_created / run_resumed without a driver gets this Journal's:
// yes for what a caller appends now, no for history copied as it was (an
// import, a fork's copied events).
enum class Driverless { AddOurs, KeepAsIs };

PreparedEvent prepare(const Fields& event, nlohmann::json payload, const Options& options, std::int64_t ts_ms,
                      Driverless driverless = Driverless::AddOurs) {
  require_id(event.run_id, "run id");
  if (event.kind.empty()) throw Error(ErrorCode::InvalidArgument, "event kind is empty");
  if (event.kind.size() > options.max_kind_bytes) {
    throw Error(ErrorCode::InvalidArgument, fmt::format("event kind is {} bytes, over the limit of {}",
                                                        event.kind.size(), options.max_kind_bytes));
  }
  require_utf8(event.kind, "event kind");
  // The call a C++ host writes first, append(id, "k", {}), passes null
  // (nlohmann's {} is null): a null payload is an empty object everywhere.
  if (payload.is_null()) payload = nlohmann::json::object();
  if (!payload.is_object()) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("payload is not a JSON object (it is {})", payload.type_name()));
  }
  if (event.options.idempotency_key) require_id(*event.options.idempotency_key, "idempotency key");
  if (event.options.expected_seq && *event.options.expected_seq < 0) {
    throw Error(ErrorCode::InvalidArgument, "expected seq is negative");
  }
  if (classify_kind(event.kind) == KindClass::RunCreated) {
    auto session = payload.find("session_id");
    if (session == payload.end() || !session->is_string()) {
      throw Error(ErrorCode::InvalidArgument, "run_created needs a string session_id in its payload");
    }
    require_id(session->get<std::string>(), "session id");
    auto prompt = payload.find("prompt");
    if (prompt != payload.end() && !prompt->is_string()) {
      throw Error(ErrorCode::InvalidArgument, "run_created's prompt must be a string");
    }
  }

  PreparedEvent prepared;
  // run_created and run_resumed name the run's driver; when the caller did
  // not, it is this Journal's (docs/recovery.md). Added here, before the
  // payload is stored, so the event carries it atomically. The size limit is
  // on what the caller wrote: the driver the library adds must not push a
  // payload over it (its size varies with the host name).
  const bool add_driver = driverless == Driverless::AddOurs && needs_driver(event.kind, payload);
  const std::size_t max_depth = options.max_json_depth.value_or(kMaxStoredDepth);
  std::size_t caller_bytes = 0;
  if (add_driver) {
    caller_bytes = dump_json(payload, "payload", max_depth).size();
    payload[kDriverKey] = driver_to_payload(options.driver ? *options.driver : this_process_driver());
  }
  prepared.payload_text = dump_json(payload, "payload", max_depth);
  prepared.driver_added = add_driver;
  if (!add_driver) caller_bytes = prepared.payload_text.size();
  if (caller_bytes > options.max_payload_bytes) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("payload is {} bytes, over the limit of {}", caller_bytes, options.max_payload_bytes));
  }
  prepared.payload = std::move(payload);
  prepared.run_id = event.run_id;
  prepared.kind = event.kind;
  prepared.ts_ms = ts_ms;
  prepared.options = event.options;
  return prepared;
}

}  // namespace

void require_caller_json(const nlohmann::json& value, std::string_view what, const Options& options,
                         std::size_t depth_below) {
  // nlohmann copies recursively: a value nested past the limit must be
  // refused before it is copied, or the copy itself overflows the stack.
  const std::size_t max_depth = options.max_json_depth.value_or(kMaxStoredDepth);
  require_representable(value, what, max_depth > depth_below ? max_depth - depth_below : 0);
}

PreparedEvent prepare_event(const NewEvent& event, const Options& options, std::int64_t ts_ms) {
  require_caller_json(event.payload, "payload", options);
  return prepare({event.run_id, event.kind, event.options}, event.payload, options, ts_ms);
}

PreparedEvent prepare_event(const std::string& run_id, const std::string& kind, const nlohmann::json& payload,
                            const AppendOptions& append_options, const Options& options, std::int64_t ts_ms) {
  require_caller_json(payload, "payload", options);
  return prepare({run_id, kind, append_options}, payload, options, ts_ms);
}

PreparedEvent prepare_event(NewEvent&& event, const Options& options, std::int64_t ts_ms) {
  nlohmann::json payload = std::move(event.payload);
  return prepare({event.run_id, event.kind, event.options}, std::move(payload), options, ts_ms);
}

PreparedEvent prepare_copied_event(NewEvent&& event, const Options& options, std::int64_t ts_ms) {
  nlohmann::json payload = std::move(event.payload);
  return prepare({event.run_id, event.kind, event.options}, std::move(payload), options, ts_ms,
                 Driverless::KeepAsIs);
}

}  // namespace runjournal::detail
