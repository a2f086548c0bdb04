// bench_raw_pg.hpp — the raw-libpq baseline of the PostgreSQL backend's
// benchmark (bench_raw_pg.cpp says what each scenario sends): libpq
// directly, the journal's real tables, the position from the counter row.
#pragma once

#include <cstdint>
#include <string>

namespace rjbench {

// The payload every event of both sides carries.
inline constexpr const char* kRawPgPayload = R"({"tool_name":"search","args":{"query":"quarterly report","limit":10}})";

enum class RawPgKind { Single, Sequence, Batch, Unnest };

struct RawPgScenario {
  const char* name;
  RawPgKind kind;
  int threads;
  int per_txn;  // events per transaction
};

// `uri` with its search_path set to `schema` (a journal in that schema).
std::string with_search_path(const std::string& uri, const std::string& schema);

// Runs one scenario for `seconds` in a fresh schema (dropped afterwards):
// events per second, and in `events` how many were written. Throws
// std::runtime_error or runjournal::Error on any failure.
double measure_raw_pg(const std::string& uri, const RawPgScenario& s, double seconds, std::int64_t& events);

}  // namespace rjbench
