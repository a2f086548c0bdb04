// runjournal/otlp.hpp — runs as OpenTelemetry traces, in OTLP/JSON.
//
//   std::ofstream file("traces.jsonl");
//   runjournal::export_otlp(journal, file);            // every run, a line each
//
// The output is what the OpenTelemetry Collector's file exporter writes and
// its `otlpjsonfile` receiver reads: JSON Lines (UTF-8, "\n" after each
// line), each line one ExportTraceServiceRequest object (resourceSpans →
// scopeSpans → spans) in the OTLP JSON encoding: trace and span ids as
// lowercase hex (32 and 16 digits), times as decimal strings of Unix
// nanoseconds, enums as integers, attributes as {key, value: AnyValue}.
// docs/otlp.md has the whole mapping; in short, one trace per run, on one
// line (or several, for a run too long for one: OtlpOptions::line_bytes):
// - the trace id is the first 16 bytes of SHA-256(journal_id "/" run_id),
//   a span's id the first 8 bytes of SHA-256(journal_id "/" run_id "/" seq)
//   with seq its opening event's (otlp_trace_id, otlp_span_id below): the
//   same run exports to the same ids every time, and another tool can
//   compute them;
// - a root span for the run: its prompt as the name, status OK when
//   completed, ERROR with the run's error when failed, UNSET otherwise
//   (live, interrupted, and cancelled: a cancellation is a decision, not a
//   failure);
// - a child span for each span of runjournal/spans.hpp (tool calls, nodes,
//   turns, steps, any X_started), parented to the innermost span that
//   encloses it, else to the root; a tool call is an `execute_tool` span
//   with the GenAI semantic conventions' attributes (gen_ai.tool.name,
//   gen_ai.tool.call.id, …);
// - every other event is a span event on the innermost span open around it;
// - payload fields become attributes: the GenAI conventions' names where one
//   applies, else runjournal.payload.FIELD (runjournal.end_payload.FIELD for
//   the ending event's), objects and arrays as kvlistValue and arrayValue.
//
// Why free functions, not members of Journal: the export is a format over
// public reads (Journal::records, Journal::stats) and over pair_spans; it
// needs nothing of the journal's insides, so it is the same on every backend,
// and a host that holds RunRecords of its own can write them too.
//
// Guarantees: reads only (the journal is never written); memory stays
// bounded by the largest run, whatever the journal's size, since runs are
// read a page at a time and each run, with its events, in its own short read
// transaction (Journal::records), then written out and dropped. Output is
// deterministic: the same journal gives the same bytes. Errors are
// runjournal::Error: NotFound for an unknown OtlpOptions::run_id (before
// anything is written), Io when `out` fails, and what Journal::records
// throws. Safe from any thread, as the Journal's reads are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include <runjournal/inspect.hpp>
#include <runjournal/journal.hpp>

namespace runjournal {

struct OtlpOptions {
  // The resource's service.name.
  std::string service_name = "runjournal";
  // export_otlp only: this run alone (ErrorCode::NotFound when absent).
  std::optional<std::string> run_id;
  // A run whose line has reached this many bytes goes on in another line
  // (same trace, same resource), so that readers that take lines of a
  // bounded size can read it: the otlpjsonfile receiver splits lines past
  // its max_log_size (1 MiB by default), which breaks their JSON. A span is
  // never split, so a line passes this by at most one span. 0: one line
  // per run, however long.
  std::size_t line_bytes = 512 * 1024;
};

struct OtlpReport {
  std::int64_t traces = 0;       // runs written: one trace each
  std::int64_t lines = 0;        // lines written: one per run, more for a long run (line_bytes)
  std::int64_t spans = 0;        // root spans included
  std::int64_t span_events = 0;  // events written as span events
  std::int64_t events = 0;       // the runs' events, all of them
};

// Writes every run of `journal` (or OtlpOptions::run_id alone) to `out`, in
// creation order, a line per run (more for a long one). `progress` counts
// runs.
OtlpReport export_otlp(const Journal& journal, std::ostream& out, const OtlpOptions& options = {},
                       const Progress& progress = {});

// Writes one run as a line (with its "\n"; several lines for a long run:
// OtlpOptions::line_bytes). `journal_id` seeds the ids and
// is the resource's runjournal.journal_id (JournalStats::journal_id).
// `record.events` must be the run's events in seq order.
OtlpReport write_otlp_trace(std::ostream& out, const RunRecord& record, std::string_view journal_id,
                            const OtlpOptions& options = {});

// The ids the export gives: 32 and 16 lowercase hex digits (never all
// zeros: such a digest prefix, 2^-64 likely, gets its last byte set to 1).
std::string otlp_trace_id(std::string_view journal_id, std::string_view run_id);
std::string otlp_span_id(std::string_view journal_id, std::string_view run_id, std::int64_t open_seq);

}  // namespace runjournal
