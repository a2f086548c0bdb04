// jsonl_batch.hpp — the input of `runjournal append DB --jsonl FILE|-`.
//
// One JSON object per line:
//   {"run_id": "r1", "kind": "tool_called", "payload": {…}}
// with the optional fields "payload" (an object; absent means {}),
// "idempotency_key" (a string) and "expected_seq" (an integer); null means
// absent. Blank lines are skipped; a trailing "\r"
// is ignored. Any other field, a missing or ill-typed field, or a line that is
// not a JSON object rejects the whole batch: the error names the line number
// (1-based, counting blank lines) and nothing is appended. So does a line
// that is not valid JSON (1e999 included) or nests deeper than the
// journal's payload limit plus one (the line around the payload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include <runjournal/journal.hpp>

namespace runjournal::cli {

struct Batch {
  std::vector<NewEvent> events;
  std::vector<std::size_t> lines;  // lines[i]: the input line of events[i]
};

// Reads the stream a chunk at a time, so that a bulk append can write one
// chunk while the next is parsed.
class JsonlReader {
 public:
  explicit JsonlReader(std::istream& in) : in_(in) {}
  // Parses lines into `events` (and their numbers into `lines`) until `max`
  // more are there or the input ends; false when there was nothing left.
  // Throws CliError("line N: …") on a bad line, CliError on a read failure.
  bool next(std::vector<NewEvent>& events, std::vector<std::size_t>& lines, std::size_t max);
  // Bytes read so far (lines and their newlines), for progress.
  std::int64_t bytes() const { return bytes_; }

 private:
  std::istream& in_;
  std::string line_;
  std::size_t line_number_ = 0;
  std::int64_t bytes_ = 0;
};

// Reads the whole stream. Throws as JsonlReader::next does.
Batch read_jsonl_batch(std::istream& in);

}  // namespace runjournal::cli
