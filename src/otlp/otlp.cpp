// otlp.cpp — runs as OpenTelemetry traces (runjournal/otlp.hpp; the
// mapping in docs/otlp.md, which this file follows field for field).
// About 430 lines, kept in one file on purpose: it is that mapping, read
// top to bottom beside the page, resource to span to attribute; the JSON
// writing itself is otlp_writer.cpp's.
//
// One run at a time: Journal::records reads each run whole in its own short
// read transaction, pair_spans finds its spans, and the run's line (lines,
// for a long run) is written through a small buffer, so memory is bounded
// by one run.
//
// Choices the OTLP and GenAI specifications leave open, and why:
// - Span status: OTel instrumentation leaves a successful operation UNSET
//   and keeps OK for an explicit verdict; the run's status is one, so the
//   root is OK when completed. A child span is ERROR only when its own end
//   event says it failed (X_failed, tool_error); a span cut off by the run's
//   end stays UNSET with runjournal.span.state "cut_off": the journal knows
//   it never ended, not that it failed.
// - Span kind: INTERNAL for all. The journal records what a host did in
//   its own process; whether a tool call crossed a network it cannot tell.
// - Times: the journal's clock is in ms; a clock that went backwards would
//   give an end before its start, which OTLP readers reject, so an end is
//   never written below its span's start.
#include <runjournal/otlp.hpp>

#include <array>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <runjournal/spans.hpp>

#include "otlp/otlp_writer.hpp"
#include "otlp/sha256.hpp"

