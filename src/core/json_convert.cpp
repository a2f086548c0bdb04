// json_convert.cpp — Run and Event to and from JSON (runjournal/json.hpp).
//
// Reading is strict on purpose: these objects come from other programs (a
// JSON Lines file, a pipe), and a journal that quietly turned a misspelt or
// mistyped field into a default would record something nobody wrote. So
// every field is looked up by name, checked for its type, and a failure names
// the field. nlohmann's NLOHMANN_JSON_SERIALIZE_ENUM is avoided for the same
// reason: it maps an unknown string to the first enumerator.

#include <runjournal/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "core/json_text.hpp"

namespace runjournal {
namespace {

// Reads the fields of one JSON object, naming `what` ("run", "event") and
// the field in every error.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, const char* what) : object_(object), what_(what) {
    if (!object_.is_object()) {
      fail_whole("is not a JSON object");
    }
  }

  const nlohmann::json& value(const char* field) const {
    auto it = object_.find(field);
    if (it == object_.end()) {
      fail(field, "is missing");
    }
    return *it;
  }

  std::string string(const char* field) const {
    const nlohmann::json& v = value(field);
    if (!v.is_string()) {
      fail(field, "is not a string");
    }
    return v.get<std::string>();
  }

  std::optional<std::string> optional_string(const char* field) const {
    if (value(field).is_null()) {
      return std::nullopt;
    }
    return string(field);
  }

  // For fields added after the format's first version: absent is null.
  std::optional<std::string> late_optional_string(const char* field) const {
    if (!object_.contains(field)) {
      return std::nullopt;
    }
    return optional_string(field);
  }
  std::optional<std::int64_t> late_optional_integer(const char* field) const {
    if (!object_.contains(field)) {
      return std::nullopt;
    }
    return optional_integer(field);
  }

  std::int64_t integer(const char* field) const {
    const nlohmann::json& v = value(field);
    if (v.is_number_unsigned()) {
      // Parsed non-negative integers are stored unsigned; beyond int64 they
      // cannot be a column value.
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        fail(field, "is out of range");
      }
      return static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) {
      return v.get<std::int64_t>();
    }
    fail(field, "is not an integer");
  }

  std::optional<std::int64_t> optional_integer(const char* field) const {
    if (value(field).is_null()) {
      return std::nullopt;
    }
    return integer(field);
  }

  RunStatus status(const char* field) const {
    std::string text = string(field);
    std::optional<RunStatus> parsed = parse_run_status(text);
    if (!parsed) {
      fail(field, "\"" + text + "\" is not a run status");
    }
    return *parsed;
  }

  nlohmann::json object(const char* field) const {
    const nlohmann::json& v = value(field);
    if (!v.is_object()) {
      fail(field, "is not a JSON object");
    }
    return v;
  }

 private:
  [[noreturn]] void fail(const char* field, const std::string& problem) const {
    throw Error(ErrorCode::InvalidArgument,
                std::string(what_) + " JSON: field \"" + field + "\" " + problem);
  }
  [[noreturn]] void fail_whole(const std::string& problem) const {
    throw Error(ErrorCode::InvalidArgument, std::string(what_) + " JSON " + problem);
  }

  const nlohmann::json& object_;
  const char* what_;
};

template <typename T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const Run& run) {
  return nlohmann::json{
      {"run_id", run.run_id},
      {"session_id", run.session_id},
      {"status", std::string(to_string(run.status))},
      {"prompt", run.prompt},
      {"inputs", run.inputs},
      {"outputs", run.outputs},
      {"metadata", run.metadata},
      {"result_text", or_null(run.result_text)},
      {"error", or_null(run.error)},
      {"status_reason", or_null(run.status_reason)},
      {"checkpoint_id", or_null(run.checkpoint_id)},
      {"checkpoint", run.checkpoint},
      {"created_at_ms", run.created_at_ms},
      {"updated_at_ms", run.updated_at_ms},
      {"finished_at_ms", or_null(run.finished_at_ms)},
      {"first_position", run.first_position},
      {"event_count", run.event_count},
      {"last_seq", run.last_seq},
      {"last_position", run.last_position},
      {"driver_host", run.driver ? nlohmann::json(run.driver->host) : nlohmann::json(nullptr)},
      {"driver_pid", run.driver ? nlohmann::json(run.driver->pid) : nlohmann::json(nullptr)},
      {"driver_start_time", run.driver ? nlohmann::json(run.driver->start_time) : nlohmann::json(nullptr)},
      {"driver_boot_id", run.driver ? nlohmann::json(run.driver->boot_id) : nlohmann::json(nullptr)},
      {"agent_spec_digest", or_null(run.agent_spec_digest)},
      {"git_sha", or_null(run.git_sha)},
      {"final_state_digest", or_null(run.final_state_digest)},
      {"forked_from_run", or_null(run.forked_from_run)},
      {"forked_from_seq", or_null(run.forked_from_seq)},
  };
}

