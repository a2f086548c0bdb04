// values.cpp — the C API's result values: runs, events, checkpoints and
// their lists. Each holds the C++ value and its JSON columns as text,
// made once at construction, so accessors never allocate or fail.
#include <runjournal/json.hpp>

#include "capi.hpp"

using namespace runjournal;
using namespace runjournal::capi;

namespace {

std::optional<std::string> text_of(const nlohmann::json& value) {
  if (value.is_null()) return std::nullopt;
  return value.dump();
}

const char* c_str(const std::optional<std::string>& text) { return text ? text->c_str() : nullptr; }

}  // namespace

rj_run::rj_run(Run value)
    : run(std::move(value)),
      inputs(text_of(run.inputs)),
      outputs(text_of(run.outputs)),
      metadata(text_of(run.metadata)),
      checkpoint(text_of(run.checkpoint)) {}

rj_event::rj_event(Event value) : event(std::move(value)), payload(event.payload.dump()) {}

rj_checkpoint::rj_checkpoint(Checkpoint value)
    : checkpoint(std::move(value)), state(checkpoint.state.dump()), payload(checkpoint.payload.dump()) {}

namespace runjournal::capi {

rj_run_list* run_list(std::vector<Run>&& runs) {
  auto list = std::make_unique<rj_run_list>();
  list->runs.reserve(runs.size());
  for (Run& run : runs) list->runs.emplace_back(std::move(run));
  return list.release();
}

rj_event_list* event_list(std::vector<Event>&& events) {
  auto list = std::make_unique<rj_event_list>();
  list->events.reserve(events.size());
  for (Event& event : events) list->events.emplace_back(std::move(event));
  return list.release();
}

}  // namespace runjournal::capi

extern "C" {

// ---- runs ----

const char* rj_run_id(const rj_run* run) { return run ? run->run.run_id.c_str() : nullptr; }
const char* rj_run_session_id(const rj_run* run) { return run ? run->run.session_id.c_str() : nullptr; }
rj_run_status rj_run_get_status(const rj_run* run) {
  return run ? c_status(run->run.status) : static_cast<rj_run_status>(0);
}
const char* rj_run_prompt(const rj_run* run) { return run ? run->run.prompt.c_str() : nullptr; }
const char* rj_run_inputs_json(const rj_run* run) { return run ? c_str(run->inputs) : nullptr; }
const char* rj_run_outputs_json(const rj_run* run) { return run ? c_str(run->outputs) : nullptr; }
const char* rj_run_metadata_json(const rj_run* run) { return run ? c_str(run->metadata) : nullptr; }
const char* rj_run_result_text(const rj_run* run) { return run ? c_str(run->run.result_text) : nullptr; }
const char* rj_run_error(const rj_run* run) { return run ? c_str(run->run.error) : nullptr; }
const char* rj_run_status_reason(const rj_run* run) { return run ? c_str(run->run.status_reason) : nullptr; }
const char* rj_run_checkpoint_id(const rj_run* run) { return run ? c_str(run->run.checkpoint_id) : nullptr; }
const char* rj_run_checkpoint_json(const rj_run* run) { return run ? c_str(run->checkpoint) : nullptr; }
int64_t rj_run_created_at_ms(const rj_run* run) { return run ? run->run.created_at_ms : 0; }
int64_t rj_run_updated_at_ms(const rj_run* run) { return run ? run->run.updated_at_ms : 0; }
int rj_run_finished_at_ms(const rj_run* run, int64_t* out) {
  if (run == nullptr || !run->run.finished_at_ms) return 0;
  if (out != nullptr) *out = *run->run.finished_at_ms;
  return 1;
}
int64_t rj_run_first_position(const rj_run* run) { return run ? run->run.first_position : 0; }
int64_t rj_run_event_count(const rj_run* run) { return run ? run->run.event_count : 0; }
int64_t rj_run_last_seq(const rj_run* run) { return run ? run->run.last_seq : 0; }
int64_t rj_run_last_position(const rj_run* run) { return run ? run->run.last_position : 0; }
int rj_run_has_driver(const rj_run* run) { return run && run->run.driver ? 1 : 0; }
const char* rj_run_driver_host(const rj_run* run) {
  return run && run->run.driver ? run->run.driver->host.c_str() : nullptr;
}
int64_t rj_run_driver_pid(const rj_run* run) { return run && run->run.driver ? run->run.driver->pid : 0; }
int64_t rj_run_driver_start_time(const rj_run* run) {
  return run && run->run.driver ? run->run.driver->start_time : 0;
}
const char* rj_run_driver_boot_id(const rj_run* run) {
  return run && run->run.driver ? run->run.driver->boot_id.c_str() : nullptr;
}
const char* rj_run_agent_spec_digest(const rj_run* run) { return run ? c_str(run->run.agent_spec_digest) : nullptr; }
const char* rj_run_git_sha(const rj_run* run) { return run ? c_str(run->run.git_sha) : nullptr; }
const char* rj_run_final_state_digest(const rj_run* run) { return run ? c_str(run->run.final_state_digest) : nullptr; }
rj_status rj_run_to_json(const rj_run* run, char** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    *out = copy_string(to_json(require(run, "run")->run).dump());
  });
}
void rj_run_free(rj_run* run) { delete run; }

