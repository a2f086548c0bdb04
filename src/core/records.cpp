// records.cpp — whole runs out (Journal::records) and in
// (Journal::import_records), as JSON Lines.
//
// A record is one run: {"run": {…}, "events": [{…}, …]}. On the way in, only
// the events count: the run row is derived again by the projector from them,
// because a row that disagreed with its events would break the journal's
// first invariant (runs is a pure function of events). Positions are this
// journal's: they are assigned by the writer as for any append.
//
// The import is one writer batch, so it is all or nothing like any batch,
// and a refusal the writer finds (an id that appeared meanwhile) comes back
// with the event's batch index, which maps to its line here.
#include <runjournal/journal.hpp>

#include <cstdint>
#include <istream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <runjournal/json.hpp>

#include "core/event_input.hpp"
#include "core/json_text.hpp"
#include "core/journal_impl.hpp"
#include "core/projector.hpp"

namespace runjournal {
namespace {

// Runs read per listing call while exporting.
constexpr std::size_t kExportPage = 200;

Error at_line(std::size_t line, const Error& e) {
  return Error(e.code(), fmt::format("line {}: {}", line, e.what()));
}

// The parts of an event that an import keeps (its position is the
// journal's own), for "the same run is already here" checks.
bool same_history(const std::vector<Event>& a, const std::vector<Event>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].seq != b[i].seq || a[i].ts_ms != b[i].ts_ms || a[i].kind != b[i].kind ||
        a[i].payload != b[i].payload || a[i].idempotency_key != b[i].idempotency_key) {
      return false;
    }
  }
  return true;
}

// Checks a record on its own: every event belongs to the run, seq runs
// 1, 2, 3 … without a gap, the first is run_created, keys are unique.
void check_record(const RunRecord& record) {
  if (record.events.empty()) {
    throw Error(ErrorCode::InvalidArgument, fmt::format("run {} has no events", record.run.run_id));
  }
  std::set<std::string> keys;
  for (std::size_t i = 0; i < record.events.size(); ++i) {
    const Event& e = record.events[i];
    if (e.run_id != record.run.run_id) {
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("event seq {} belongs to run {}, not {}", e.seq, e.run_id, record.run.run_id));
    }
    const auto expected = static_cast<std::int64_t>(i) + 1;
    if (e.seq != expected) {
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("run {}: events must be seq 1, 2, 3 … without gaps; expected seq {}, found {}",
                              e.run_id, expected, e.seq));
    }
    if (e.idempotency_key && !keys.insert(*e.idempotency_key).second) {
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("run {}: idempotency key {} is used twice", e.run_id, *e.idempotency_key));
    }
  }
  if (detail::classify_kind(record.events.front().kind) != detail::KindClass::RunCreated) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("run {}: seq 1 is {}, not run_created", record.run.run_id, record.events.front().kind));
  }
}

// The stream's size when it can tell (a file), else 0 (a pipe).
std::int64_t stream_size(std::istream& in) {
  const std::istream::pos_type start = in.tellg();
  if (start == std::istream::pos_type(-1)) return 0;
  in.seekg(0, std::ios::end);
  const std::istream::pos_type end = in.tellg();
  in.seekg(start);
  if (end == std::istream::pos_type(-1) || !in) {
    in.clear();
    return 0;
  }
  return static_cast<std::int64_t>(end - start);
}

}  // namespace

std::string record_to_line(const RunRecord& record) {
  nlohmann::json events = nlohmann::json::array();
  for (const Event& event : record.events) events.push_back(to_json(event));
  const nlohmann::json line = {{"run", to_json(record.run)}, {"events", std::move(events)}};
  // Invalid UTF-8 cannot be in a journal (it is refused at append), so a
  // strict dump never throws here.
  return line.dump();
}

RunRecord record_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw Error(ErrorCode::InvalidArgument, "a record must be a JSON object");
  if (!json.contains("run")) throw Error(ErrorCode::InvalidArgument, "record: missing \"run\"");
  if (!json.contains("events") || !json.at("events").is_array()) {
    throw Error(ErrorCode::InvalidArgument, "record: \"events\" must be an array");
  }
  RunRecord record;
  record.run = run_from_json(json.at("run"));
  for (const nlohmann::json& event : json.at("events")) record.events.push_back(event_from_json(event));
  return record;
}