nlohmann::json to_json(const JournalStats& s) {
  return nlohmann::json{{"path", s.path},
                        {"journal_id", s.journal_id},
                        {"runs_by_status", s.runs_by_status},
                        {"runs", s.runs},
                        {"events", s.events},
                        {"first_position", s.first_position},
                        {"last_position", s.last_position},
                        {"assigned_position", s.assigned_position},
                        {"file_bytes", s.file_bytes},
                        {"wal_bytes", s.wal_bytes},
                        {"page_size", s.page_size},
                        {"page_count", s.page_count},
                        {"free_pages", s.free_pages},
                        {"free_bytes", s.free_pages * s.page_size},
                        {"schema_version", s.schema_version},
                        {"projector_version", s.projector_version},
                        {"sqlite_version", s.sqlite_version}};
}

nlohmann::json to_json(const Event& event) {
  return nlohmann::json{
      {"position", event.position},
      {"run_id", event.run_id},
      {"seq", event.seq},
      {"ts_ms", event.ts_ms},
      {"kind", event.kind},
      {"payload", event.payload},
      {"idempotency_key", or_null(event.idempotency_key)},
  };
}

Run run_from_json(const nlohmann::json& json) {
  FieldReader in(json, "run");
  Run run;
  run.run_id = in.string("run_id");
  run.session_id = in.string("session_id");
  run.status = in.status("status");
  run.prompt = in.string("prompt");
  run.inputs = in.value("inputs");
  run.outputs = in.value("outputs");
  run.metadata = in.value("metadata");
  run.result_text = in.optional_string("result_text");
  run.error = in.optional_string("error");
  run.status_reason = in.optional_string("status_reason");
  run.checkpoint_id = in.optional_string("checkpoint_id");
  run.checkpoint = in.value("checkpoint");
  run.created_at_ms = in.integer("created_at_ms");
  run.updated_at_ms = in.integer("updated_at_ms");
  run.finished_at_ms = in.optional_integer("finished_at_ms");
  run.first_position = in.integer("first_position");
  run.event_count = in.integer("event_count");
  run.last_seq = in.integer("last_seq");
  run.last_position = in.integer("last_position");
  // The driver columns are all null (no driver) or all set, as stored.
  std::optional<std::string> host = in.optional_string("driver_host");
  std::optional<std::int64_t> pid = in.optional_integer("driver_pid");
  std::optional<std::int64_t> start_time = in.optional_integer("driver_start_time");
  std::optional<std::string> boot_id = in.optional_string("driver_boot_id");
  const int set = int{host.has_value()} + int{pid.has_value()} + int{start_time.has_value()} + int{boot_id.has_value()};
  if (set == 4) {
    run.driver = Driver{std::move(*host), *pid, *start_time, std::move(*boot_id)};
  } else if (set != 0) {
    throw Error(ErrorCode::InvalidArgument,
                "run JSON: fields \"driver_host\", \"driver_pid\", \"driver_start_time\", \"driver_boot_id\" "
                "must be all null or all set");
  }
  run.agent_spec_digest = in.late_optional_string("agent_spec_digest");
  run.git_sha = in.late_optional_string("git_sha");
  run.final_state_digest = in.late_optional_string("final_state_digest");
  run.forked_from_run = in.late_optional_string("forked_from_run");
  run.forked_from_seq = in.late_optional_integer("forked_from_seq");
  return run;
}

Event event_from_json(const nlohmann::json& json) {
  FieldReader in(json, "event");
  Event event;
  event.position = in.integer("position");
  event.run_id = in.string("run_id");
  event.seq = in.integer("seq");
  event.ts_ms = in.integer("ts_ms");
  event.kind = in.string("kind");
  event.payload = in.object("payload");
  event.idempotency_key = in.optional_string("idempotency_key");
  return event;
}

nlohmann::json parse_json(std::string_view text, std::size_t max_depth, std::string_view what) {
  return detail::parse_json_limited(text, max_depth, what);
}

}  // namespace runjournal
