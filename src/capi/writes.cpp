// writes.cpp — create_run, append and batches.
//
// Payload text is parsed here, before the call reaches the journal, so JSON
// that does not parse is refused like any other bad input: with
// RJ_INVALID_ARGUMENT and nothing written (in a batch, named by its index).
#include <fmt/format.h>

#include "capi.hpp"

using namespace runjournal;
using namespace runjournal::capi;

namespace {

NewEvent new_event(const rj_journal& journal, const rj_new_event& given) {
  NewEvent event;
  event.run_id = require_text(given.run_id, "run_id");
  event.kind = require_text(given.kind, "kind");
  event.payload = parse_json(journal, given.payload_json, "payload", nlohmann::json::object());
  if (given.has_expected_seq) event.options.expected_seq = given.expected_seq;
  if (given.idempotency_key) event.options.idempotency_key = given.idempotency_key;
  return event;
}

// The same, with the error naming the event's index in its batch, as the
// library names the events it refuses.
NewEvent new_event_at(const rj_journal& journal, const rj_new_event* given, std::size_t index) {
  try {
    return new_event(journal, read_struct(given, "event"));
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("event {}: {}", index, e.what()), index);
  }
}

}  // namespace

extern "C" {

rj_status rj_create_run(rj_journal* journal, const rj_new_run* run, rj_run** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    Run created = journal->journal.create_run(new_run(*journal, run));
    if (out != nullptr) *out = new rj_run(std::move(created));
  });
}

rj_status rj_append(rj_journal* journal, const char* run_id, const char* kind, const char* payload_json,
                    const rj_append_options* options, rj_event** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    const std::string run = require_text(run_id, "run_id");
    const std::string what = require_text(kind, "kind");
    const nlohmann::json payload = parse_json(*journal, payload_json, "payload", nlohmann::json::object());
    Event event = journal->journal.append(run, what, payload, append_options(options));
    if (out != nullptr) *out = new rj_event(std::move(event));
  });
}

rj_status rj_append_batch(rj_journal* journal, const rj_new_event* events, size_t count, rj_event_list** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    std::vector<NewEvent> batch;
    if (count > 0) {
      require(events, "events");
      // Step by the caller's struct size: a caller built against an older,
      // smaller rj_new_event still passes a well-formed array.
      const std::size_t stride = events->struct_size;
      if (stride < sizeof(std::size_t)) throw Error(ErrorCode::InvalidArgument, "events: struct_size is not set");
      const auto* bytes = reinterpret_cast<const unsigned char*>(events);
      batch.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        const auto* given = reinterpret_cast<const rj_new_event*>(bytes + i * stride);
        if (given->struct_size != stride) {
          throw Error(ErrorCode::InvalidArgument,
                      fmt::format("event {}: struct_size {} differs from the first event's {}", i,
                                  given->struct_size, stride),
                      i);
        }
        batch.push_back(new_event_at(*journal, given, i));
      }
    }
    std::vector<Event> written = journal->journal.append_batch(std::move(batch));
    if (out != nullptr) *out = event_list(std::move(written));
  });
}

rj_status rj_chunk_add(rj_chunk* chunk, const rj_new_event* event) {
  return guard([&] {
    require(chunk, "chunk");
    const std::size_t index = chunk->first + chunk->events->size();
    try {
      chunk->events->push_back(new_event_at(*chunk->journal, event, index));
    } catch (const Error& e) {
      // The batch fails with this once the source returns, whatever it
      // returns: a refused event must never be silently left out.
      if (!chunk->error) chunk->error = e;
      throw;
    }
  });
}

rj_status rj_append_batch_chunked(rj_journal* journal, rj_chunk_fn source, void* user, rj_event_list** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    require(source, "source");
    std::size_t first = 0;
    std::vector<Event> written = journal->journal.append_batch_chunked([&](std::vector<NewEvent>& events) {
      rj_chunk chunk{journal, &events, first, std::nullopt};
      const int rc = source(user, &chunk);
      if (chunk.error) throw *chunk.error;
      if (rc != 0) throw Aborted(fmt::format("the chunk source aborted the batch (it returned {})", rc));
      first += events.size();
      return !events.empty();
    });
    if (out != nullptr) *out = event_list(std::move(written));
  });
}

}  // extern "C"