namespace runjournal {
namespace {

using detail::Attributes;
using detail::OtlpWriter;

// trace.proto: Span.SpanKind and Status.StatusCode.
constexpr int kSpanKindInternal = 1;
constexpr int kStatusUnset = 0;
constexpr int kStatusOk = 1;
constexpr int kStatusError = 2;

// The longest root span name taken from a prompt, in bytes.
constexpr std::size_t kMaxNameBytes = 100;

std::string hex_id(std::string_view seed, std::size_t bytes) {
  std::array<std::uint8_t, 32> digest = detail::sha256(seed);
  bool zero = true;
  for (std::size_t i = 0; i < bytes; ++i) zero = zero && digest[i] == 0;
  if (zero) digest[bytes - 1] = 1;  // an all-zero id means "no id" in OTLP
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < bytes; ++i) {
    text += kDigits[digest[i] >> 4];
    text += kDigits[digest[i] & 0xf];
  }
  return text;
}

const std::string* string_field(const nlohmann::json& payload, std::string_view field) {
  if (!payload.is_object()) return nullptr;
  const auto it = payload.find(field);
  return it != payload.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// A prompt's first line, cut at a UTF-8 boundary, as a span name.
std::string name_from_prompt(const std::string& prompt) {
  std::string line = prompt.substr(0, prompt.find_first_of("\r\n"));
  if (line.size() <= kMaxNameBytes) return line;
  std::size_t cut = kMaxNameBytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "\xE2\x80\xA6";  // …
}

enum class Side { Open, End, Event };

// The GenAI semantic conventions' name for a payload field, where one applies.
std::optional<std::pair<std::string_view, Attributes::Value>> genai_attribute(const std::string& field,
                                                                             const nlohmann::json& value, Side side,
                                                                             bool tool) {
  using Result = std::pair<std::string_view, Attributes::Value>;
  if (tool) {
    if (field == "tool_name" && value.is_string()) return Result{"gen_ai.tool.name", &value};
    if (field == "tool_type" && value.is_string()) return Result{"gen_ai.tool.type", &value};
    if ((field == "tool_call_id" || field == "call_id") && (value.is_string() || value.is_number())) {
      return Result{"gen_ai.tool.call.id", value.is_string() ? Attributes::Value(&value) : value.dump()};
    }
    if (side == Side::Open && (field == "arguments" || field == "args" || field == "input")) {
      return Result{"gen_ai.tool.call.arguments", &value};
    }
    if (side == Side::End && (field == "result" || field == "output")) {
      return Result{"gen_ai.tool.call.result", &value};
    }
  }
  if (field == "model" && value.is_string()) return Result{"gen_ai.request.model", &value};
  if (field == "agent_name" && value.is_string()) return Result{"gen_ai.agent.name", &value};
  if (field == "input_tokens" && value.is_number_integer()) return Result{"gen_ai.usage.input_tokens", &value};
  if (field == "output_tokens" && value.is_number_integer()) return Result{"gen_ai.usage.output_tokens", &value};
  return std::nullopt;
}

// Every payload field, under its GenAI name where one applies and is not
// taken yet, else under runjournal.payload.FIELD (runjournal.end_payload.FIELD
// for a span's end event).
void add_payload(Attributes& attributes, const nlohmann::json& payload, Side side, bool tool) {
  if (!payload.is_object()) return;
  const std::string prefix = side == Side::End ? "runjournal.end_payload." : "runjournal.payload.";
  for (auto it = payload.begin(); it != payload.end(); ++it) {
    if (auto genai = genai_attribute(it.key(), it.value(), side, tool)) {
      if (attributes.add(std::string(genai->first), std::move(genai->second))) continue;
    }
    attributes.add(prefix + it.key(), &it.value());
  }
}

struct Status {
  int code = kStatusUnset;
  std::string message;
};

// One span's line text: the fields in trace.proto's order.
struct SpanText {
  std::string_view trace_id;
  std::string span_id;
  std::string parent_id;  // empty for the root
  std::string name;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  Attributes attributes;
  Status status;
};

void write_span(OtlpWriter& w, const SpanText& span, const std::vector<std::size_t>& span_events,
                const std::vector<Event>& events) {
  w.raw("{\"traceId\":\"");
  w.raw(span.trace_id);
  w.raw("\",\"spanId\":\"");
  w.raw(span.span_id);
  w.raw("\"");
  if (!span.parent_id.empty()) {
    w.raw(",\"parentSpanId\":\"");
    w.raw(span.parent_id);
    w.raw("\"");
  }
  w.raw(",\"name\":");
  w.string(span.name);
  w.raw(",\"kind\":");
  w.integer(kSpanKindInternal);
  w.raw(",\"startTimeUnixNano\":");
  w.nanos(span.start_ms);
  w.raw(",\"endTimeUnixNano\":");
  w.nanos(std::max(span.start_ms, span.end_ms));
  span.attributes.write(w);
  if (!span_events.empty()) {
    w.raw(",\"events\":[");
    for (std::size_t n = 0; n < span_events.size(); ++n) {
      const Event& event = events[span_events[n]];
      if (n > 0) w.raw(",");
      w.raw("{\"timeUnixNano\":");
      w.nanos(event.ts_ms);
      w.raw(",\"name\":");
      w.string(event.kind);
      Attributes attributes;
      attributes.add("runjournal.seq", event.seq);
      attributes.add("runjournal.position", event.position);
      add_payload(attributes, event.payload, Side::Event, false);
      attributes.write(w);
      w.raw("}");
    }
    w.raw("]");
  }
  w.raw(",\"status\":{\"code\":");
  w.integer(span.status.code);
  if (span.status.code == kStatusError) {
    w.raw(",\"message\":");
    w.string(span.status.message);
  }
  w.raw("}}");
}

// event_homes() for an event that opens or ends a span.
constexpr std::size_t kOpensOrEnds = SIZE_MAX;

// For each event that neither opens nor ends a span, the innermost span
// open around it (the latest-opened span with open seq < its seq < end
// seq): its index in `spans`, or spans.size() for none; kOpensOrEnds for
// the others. The stack is the
// chain of enclosing spans, as in pair_spans' parents; a span that ended
// before an event or before a later span's end encloses nothing later that
// the spans above it do not.
std::vector<std::size_t> event_homes(const std::vector<Span>& spans, const std::vector<Event>& events) {
  const auto end_seq = [](const Span& s) -> std::int64_t {
    if (s.close_seq) return *s.close_seq;
    if (s.state == SpanState::Moment) return s.open_seq;
    return INT64_MAX;
  };
  std::vector<bool> in_span(events.size(), false);
  for (const Span& s : spans) {
    in_span[s.open_index] = true;
    if (s.close_index) in_span[*s.close_index] = true;
  }
  std::vector<std::size_t> home(events.size(), spans.size());
  std::vector<std::size_t> stack;
  std::size_t next = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::int64_t seq = events[i].seq;
    while (next < spans.size() && spans[next].open_index == i) {
      const std::int64_t end = end_seq(spans[next]);
      while (!stack.empty() && end_seq(spans[stack.back()]) < end) stack.pop_back();
      stack.push_back(next++);
    }
    if (in_span[i]) {
      home[i] = kOpensOrEnds;
      continue;
    }
    while (!stack.empty() && end_seq(spans[stack.back()]) < seq) stack.pop_back();
    if (!stack.empty()) home[i] = stack.back();
  }
  return home;
}

bool failed_end(const Span& span, const Event& end) {
  if (span.ended_by != SpanEnd::EndEvent) return false;
  const std::string_view kind = end.kind;
  return kind == "tool_error" || (kind.size() > 7 && kind.substr(kind.size() - 7) == "_failed");
}

void add_optional(Attributes& a, const char* key, const std::optional<std::string>& value) {
  if (value) a.add(key, *value);
}

// The root span's attributes and status, from the run's row.
void describe_root(SpanText& root, const Run& run, const std::optional<Span>& span,
                   const std::vector<Event>& events) {
  Attributes& a = root.attributes;
  a.add("gen_ai.operation.name", std::string("invoke_agent"));
  a.add("gen_ai.conversation.id", run.session_id);
  a.add("runjournal.run_id", run.run_id);
  a.add("runjournal.session_id", run.session_id);
  a.add("runjournal.status", std::string(to_string(run.status)));
  a.add("runjournal.span.family", std::string("run"));
  if (span) a.add("runjournal.span.state", std::string(to_string(span->state)));
  if (!run.prompt.empty()) a.add("runjournal.prompt", run.prompt);
  a.add("runjournal.seq", span ? span->open_seq : std::int64_t{0});
  a.add("runjournal.position", run.first_position);
  if (span && span->close_index) {
    const Event& end = events[*span->close_index];
    a.add("runjournal.end.kind", end.kind);
    a.add("runjournal.end.seq", end.seq);
    a.add("runjournal.end.position", end.position);
  }
  a.add("runjournal.event_count", run.event_count);
  add_optional(a, "runjournal.result_text", run.result_text);
  add_optional(a, "runjournal.error", run.error);
  add_optional(a, "runjournal.status_reason", run.status_reason);
  if (!run.inputs.is_null()) a.add("runjournal.inputs", &run.inputs);
  if (!run.outputs.is_null()) a.add("runjournal.outputs", &run.outputs);
  if (!run.metadata.is_null()) a.add("runjournal.metadata", &run.metadata);
  add_optional(a, "runjournal.agent_spec_digest", run.agent_spec_digest);
  add_optional(a, "runjournal.git_sha", run.git_sha);
  add_optional(a, "runjournal.final_state_digest", run.final_state_digest);
  add_optional(a, "runjournal.forked_from_run", run.forked_from_run);
  if (run.forked_from_seq) a.add("runjournal.forked_from_seq", *run.forked_from_seq);
  if (run.status == RunStatus::Completed) root.status.code = kStatusOk;
  if (run.status == RunStatus::Failed) {
    root.status = {kStatusError, run.error.value_or("failed")};
    a.add("error.type", std::string("_OTHER"));
  }
}

// A child span's attributes, name and status.
void describe_child(SpanText& text, const Span& span, const Run& run, const std::vector<Event>& events) {
  const Event& open = events[span.open_index];
  const Event* end = span.close_index ? &events[*span.close_index] : nullptr;
  const bool own_end = end != nullptr && span.ended_by == SpanEnd::EndEvent;
  const bool tool = span.family == "tool";
  Attributes& a = text.attributes;
  if (tool) a.add("gen_ai.operation.name", std::string("execute_tool"));
  a.add("runjournal.run_id", run.run_id);
  a.add("runjournal.span.family", span.family);
  a.add("runjournal.span.state", std::string(to_string(span.state)));
  a.add("runjournal.kind", open.kind);
  a.add("runjournal.seq", open.seq);
  a.add("runjournal.position", open.position);
  if (end) {
    a.add("runjournal.end.kind", end->kind);
    a.add("runjournal.end.seq", end->seq);
    a.add("runjournal.end.position", end->position);
  }
  add_payload(a, open.payload, Side::Open, tool);
  if (own_end) add_payload(a, end->payload, Side::End, tool);
  text.name = span.label;
  if (tool) {
    // The GenAI conventions' span name: "execute_tool {gen_ai.tool.name}".
    const std::string* name = string_field(open.payload, "tool_name");
    if (name == nullptr) name = string_field(open.payload, "name");
    if (name == nullptr && own_end) name = string_field(end->payload, "tool_name");
    text.name = name ? "execute_tool " + *name : "execute_tool";
  }
  if (own_end && failed_end(span, *end)) {
    const std::string* message = string_field(end->payload, "error");
    if (message == nullptr) message = string_field(end->payload, "message");
    text.status = {kStatusError, message ? *message : end->kind};
    const std::string* type = string_field(end->payload, "error_type");
    a.add("error.type", type ? *type : std::string("_OTHER"));
  }
}

}  // namespace

