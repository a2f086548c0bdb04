// jsonl_batch.hpp — the input of `runjournal append DB --jsonl FILE|-`.
//
// One JSON object per line:
//   {"run_id": "r1", "kind": "tool_called", "payload": {…}}
// with the optional fields "idempotency_key" (a string) and "expected_seq"
// (an integer); null means absent. Blank lines are skipped; a trailing "\r"
// is ignored. Any other field, a missing or ill-typed field, or a line that is
// not a JSON object rejects the whole batch: the error names the line number
// (1-based, counting blank lines) and nothing is appended.
#pragma once

#include <cstddef>
#include <istream>
#include <vector>

#include <runjournal/journal.hpp>

namespace runjournal::cli {

struct Batch {
  std::vector<NewEvent> events;
  std::vector<std::size_t> lines;  // lines[i]: the input line of events[i]
};

// Reads the whole stream. Throws CliError("line N: …") on the first bad line,
// CliError on a read failure.
Batch read_jsonl_batch(std::istream& in);

}  // namespace runjournal::cli
