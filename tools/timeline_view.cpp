// timeline_view.cpp — `runjournal show RUN --timeline`: a run as time.
//
// Two parts, as a person reads a trace: the events with the time since the
// run began and since the event before (where the time went is the big
// delta), then the spans that paired events make (runjournal/spans.hpp, the
// same pairing as the web view's timeline), each drawn as a bar on the
// run's length, nested spans indented under the span that holds them.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <runjournal/json.hpp>
#include <runjournal/spans.hpp>

#include "run_views.hpp"
#include "text_format.hpp"

namespace runjournal::cli {
namespace {

constexpr std::size_t kBarWidth = 40;
constexpr std::size_t kLabelWidth = 32;
constexpr std::size_t kPayloadWidth = 64;  // off a terminal

std::string signed_delta(std::int64_t ms) { return ms < 0 ? "-" + format_duration_ms(-ms) : "+" + format_duration_ms(ms); }

// Where the run's time axis starts and ends: its first event, and its last
// event or (while live) now, whichever is later.
struct Axis {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

Axis axis_of(const Run& run, const std::vector<Event>& events, const std::vector<Span>& spans) {
  Axis axis{events.empty() ? run.created_at_ms : events.front().ts_ms, 0};
  axis.end = axis.start;
  for (const Event& e : events) axis.end = std::max(axis.end, e.ts_ms);
  for (const Span& s : spans) axis.end = std::max(axis.end, s.end_ms);
  return axis;
}

// A bar of kBarWidth cells: '█' where the span is, '·' elsewhere; a span
// too short for a cell still gets one, so every span is seen.
std::string bar(const Axis& axis, const Span& span) {
  const double length = static_cast<double>(std::max<std::int64_t>(axis.end - axis.start, 1));
  const auto cell = [&](std::int64_t ms) {
    const double at = static_cast<double>(std::clamp(ms, axis.start, axis.end) - axis.start) / length;
    return std::min(kBarWidth - 1, static_cast<std::size_t>(at * static_cast<double>(kBarWidth)));
  };
  const std::size_t from = cell(std::min(span.start_ms, span.end_ms));
  const std::size_t to = std::max(from, cell(std::max(span.start_ms, span.end_ms)));
  std::string out;
  for (std::size_t i = 0; i < kBarWidth; ++i) out += i >= from && i <= to ? "█" : "·";
  return out;
}

std::size_t depth_of(const std::vector<Span>& spans, std::size_t index) {
  std::size_t depth = 0;
  for (std::optional<std::size_t> p = spans[index].parent; p && depth < spans.size(); p = spans[*p].parent) ++depth;
  return depth;
}

std::vector<Span> spans_of(const Run& run, const std::vector<Event>& events, std::int64_t now_ms) {
  return pair_spans(events, !is_terminal(run.status), now_ms);
}

}  // namespace

std::string timeline(const Run& run, const std::vector<Event>& events, const TableStyle& style) {
  const std::vector<Span> spans = spans_of(run, events, style.now_ms);
  const Axis axis = axis_of(run, events, spans);
  std::string out = fmt::format("run {}  {}  began {}  {} {}  {} events\n\n", run.run_id, to_string(run.status),
                                format_time(axis.start, style.times, style.now_ms),
                                is_terminal(run.status) ? "took" : "so far", format_duration_ms(axis.end - axis.start),
                                events.size());

  const std::vector<Column> event_columns = {
      {"SEQ", Align::Right, 0},   {"AT", Align::Right, 0},         {"DELTA", Align::Right, 0},
      {"KIND", Align::Left, 28},  {"PAYLOAD", Align::Left, style.fit_width > 0 ? 0 : kPayloadWidth},
  };
  std::vector<std::vector<std::string>> rows;
  std::int64_t previous = axis.start;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    rows.push_back({std::to_string(e.seq), format_duration_ms(e.ts_ms - axis.start),
                    i == 0 ? "" : signed_delta(e.ts_ms - previous), e.kind, e.payload.dump()});
    previous = e.ts_ms;
  }
  out += render_table(event_columns, rows, style.fit_width);

  if (spans.empty()) return out;
  out += '\n';
  const std::vector<Column> span_columns = {
      {"SPAN", Align::Left, kLabelWidth}, {"TIMELINE", Align::Left, 0}, {"TOOK", Align::Right, 0},
      {"STATE", Align::Left, 0},          {"SEQS", Align::Left, 0},
  };
  std::vector<std::vector<std::string>> span_rows;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    span_rows.push_back({std::string(2 * std::min<std::size_t>(depth_of(spans, i), 8), ' ') + s.label, bar(axis, s),
                         format_duration_ms(s.end_ms - s.start_ms), std::string(to_string(s.state)),
                         s.close_seq ? fmt::format("{}-{}", s.open_seq, *s.close_seq) : std::to_string(s.open_seq)});
  }
  out += render_table(span_columns, span_rows, style.fit_width);
  return out;
}

nlohmann::json timeline_json(const Run& run, const std::vector<Event>& events, std::int64_t now_ms) {
  const std::vector<Span> spans = spans_of(run, events, now_ms);
  const Axis axis = axis_of(run, events, spans);
  nlohmann::json out = {{"run", to_json(run)}, {"started_at_ms", axis.start}, {"duration_ms", axis.end - axis.start}};
  nlohmann::json& listed = out["events"] = nlohmann::json::array();
  std::int64_t previous = axis.start;
  for (const Event& e : events) {
    nlohmann::json item = to_json(e);
    item["offset_ms"] = e.ts_ms - axis.start;
    item["delta_ms"] = e.ts_ms - previous;
    previous = e.ts_ms;
    listed.push_back(std::move(item));
  }
  nlohmann::json& drawn = out["spans"] = nlohmann::json::array();
  for (const Span& s : spans) {
    drawn.push_back({{"family", s.family},
                     {"label", s.label},
                     {"key_field", s.key_field ? nlohmann::json(*s.key_field) : nlohmann::json()},
                     {"key", s.key ? nlohmann::json(*s.key) : nlohmann::json()},
                     {"open_seq", s.open_seq},
                     {"close_seq", s.close_seq ? nlohmann::json(*s.close_seq) : nlohmann::json()},
                     {"start_ms", s.start_ms},
                     {"end_ms", s.end_ms},
                     {"duration_ms", s.end_ms - s.start_ms},
                     {"state", to_string(s.state)},
                     {"parent", s.parent ? nlohmann::json(*s.parent) : nlohmann::json()}});
  }
  return out;
}

}  // namespace runjournal::cli
