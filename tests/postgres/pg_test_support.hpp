// pg_test_support.hpp — what the PostgreSQL suites share: the server the
// ctest fixture started (tools/pg_cluster.sh), a fresh schema per test, and
// catching the layer's errors.
//
// The server: RUNJOURNAL_TEST_PG_URI, else the URI in the file named by
// RUNJOURNAL_TEST_PG_URI_FILE (what the fixture writes). Each test works in
// a schema of its own (ScratchSchema), so no two tests share tables, and
// connects through a URI whose search_path puts that schema first.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include <runjournal/error.hpp>

#include "postgres/connection.hpp"
#include "postgres/database_error.hpp"

namespace doctest {
template <>
struct StringMaker<runjournal::ErrorCode> {
  static String convert(runjournal::ErrorCode code);
};
}  // namespace doctest

namespace rjpg_test {

// The fixture's server, as a libpq URI (database and role `runjournal`).
const std::string& server_uri();
// `uri` with one more query parameter, its value percent-encoded.
std::string with_parameter(const std::string& uri, std::string_view key, std::string_view value);
// A name no other test of any suite running now uses: prefix_<pid>_<n>.
std::string unique_name(std::string_view prefix);

// A schema of its own for one test, dropped (with everything in it) at the end.
class ScratchSchema {
 public:
  ScratchSchema();
  ScratchSchema(const ScratchSchema&) = delete;
  ScratchSchema& operator=(const ScratchSchema&) = delete;
  ~ScratchSchema();

  const std::string& name() const { return name_; }
  // The server's URI with search_path = this schema.
  const std::string& uri() const { return uri_; }
  runjournal::pg::Connection connect() const;

 private:
  std::string name_;
  std::string uri_;
};

// The DatabaseError `f` throws, or nullopt when it throws none.
template <typename F>
std::optional<runjournal::pg::DatabaseError> error_of(F&& f) {
  try {
    f();
  } catch (const runjournal::pg::DatabaseError& e) {
    return e;
  }
  return std::nullopt;
}

// The ErrorCode of the runjournal::Error `f` throws, or nullopt.
template <typename F>
std::optional<runjournal::ErrorCode> code_of(F&& f) {
  try {
    f();
  } catch (const runjournal::Error& e) {
    return e.code();
  }
  return std::nullopt;
}

}  // namespace rjpg_test