// ---- events ----

int64_t rj_event_position(const rj_event* event) { return event ? event->event.position : 0; }
const char* rj_event_run_id(const rj_event* event) { return event ? event->event.run_id.c_str() : nullptr; }
int64_t rj_event_seq(const rj_event* event) { return event ? event->event.seq : 0; }
int64_t rj_event_ts_ms(const rj_event* event) { return event ? event->event.ts_ms : 0; }
const char* rj_event_kind(const rj_event* event) { return event ? event->event.kind.c_str() : nullptr; }
const char* rj_event_payload_json(const rj_event* event) { return event ? event->payload.c_str() : nullptr; }
const char* rj_event_idempotency_key(const rj_event* event) {
  return event ? c_str(event->event.idempotency_key) : nullptr;
}
rj_status rj_event_to_json(const rj_event* event, char** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    *out = copy_string(to_json(require(event, "event")->event).dump());
  });
}
void rj_event_free(rj_event* event) { delete event; }

// ---- checkpoints ----

const char* rj_checkpoint_id(const rj_checkpoint* checkpoint) {
  return checkpoint ? checkpoint->checkpoint.checkpoint_id.c_str() : nullptr;
}
const char* rj_checkpoint_state_json(const rj_checkpoint* checkpoint) {
  return checkpoint ? checkpoint->state.c_str() : nullptr;
}
const char* rj_checkpoint_payload_json(const rj_checkpoint* checkpoint) {
  return checkpoint ? checkpoint->payload.c_str() : nullptr;
}
void rj_checkpoint_free(rj_checkpoint* checkpoint) { delete checkpoint; }

// ---- lists ----

size_t rj_run_list_count(const rj_run_list* list) { return list ? list->runs.size() : 0; }
const rj_run* rj_run_list_at(const rj_run_list* list, size_t index) {
  return list && index < list->runs.size() ? &list->runs[index] : nullptr;
}
void rj_run_list_free(rj_run_list* list) { delete list; }

size_t rj_event_list_count(const rj_event_list* list) { return list ? list->events.size() : 0; }
const rj_event* rj_event_list_at(const rj_event_list* list, size_t index) {
  return list && index < list->events.size() ? &list->events[index] : nullptr;
}
void rj_event_list_free(rj_event_list* list) { delete list; }

// ---- recovered runs ----

size_t rj_recovered_list_count(const rj_recovered_list* list) { return list ? list->items.size() : 0; }
const rj_run* rj_recovered_list_run(const rj_recovered_list* list, size_t index) {
  return list && index < list->items.size() ? &list->items[index].run : nullptr;
}
const rj_checkpoint* rj_recovered_list_checkpoint(const rj_recovered_list* list, size_t index) {
  if (list == nullptr || index >= list->items.size() || !list->items[index].checkpoint) return nullptr;
  return &*list->items[index].checkpoint;
}
int64_t rj_recovered_list_silent_ms(const rj_recovered_list* list, size_t index) {
  return list && index < list->items.size() ? list->items[index].silent_ms : 0;
}
const char* rj_recovered_list_why(const rj_recovered_list* list, size_t index) {
  return list && index < list->items.size() ? list->items[index].why.c_str() : nullptr;
}
void rj_recovered_list_free(rj_recovered_list* list) { delete list; }

}  // extern "C"
