// spans.cpp — pair_spans(): the web view's timeline rules in C++.
//
// tools/serve/assets/timeline.js is the reference: this file follows its
// code line for line in meaning (tests/spans_test.cpp runs both on the same
// events and compares), including what its header comment leaves unsaid:
// - a closing event compares only the key's value, not which field held it;
// - kinds are matched as JavaScript regular expressions match them, so the
//   X of a generic X_started contains no line terminator (`.` in a regular
//   expression matches none of \n, \r, U+2028, U+2029);
// - keys compare as JavaScript strings: a number's key is its String() text,
//   so 1 and 1.0 are the same key;
// - every span of a family other than turn and step that the run's end
//   closes is cut off, not only tool calls and nodes.
// Only the bookkeeping differs: timeline.js scans its open list for each
// end, here open spans are indexed by family and key, so a run of a million
// events costs O(n log n), not O(n²).
#include <runjournal/spans.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <system_error>

namespace runjournal {
namespace {

// The identifying payload fields, in the order timeline.js tries them.
constexpr std::array<std::string_view, 7> kKeyFields = {"tool_call_id", "call_id", "span_id", "node_id",
                                                        "node",         "tool_name", "name"};
constexpr std::array<std::string_view, 7> kTerminalKinds = {"run_completed", "run_failed",      "run_cancelled",
                                                            "end",           "error",           "graph_completed",
                                                            "graph_failed"};

enum class Role { Open, Close };

struct Classified {
  std::string family;
  Role role = Role::Open;
  bool next = false;  // a new one ends the one before (turns and steps)
};

bool one_of(std::string_view text, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (text == w) return true;
  }
  return false;
}

bool is_terminal_kind(std::string_view kind) {
  for (std::string_view k : kTerminalKinds) {
    if (kind == k) return true;
  }
  return false;
}

// `prefix` + "_" + one of `suffixes` == kind: returns the suffix.
std::optional<std::string_view> suffix_after(std::string_view kind, std::string_view prefix,
                                             std::initializer_list<std::string_view> suffixes) {
  if (kind.size() <= prefix.size() + 1 || kind.substr(0, prefix.size()) != prefix || kind[prefix.size()] != '_') {
    return std::nullopt;
  }
  const std::string_view rest = kind.substr(prefix.size() + 1);
  if (one_of(rest, suffixes)) return rest;
  return std::nullopt;
}

// Whether a JavaScript `.` matches every character of `text` (UTF-8).
bool no_line_terminator(std::string_view text) {
  return text.find_first_of("\n\r") == std::string_view::npos &&
         text.find("\xE2\x80\xA8") == std::string_view::npos && text.find("\xE2\x80\xA9") == std::string_view::npos;
}

// /^(.+)_(a|b|…)$/ with its capture not "run" nor "graph".
std::optional<std::string> generic_family(std::string_view kind, std::initializer_list<std::string_view> suffixes) {
  for (std::string_view suffix : suffixes) {
    if (kind.size() < suffix.size() + 2) continue;  // at least one character before "_"
    if (kind.substr(kind.size() - suffix.size()) != suffix || kind[kind.size() - suffix.size() - 1] != '_') continue;
    const std::string_view family = kind.substr(0, kind.size() - suffix.size() - 1);
    if (!no_line_terminator(family) || family == "run" || family == "graph") return std::nullopt;
    return std::string(family);
  }
  return std::nullopt;
}

// timeline.js classify().
std::optional<Classified> classify(std::string_view kind) {
  if (suffix_after(kind, "tool", {"started", "start", "called"})) return Classified{"tool", Role::Open, false};
  if (suffix_after(kind, "tool", {"result", "completed", "finished", "failed", "error", "returned"})) {
    return Classified{"tool", Role::Close, false};
  }
  if (suffix_after(kind, "node", {"entered", "started"})) return Classified{"node", Role::Open, false};
  if (suffix_after(kind, "node", {"exited", "completed", "failed"})) return Classified{"node", Role::Close, false};
  for (std::string_view family : {std::string_view("turn"), std::string_view("step")}) {
    if (suffix_after(kind, family, {"started", "start"})) return Classified{std::string(family), Role::Open, true};
    if (suffix_after(kind, family, {"completed", "ended", "finished", "failed"})) {
      return Classified{std::string(family), Role::Close, false};
    }
  }
  // "started" before "start": a kind ends with at most one of them.
  if (std::optional<std::string> f = generic_family(kind, {"started", "start"})) {
    return Classified{std::move(*f), Role::Open, false};
  }
  if (std::optional<std::string> f = generic_family(kind, {"completed", "ended", "finished", "failed"})) {
    return Classified{std::move(*f), Role::Close, false};
  }
  return std::nullopt;
}

struct Key {
  std::string field;
  std::string value;
};

// timeline.js keyOf(): the first key field holding a string or a number.
std::optional<Key> key_of(const nlohmann::json& payload) {
  if (!payload.is_object()) return std::nullopt;
  for (std::string_view field : kKeyFields) {
    const auto it = payload.find(field);
    if (it == payload.end()) continue;
    if (it->is_string()) return Key{std::string(field), it->get<std::string>()};
    if (it->is_number()) return Key{std::string(field), javascript_number_text(it->get<double>())};
  }
  return std::nullopt;
}

// The spans still open, by family and by key, each set ordered by opening.
struct OpenFamily {
  std::set<std::size_t> all;
  std::map<std::string, std::set<std::size_t>, std::less<>> by_key;
};

struct Pairing {
  std::vector<Span> spans;
  std::vector<bool> next;    // per span: a turn or a step
  std::vector<bool> called;  // per span: opened by tool_called
  std::map<std::string, OpenFamily, std::less<>> open;