void Journal::records(const std::function<void(const RunRecord&)>& visit, const std::optional<std::string>& run_id,
                      const Progress& progress) const {
  // One record per read transaction: its row and events agree, and no
  // snapshot is held while `visit` writes it out.
  const auto read_record = [&](const std::string& id) {
    return impl_->read("exporting a run", [&](detail::ReadSession& s) -> std::optional<RunRecord> {
      detail::Snapshot snapshot(s);
      std::optional<Run> run = s.runs().load(id);
      if (!run) return std::nullopt;
      return RunRecord{std::move(*run), s.events().by_run(id, 1, SIZE_MAX)};
    });
  };
  if (run_id) {
    std::optional<RunRecord> record = read_record(*run_id);
    if (!record) throw Error(ErrorCode::NotFound, fmt::format("no run {}", *run_id));
    visit(*record);
    if (progress) progress(1, 1);
    return;
  }
  const JournalStats before = stats();
  std::int64_t done = 0;
  Page page{.limit = kExportPage};
  for (;;) {
    const std::vector<Run> listed = runs({}, page);
    for (const Run& run : listed) {
      // A run pruned between the listing and now is simply gone.
      if (std::optional<RunRecord> record = read_record(run.run_id)) visit(*record);
      ++done;
      if (progress) progress(done, std::max(done, before.runs));
    }
    if (listed.size() < page.limit) break;
    page.after_run_id = listed.back().run_id;
  }
}

ImportReport Journal::import_records(std::istream& in, const Progress& progress) {
  impl_->writable("import");  // refused before a line is read
  // A record nests its payloads three deep: {"events": [{"payload": …}]}.
  const std::size_t max_line_depth = *impl_->options.max_json_depth + 3;
  const std::int64_t total_bytes = stream_size(in);
  std::int64_t bytes_read = 0;
  std::vector<detail::PreparedEvent> batch;
  std::vector<std::size_t> line_of_event;  // batch index -> line number
  std::map<std::string, std::size_t> line_of_run;
  std::vector<std::pair<std::size_t, RunRecord>> records;
  std::string text;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    bytes_read += static_cast<std::int64_t>(text.size()) + 1;
    if (progress) progress(bytes_read, std::max(bytes_read, total_bytes));
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines are allowed
    try {
      const nlohmann::json json = detail::parse_json_limited(text, max_line_depth, "the record");
      RunRecord record = record_from_json(json);
      check_record(record);
      const auto [it, inserted] = line_of_run.emplace(record.run.run_id, line);
      if (!inserted) {
        throw Error(ErrorCode::AlreadyExists,
                    fmt::format("run {} appears twice in the file (first on line {})", record.run.run_id, it->second));
      }
      records.emplace_back(line, std::move(record));
    } catch (const Error& e) {
      throw at_line(line, e);
    }
  }
  if (in.bad()) throw Error(ErrorCode::Io, "import: reading the input failed");

  ImportReport report;
  // Runs already here: identical ones are skipped, others refused. The
  // writer checks again at commit, so a run created meanwhile is refused
  // there rather than duplicated.
  for (auto& [line, record] : records) {
    const std::vector<Event> existing = events(record.run.run_id);
    if (!existing.empty()) {
      if (!same_history(existing, record.events)) {
        throw Error(ErrorCode::AlreadyExists,
                    fmt::format("line {}: run {} already exists with other events", line, record.run.run_id));
      }
      ++report.runs_skipped;
      continue;
    }
    for (const Event& e : record.events) {
      try {
        // expected_seq pins each event to its seq in the file: the writer
        // refuses rather than renumbers. History is imported as it was: an
        // event without a driver gets none of the importer's.
        detail::PreparedEvent prepared = detail::prepare_copied_event(
            NewEvent{e.run_id, e.kind, e.payload, {.expected_seq = e.seq - 1, .idempotency_key = e.idempotency_key}},
            impl_->options, e.ts_ms);
        batch.push_back(std::move(prepared));
        line_of_event.push_back(line);
      } catch (const Error& error) {
        throw Error(error.code(), fmt::format("line {}: event seq {}: {}", line, e.seq, error.what()));
      }
    }
    ++report.runs_imported;
    report.events_imported += static_cast<std::int64_t>(record.events.size());
  }
  if (batch.empty()) return report;
  try {
    impl_->writable("import").append(std::move(batch));
  } catch (const Error& e) {
    // A batch of one event carries no index; its line is the only one.
    const bool refusal = e.code() != ErrorCode::Io && e.code() != ErrorCode::Busy && e.code() != ErrorCode::Corrupt;
    const std::optional<std::size_t> index =
        e.batch_index() ? e.batch_index() : (refusal && line_of_event.size() == 1 ? std::optional<std::size_t>(0) : std::nullopt);
    if (index && *index < line_of_event.size()) throw at_line(line_of_event[*index], e);
    throw;
  }
  return report;
}

}  // namespace runjournal
