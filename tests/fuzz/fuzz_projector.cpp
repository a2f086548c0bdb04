// fuzz_projector: incremental projection equals a replay. Each input is
// decoded into events for three runs, appended through a Journal in batches
// (the writer projects them incrementally, in group commits with their
// savepoints and run cache); then every run row the journal stored must
// equal the row a fresh replay of its events through detail::project gives,
// and now and then verify() (a full recomputation) must be clean.
//
// Input: lines. A line "#" ends a batch. Any other line: its first byte picks
// the run (byte % 3) and the kind (byte / 3, from the table below, aliases
// and unknown kinds included); the rest is the payload, used when it parses
// as a JSON object (else {"text": rest}).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <runjournal/journal.hpp>

#include "core/projector.hpp"
#include "test_support.hpp"

namespace {

constexpr std::array<std::string_view, 28> kKinds = {
    "run_started", "planning_started", "verifying_started", "step_started", "turn_started", "tool_started",
    "tool_called", "node_entered", "run_completed", "run_failed", "run_cancelled", "run_interrupted",
    "run_resumed", "checkpoint_saved", "checkpoint_deleted", "start", "end", "error", "planning_start",
    "step_start", "tool_start", "turn_start", "graph_started", "graph_completed", "graph_failed",
    "graph_interrupted", "custom_note", "run_created"};

struct State {
  runjournal::test::TempDir dir;
  std::optional<runjournal::Journal> journal;
  long inputs = 0;
};

State& state() {
  static State s;
  return s;
}

void append(runjournal::Journal& journal, std::vector<runjournal::NewEvent>& batch) {
  if (batch.empty()) return;
  try {
    if (batch.size() == 1) {
      journal.append(batch[0].run_id, batch[0].kind, batch[0].payload);
    } else {
      journal.append_batch(batch);
    }
  } catch (const runjournal::Error&) {
    // Refused (bad UTF-8, a second run_created, …): typed, and nothing written.
  }
  batch.clear();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  if (!s.journal || s.inputs % 500 == 0) {
    s.journal.reset();
    s.journal.emplace(runjournal::Journal::open(s.dir.file("p" + std::to_string(s.inputs) + ".db"),
                                                {.durability = runjournal::Durability::Normal}));
  }
  runjournal::Journal& journal = *s.journal;
  const std::string prefix = "f" + std::to_string(s.inputs++) + "-";
  for (int r = 0; r < 3; ++r) {
    journal.create_run({.session_id = "fuzz", .prompt = "p", .run_id = prefix + std::to_string(r)});
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<runjournal::NewEvent> batch;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    if (line == "#") {
      append(journal, batch);
      continue;
    }
    const auto b = static_cast<unsigned char>(line[0]);
    runjournal::NewEvent e;
    e.run_id = prefix + std::to_string(b % 3);
    e.kind = std::string(kKinds[(b / 3) % kKinds.size()]);
    const std::string rest(line.substr(1));
    nlohmann::json payload = nlohmann::json::parse(rest, nullptr, /*allow_exceptions=*/false);
    if (payload.is_object()) {
      e.payload = std::move(payload);
    } else {
      e.payload = {{"text", rest}};  // may be bad UTF-8: refused, typed
    }
    batch.push_back(std::move(e));
  }
  append(journal, batch);

  // The oracle: the stored row equals a replay of the stored events.
  for (int r = 0; r < 3; ++r) {
    const std::string id = prefix + std::to_string(r);
    std::optional<runjournal::Run> replayed;
    std::vector<std::string> payloads;
    const std::vector<runjournal::Event> events = journal.events(id);
    for (const runjournal::Event& e : events) payloads.push_back(e.payload.dump());
    for (std::size_t i = 0; i < events.size(); ++i) {
      const runjournal::Event& e = events[i];
      runjournal::detail::project(replayed, {e.run_id, e.seq, e.position, e.ts_ms, e.kind, payloads[i]});
    }
    if (journal.run(id) != replayed) std::abort();
  }
  if (s.inputs % 50 == 0 && !journal.verify().ok()) std::abort();
  return 0;
}