  void end(std::size_t index, const Event& event, std::size_t event_index, SpanEnd by, bool cut) {
    Span& span = spans[index];
    span.ended_by = by;
    span.end_ms = event.ts_ms;
    span.close_seq = event.seq;
    span.close_index = event_index;
    span.state = cut ? SpanState::CutOff : SpanState::Ended;
  }

  void forget(OpenFamily& family, std::size_t index) {
    family.all.erase(index);
    const Span& span = spans[index];
    if (!span.key) return;
    const auto it = family.by_key.find(*span.key);
    if (it == family.by_key.end()) return;
    it->second.erase(index);
    if (it->second.empty()) family.by_key.erase(it);
  }
};

// The parent of each span: the stack holds a chain of spans, each enclosing
// the one above it. A span whose end comes before the next one's end can
// enclose nothing that opens later than that next one does without the
// next one enclosing it too, so popping it loses no parent.
void link_parents(std::vector<Span>& spans) {
  const auto end_seq = [](const Span& s) -> std::int64_t {
    if (s.close_seq) return *s.close_seq;
    if (s.state == SpanState::Moment) return s.open_seq;
    return INT64_MAX;
  };
  std::vector<std::size_t> stack;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const std::int64_t end = end_seq(spans[i]);
    while (!stack.empty() && end_seq(spans[stack.back()]) < end) stack.pop_back();
    if (!stack.empty()) spans[i].parent = stack.back();
    stack.push_back(i);
  }
}

}  // namespace

std::string_view to_string(SpanState state) noexcept {
  switch (state) {
    case SpanState::Ended: return "ended";
    case SpanState::CutOff: return "cut_off";
    case SpanState::Running: return "running";
    case SpanState::Moment: return "moment";
    case SpanState::Unended: return "unended";
  }
  return "ended";
}