std::string otlp_trace_id(std::string_view journal_id, std::string_view run_id) {
  return hex_id(fmt::format("{}/{}", journal_id, run_id), 16);
}

std::string otlp_span_id(std::string_view journal_id, std::string_view run_id, std::int64_t open_seq) {
  return hex_id(fmt::format("{}/{}/{}", journal_id, run_id, open_seq), 8);
}

OtlpReport write_otlp_trace(std::ostream& out, const RunRecord& record, std::string_view journal_id,
                            const OtlpOptions& options) {
  const Run& run = record.run;
  const std::vector<Event>& events = record.events;
  // Open spans of a live run reach its latest event, not the wall clock:
  // the same journal always exports the same bytes.
  const std::int64_t last_ms = events.empty() ? run.updated_at_ms : events.back().ts_ms;
  const std::vector<Span> spans = pair_spans(events, !is_terminal(run.status), last_ms);
  // The run's own span is the root; without one (events that do not start
  // with run_created, which a journal never holds) the run's row times it.
  const std::optional<std::size_t> root_index =
      !spans.empty() && spans.front().family == "run" ? std::optional<std::size_t>(0) : std::nullopt;
  const std::string trace_id = otlp_trace_id(journal_id, run.run_id);
  std::vector<std::string> span_ids;
  span_ids.reserve(spans.size());
  for (const Span& s : spans) span_ids.push_back(otlp_span_id(journal_id, run.run_id, s.open_seq));
  const std::string root_id = root_index ? span_ids[*root_index] : otlp_span_id(journal_id, run.run_id, 0);

  // Span events, by the span they belong to (spans.size(): the root).
  const std::vector<std::size_t> home = event_homes(spans, events);
  std::vector<std::vector<std::size_t>> events_of(spans.size() + 1);
  OtlpReport report{.traces = 1, .lines = 0, .spans = 0, .span_events = 0,
                     .events = static_cast<std::int64_t>(events.size())};
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (home[i] == kOpensOrEnds) continue;
    std::size_t target = home[i];
    if (root_index && target == *root_index) target = spans.size();
    events_of[target].push_back(i);
    ++report.span_events;
  }

  // Every line opens the same way: one resource, one scope, then spans.
  OtlpWriter w(out);
  std::uint64_t line_start = 0;
  const auto open_line = [&] {
    line_start = w.written();
    w.raw("{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":");
    w.string(options.service_name);
    w.raw("}},{\"key\":\"runjournal.journal_id\",\"value\":{\"stringValue\":");
    w.string(journal_id);
    w.raw("}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"runjournal\",\"version\":");
    w.string(version());
    w.raw("},\"spans\":[");
  };
  const auto close_line = [&] {
    w.raw("]}]}]}\n");
    ++report.lines;
  };
  open_line();

  SpanText root;
  root.trace_id = trace_id;
  root.span_id = root_id;
  if (root_index) {
    root.start_ms = spans[*root_index].start_ms;
    root.end_ms = spans[*root_index].end_ms;
  } else {
    root.start_ms = run.created_at_ms;
    root.end_ms = run.finished_at_ms.value_or(run.updated_at_ms);
  }
  root.name = run.prompt.empty() ? "run " + run.run_id : name_from_prompt(run.prompt);
  describe_root(root, run, root_index ? std::optional<Span>(spans[*root_index]) : std::nullopt, events);
  write_span(w, root, events_of[spans.size()], events);
  ++report.spans;

  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (root_index && i == *root_index) continue;
    const Span& span = spans[i];
    SpanText text;
    text.trace_id = trace_id;
    text.span_id = span_ids[i];
    text.parent_id = span.parent && !(root_index && *span.parent == *root_index) ? span_ids[*span.parent] : root_id;
    text.start_ms = span.start_ms;
    text.end_ms = span.end_ms;
    describe_child(text, span, run, events);
    if (options.line_bytes > 0 && w.written() - line_start >= options.line_bytes) {
      close_line();
      open_line();
    } else {
      w.raw(",");
    }
    write_span(w, text, events_of[i], events);
    ++report.spans;
  }
  close_line();
  w.flush();
  return report;
}

OtlpReport export_otlp(const Journal& journal, std::ostream& out, const OtlpOptions& options,
                       const Progress& progress) {
  const std::string journal_id = journal.stats().journal_id;
  OtlpReport total;
  journal.records(
      [&](const RunRecord& record) {
        const OtlpReport one = write_otlp_trace(out, record, journal_id, options);
        total.traces += one.traces;
        total.lines += one.lines;
        total.spans += one.spans;
        total.span_events += one.span_events;
        total.events += one.events;
      },
      options.run_id, progress);
  return total;
}

}  // namespace runjournal
