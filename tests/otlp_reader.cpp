// otlp_reader.cpp — the specification's rules, one check each (see
// otlp_reader.hpp for the sources). Field sets are trace.proto's and
// common.proto's, in lowerCamelCase as the JSON encoding names them.
#include "otlp_reader.hpp"

#include <charconv>
#include <limits>
#include <set>
#include <sstream>

namespace runjournal::test {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw OtlpFormatError(where + ": " + what);
}

const std::set<std::string> kRequestFields = {"resourceSpans"};
const std::set<std::string> kResourceSpansFields = {"resource", "scopeSpans", "schemaUrl"};
const std::set<std::string> kResourceFields = {"attributes", "droppedAttributesCount", "entityRefs"};
const std::set<std::string> kScopeSpansFields = {"scope", "spans", "schemaUrl"};
const std::set<std::string> kScopeFields = {"name", "version", "attributes", "droppedAttributesCount"};
const std::set<std::string> kSpanFields = {"traceId",  "spanId",           "traceState",        "parentSpanId",
                                           "flags",    "name",             "kind",              "startTimeUnixNano",
                                           "endTimeUnixNano", "attributes", "droppedAttributesCount", "events",
                                           "droppedEventsCount", "links",  "droppedLinksCount", "status"};
const std::set<std::string> kEventFields = {"timeUnixNano", "name", "attributes", "droppedAttributesCount"};
const std::set<std::string> kStatusFields = {"message", "code"};
const std::set<std::string> kKeyValueFields = {"key", "value"};
const std::set<std::string> kAnyValueFields = {"stringValue", "boolValue",   "intValue",  "doubleValue",
                                               "arrayValue",  "kvlistValue", "bytesValue"};

const json& object_at(const json& parent, const std::string& key, const std::string& where) {
  if (!parent.contains(key)) fail(where, "missing \"" + key + "\"");
  const json& value = parent.at(key);
  if (!value.is_object()) fail(where, "\"" + key + "\" is not an object");
  return value;
}

const json& array_at(const json& parent, const std::string& key, const std::string& where) {
  if (!parent.contains(key)) fail(where, "missing \"" + key + "\"");
  const json& value = parent.at(key);
  if (!value.is_array()) fail(where, "\"" + key + "\" is not an array");
  return value;
}

void known_fields(const json& object, const std::set<std::string>& fields, const std::string& where) {
  if (!object.is_object()) fail(where, "not an object");
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (fields.count(it.key()) == 0) fail(where, "unknown field \"" + it.key() + "\"");
  }
}

std::string string_at(const json& parent, const std::string& key, const std::string& where, bool required) {
  if (!parent.contains(key)) {
    if (required) fail(where, "missing \"" + key + "\"");
    return "";
  }
  if (!parent.at(key).is_string()) fail(where, "\"" + key + "\" is not a string");
  return parent.at(key).get<std::string>();
}

// A 64-bit integer in the JSON encoding: a string of decimal digits.
template <typename T>
T decimal(const json& value, const std::string& where) {
  if (!value.is_string()) fail(where, "a 64-bit integer must be a decimal string");
  const std::string text = value.get<std::string>();
  const bool negative = !text.empty() && text[0] == '-';
  const std::string digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      (digits.size() > 1 && digits[0] == '0') || (negative && !std::numeric_limits<T>::is_signed)) {
    fail(where, "\"" + text + "\" is not a decimal integer");
  }
  T out{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) fail(where, "\"" + text + "\" is out of range");
  return out;
}

std::string hex_id(const json& parent, const std::string& key, std::size_t digits, const std::string& where,
                   bool required) {
  const std::string id = string_at(parent, key, where, required);
  if (id.empty() && !required) return id;
  if (id.size() != digits || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    fail(where, key + " \"" + id + "\" is not " + std::to_string(digits) + " lowercase hex digits");
  }
  if (id.find_first_not_of('0') == std::string::npos) fail(where, key + " is all zeros (an invalid id)");
  return id;
}

json attributes_of(const json& parent, const std::string& where) {
  json out = json::object();
  if (!parent.contains("attributes")) return out;
  const json& list = array_at(parent, "attributes", where);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + ": attribute " + std::to_string(i + 1);
    known_fields(list[i], kKeyValueFields, at);
    const std::string key = string_at(list[i], "key", at, true);
    if (key.empty()) fail(at, "an empty key");
    if (out.contains(key)) fail(at, "key \"" + key + "\" appears twice");
    out[key] = list[i].contains("value") ? decode_any_value(list[i].at("value"), at + " (" + key + ")") : json();
  }
  return out;
}

