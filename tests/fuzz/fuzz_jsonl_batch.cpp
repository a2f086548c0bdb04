// fuzz_jsonl_batch: the JSON Lines batch decoder of `runjournal append
// --jsonl` (tools/jsonl_batch.cpp). Any input either decodes or is refused
// with CliError naming a line; nothing else may escape, and what decodes
// keeps its promises (every payload an object, one line number per event,
// line numbers increasing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "cli_common.hpp"
#include "jsonl_batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const runjournal::cli::Batch batch = runjournal::cli::read_jsonl_batch(in);
    if (batch.lines.size() != batch.events.size()) std::abort();
    for (std::size_t i = 0; i < batch.events.size(); ++i) {
      if (!batch.events[i].payload.is_object()) std::abort();
      if (i > 0 && batch.lines[i] <= batch.lines[i - 1]) std::abort();
    }
  } catch (const runjournal::cli::CliError& e) {
    if (std::string(e.what()).rfind("line ", 0) != 0 && std::string(e.what()).rfind("reading line ", 0) != 0) {
      std::abort();  // every refusal names its line
    }
  }
  return 0;
}
