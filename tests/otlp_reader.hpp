// otlp_reader.hpp — a reader of OTLP/JSON trace files, written for the tests
// from the specifications alone (not from runjournal's writer): the OTLP
// JSON encoding (opentelemetry-proto docs/specification.md, "JSON Protobuf
// Encoding": lowerCamelCase keys, hex trace and span ids, integer enums,
// 64-bit integers as decimal strings), trace.proto and common.proto (the
// messages and their fields), and the file exporter's format (JSON Lines,
// one ExportTraceServiceRequest per line).
//
// It is strict where runjournal promises more than the encoding demands:
// ids must be lowercase, times decimal strings, and every field name must be
// one trace.proto defines (a misspelt field would be ignored by a real
// reader, silently losing data, so here it is an error).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace runjournal::test {

// What the file breaks, with the line and the rule ("line 3: span 2:
// spanId is not 16 lowercase hex digits").
class OtlpFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OtlpEvent {
  std::uint64_t time_ns = 0;
  std::string name;
  nlohmann::json attributes;  // an object: key → the AnyValue decoded to JSON
};

struct OtlpSpan {
  std::string trace_id, span_id, parent_span_id, name;  // parent empty for a root
  int kind = 0;
  std::uint64_t start_ns = 0, end_ns = 0;
  nlohmann::json attributes;  // an object, as OtlpEvent's
  std::vector<OtlpEvent> events;
  int status_code = 0;
  std::string status_message;
  std::size_t line = 0;  // 1-based
};

struct OtlpLine {
  nlohmann::json resource;  // the resource's attributes, decoded
  std::string scope_name, scope_version;
  std::vector<OtlpSpan> spans;
};

struct OtlpFile {
  std::vector<OtlpLine> lines;
  // Every span by trace id, across lines (a trace may span several).
  std::map<std::string, std::vector<OtlpSpan>> traces;
};

// Reads a whole file and checks it: every line is one
// ExportTraceServiceRequest; ids have the right length, are lowercase hex
// and not all zero; span ids are unique in their trace; every parentSpanId
// names a span of the same trace and each trace has exactly one root;
// times are decimal strings of a uint64 with start <= end; kind is a
// SpanKind (0-5) and status.code a StatusCode (0-2); attribute keys are
// non-empty and unique per list; every AnyValue sets at most one field, an
// intValue being a decimal string of an int64. Throws OtlpFormatError at the
// first rule broken.
OtlpFile read_otlp_file(const std::string& text);

// An AnyValue as JSON: stringValue → string, intValue → integer,
// doubleValue → number, boolValue → bool, arrayValue → array,
// kvlistValue → object, no value → null. Throws OtlpFormatError.
nlohmann::json decode_any_value(const nlohmann::json& value, const std::string& where);

}  // namespace runjournal::test