OtlpSpan read_span(const json& s, const std::string& where) {
  known_fields(s, kSpanFields, where);
  OtlpSpan span;
  span.trace_id = hex_id(s, "traceId", 32, where, true);
  span.span_id = hex_id(s, "spanId", 16, where, true);
  span.parent_span_id = hex_id(s, "parentSpanId", 16, where, false);
  span.name = string_at(s, "name", where, true);
  if (s.contains("kind")) {
    // Enums are integers only (never "SPAN_KIND_INTERNAL").
    if (!s.at("kind").is_number_integer()) fail(where, "kind is not an integer");
    span.kind = s.at("kind").get<int>();
    if (span.kind < 0 || span.kind > 5) fail(where, "kind " + std::to_string(span.kind) + " is no SpanKind");
  }
  if (!s.contains("startTimeUnixNano") || !s.contains("endTimeUnixNano")) fail(where, "missing a time");
  span.start_ns = decimal<std::uint64_t>(s.at("startTimeUnixNano"), where + ": startTimeUnixNano");
  span.end_ns = decimal<std::uint64_t>(s.at("endTimeUnixNano"), where + ": endTimeUnixNano");
  if (span.start_ns > span.end_ns) fail(where, "ends before it starts");
  span.attributes = attributes_of(s, where);
  if (s.contains("events")) {
    const json& events = array_at(s, "events", where);
    for (std::size_t i = 0; i < events.size(); ++i) {
      const std::string at = where + ": event " + std::to_string(i + 1);
      known_fields(events[i], kEventFields, at);
      OtlpEvent event;
      if (!events[i].contains("timeUnixNano")) fail(at, "missing timeUnixNano");
      event.time_ns = decimal<std::uint64_t>(events[i].at("timeUnixNano"), at + ": timeUnixNano");
      event.name = string_at(events[i], "name", at, true);
      event.attributes = attributes_of(events[i], at);
      span.events.push_back(std::move(event));
    }
  }
  if (s.contains("status")) {
    const json& status = object_at(s, "status", where);
    known_fields(status, kStatusFields, where + ": status");
    if (status.contains("code")) {
      if (!status.at("code").is_number_integer()) fail(where, "status.code is not an integer");
      span.status_code = status.at("code").get<int>();
      if (span.status_code < 0 || span.status_code > 2) fail(where, "status.code is no StatusCode");
    }
    span.status_message = string_at(status, "message", where + ": status", false);
  }
  return span;
}

}  // namespace

json decode_any_value(const json& value, const std::string& where) {
  known_fields(value, kAnyValueFields, where);
  if (value.size() > 1) fail(where, "an AnyValue sets more than one field");
  if (value.empty()) return json();
  const std::string field = value.begin().key();
  const json& v = value.begin().value();
  if (field == "stringValue") {
    if (!v.is_string()) fail(where, "stringValue is not a string");
    return v;
  }
  if (field == "boolValue") {
    if (!v.is_boolean()) fail(where, "boolValue is not a boolean");
    return v;
  }
  if (field == "intValue") return decimal<std::int64_t>(v, where + ": intValue");
  if (field == "doubleValue") {
    if (!v.is_number()) fail(where, "doubleValue is not a number");
    return v.get<double>();
  }
  if (field == "bytesValue") fail(where, "bytesValue (runjournal writes none)");
  if (!v.is_object()) fail(where, field + " is not an object");
  known_fields(v, {"values"}, where);
  // An empty list may be left out, as proto3 leaves out every default.
  static const json kNoValues = json::array();
  const json& list = v.contains("values") ? array_at(v, "values", where) : kNoValues;
  if (field == "arrayValue") {
    json out = json::array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      out.push_back(decode_any_value(list[i], where + "[" + std::to_string(i) + "]"));
    }
    return out;
  }
  json out = json::object();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + "{" + std::to_string(i) + "}";
    known_fields(list[i], kKeyValueFields, at);
    const std::string key = string_at(list[i], "key", at, true);
    if (out.contains(key)) fail(at, "key \"" + key + "\" appears twice");
    out[key] = list[i].contains("value") ? decode_any_value(list[i].at("value"), at) : json();
  }
  return out;
}

OtlpFile read_otlp_file(const std::string& text) {
  OtlpFile file;
  std::istringstream in(text);
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const std::string where = "line " + std::to_string(number);
    const json request = json::parse(line, nullptr, false);
    if (request.is_discarded()) fail(where, "not JSON");
    known_fields(request, kRequestFields, where);
    for (const json& rs : array_at(request, "resourceSpans", where)) {
      known_fields(rs, kResourceSpansFields, where + ": resourceSpans");
      OtlpLine out;
      const json& resource = object_at(rs, "resource", where);
      known_fields(resource, kResourceFields, where + ": resource");
      out.resource = attributes_of(resource, where + ": resource");
      for (const json& ss : array_at(rs, "scopeSpans", where)) {
        known_fields(ss, kScopeSpansFields, where + ": scopeSpans");
        if (ss.contains("scope")) {
          const json& scope = object_at(ss, "scope", where);
          known_fields(scope, kScopeFields, where + ": scope");
          out.scope_name = string_at(scope, "name", where + ": scope", false);
          out.scope_version = string_at(scope, "version", where + ": scope", false);
        }
        const json& spans = array_at(ss, "spans", where);
        for (std::size_t i = 0; i < spans.size(); ++i) {
          OtlpSpan span = read_span(spans[i], where + ": span " + std::to_string(i + 1));
          span.line = number;
          out.spans.push_back(span);
          file.traces[span.trace_id].push_back(std::move(span));
        }
      }
      file.lines.push_back(std::move(out));
    }
  }
  if (!text.empty() && text.back() != '\n') fail("line " + std::to_string(number), "no newline at the end");
  for (const auto& [trace_id, spans] : file.traces) {
    std::set<std::string> ids;
    for (const OtlpSpan& s : spans) {
      if (!ids.insert(s.span_id).second) fail("trace " + trace_id, "span id " + s.span_id + " appears twice");
    }
    std::size_t roots = 0;
    for (const OtlpSpan& s : spans) {
      if (s.parent_span_id.empty()) {
        ++roots;
      } else if (ids.count(s.parent_span_id) == 0) {
        fail("trace " + trace_id, "span " + s.span_id + " has parent " + s.parent_span_id + ", not in the trace");
      }
    }
    if (roots != 1) fail("trace " + trace_id, std::to_string(roots) + " root spans, not 1");
  }
  return file;
}

}  // namespace runjournal::test