std::string javascript_number_text(double value) {
  if (value == 0) return "0";  // -0 too
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  std::string sign = value < 0 ? "-" : "";
  // The shortest round-trip digits, as "d.ddde±x" (ECMAScript Number::toString
  // asks for the same digits: as few as read back as the value).
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), std::fabs(value),
                                       std::chars_format::scientific);
  const std::string text(buffer.data(), ec == std::errc() ? end : buffer.data());
  const std::size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int k = static_cast<int>(digits.size());
  const int n = std::stoi(text.substr(e + 1)) + 1;  // value = 0.digits × 10^n
  if (k <= n && n <= 21) return sign + digits + std::string(static_cast<std::size_t>(n - k), '0');
  if (0 < n && n <= 21) {
    return sign + digits.substr(0, static_cast<std::size_t>(n)) + "." + digits.substr(static_cast<std::size_t>(n));
  }
  if (-6 < n && n <= 0) return sign + "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  const std::string exponent = (n - 1 < 0 ? "-" : "+") + std::to_string(std::abs(n - 1));
  if (k == 1) return sign + digits + "e" + exponent;
  return sign + digits.substr(0, 1) + "." + digits.substr(1) + "e" + exponent;
}

std::vector<Span> pair_spans(const std::vector<Event>& events, bool live, std::int64_t now_ms) {
  Pairing p;
  std::optional<std::size_t> run_span;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    if (event.kind == "run_created") {
      run_span = p.spans.size();
      Span span;
      span.family = "run";
      span.label = "run";
      span.open_index = i;
      span.open_seq = event.seq;
      span.start_ms = event.ts_ms;
      p.spans.push_back(std::move(span));
      p.next.push_back(false);
      p.called.push_back(false);
      continue;
    }
    if (is_terminal_kind(event.kind)) {
      // A turn or a step simply ends with the run; anything else was cut
      // off, except a tool_called that nothing ended: a host that records a
      // call and its result as one event has no end to wait for, so it
      // stays a moment (made so below), not a span to the run's end.
      for (auto& [name, family] : p.open) {
        for (std::size_t index : family.all) {
          if (p.called[index]) continue;
          p.end(index, event, i, SpanEnd::RunEnd, !p.next[index]);
        }
      }
      p.open.clear();
      if (run_span && !p.spans[*run_span].close_seq) p.end(*run_span, event, i, SpanEnd::RunEnd, false);
      continue;
    }
    std::optional<Classified> c = classify(event.kind);
    if (!c) continue;
    std::optional<Key> key = key_of(event.payload);
    OpenFamily& family = p.open[c->family];
    if (c->role == Role::Open) {
      if (c->next) {
        // A new turn (step) ends the one before it.
        const std::set<std::size_t> before = family.all;
        for (std::size_t index : before) {
          if (!p.next[index]) continue;
          p.end(index, event, i, SpanEnd::Next, false);
          p.forget(family, index);
        }
      }
      const std::size_t index = p.spans.size();
      Span span;
      span.family = c->family;
      span.label = c->family;
      span.open_index = i;
      span.open_seq = event.seq;
      span.start_ms = event.ts_ms;
      if (key) {
        span.label += " " + key->value;
        span.key_field = key->field;
        span.key = key->value;
        family.by_key[key->value].insert(index);
      }
      family.all.insert(index);
      p.spans.push_back(std::move(span));
      p.next.push_back(c->next);
      p.called.push_back(event.kind == "tool_called");
    } else {
      if (family.all.empty()) continue;
      std::size_t match = *family.all.rbegin();
      if (key) {
        const auto it = family.by_key.find(key->value);
        if (it != family.by_key.end()) match = *it->second.rbegin();
      }
      p.end(match, event, i, SpanEnd::EndEvent, false);
      p.forget(family, match);
    }
  }
  const std::int64_t last = events.empty() ? now_ms : events.back().ts_ms;
  const std::int64_t final_end = live ? std::max(now_ms, last) : last;
  for (std::size_t i = 0; i < p.spans.size(); ++i) {
    Span& span = p.spans[i];
    if (span.close_seq) continue;
    if (p.called[i]) {
      span.state = SpanState::Moment;
      span.end_ms = span.start_ms;
    } else {
      span.state = live ? SpanState::Running : SpanState::Unended;
      span.end_ms = final_end;
    }
  }
  link_parents(p.spans);
  return std::move(p.spans);
}

}  // namespace runjournal
