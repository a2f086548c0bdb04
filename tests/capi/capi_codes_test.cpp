// capi_codes_test.cpp — every ErrorCode has its own C status, and the
// boundary guard turns every kind of exception into a status.
//
// The codes are read from include/runjournal/error.hpp itself, so a code
// added there fails this test until runjournal.h gives it a status (the
// mapping's default, RJ_ERROR, keeps such a code an error meanwhile).
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <runjournal/error.hpp>
#include <runjournal/runjournal.h>

#include "capi/capi.hpp"

namespace {

std::vector<std::string> error_codes_in_header() {
  std::ifstream in(RUNJOURNAL_SOURCE_DIR "/include/runjournal/error.hpp");
  std::stringstream text;
  text << in.rdbuf();
  const std::string header = text.str();
  const std::size_t start = header.find("enum class ErrorCode {");
  const std::size_t end = header.find("};", start);
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  const std::string body = header.substr(start, end - start);
  std::vector<std::string> names;
  const std::regex enumerator(R"(\n\s*([A-Z][A-Za-z]*)\s*[,=\n])");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), enumerator); it != std::sregex_iterator(); ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

}  // namespace

TEST_CASE("every ErrorCode error.hpp lists has a C status of the same name") {
  const std::vector<std::string> names = error_codes_in_header();
  REQUIRE(names.size() >= 11);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto code = static_cast<runjournal::ErrorCode>(i);
    const rj_status status = runjournal::capi::status_of(code);
    INFO("ErrorCode::" << names[i]);
    CHECK(status != RJ_ERROR);
    CHECK(status != RJ_OK);
    CHECK(std::string(rj_status_name(status)) == std::string(runjournal::to_string(code)));
  }
}

TEST_CASE("no two ErrorCodes share a C status") {
  const std::size_t count = error_codes_in_header().size();
  for (std::size_t a = 0; a < count; ++a) {
    for (std::size_t b = a + 1; b < count; ++b) {
      CHECK(runjournal::capi::status_of(static_cast<runjournal::ErrorCode>(a)) !=
            runjournal::capi::status_of(static_cast<runjournal::ErrorCode>(b)));
    }
  }
}

TEST_CASE("the guard turns every exception into a status and a message") {
  using runjournal::capi::guard;
  rj_clear_error();
  CHECK(guard([] {}) == RJ_OK);
  CHECK(rj_last_error_status() == RJ_OK);

  CHECK(guard([] { throw runjournal::Error(runjournal::ErrorCode::Conflict, "stale", 4); }) == RJ_CONFLICT);
  CHECK(std::string(rj_last_error_message()) == "stale");
  CHECK(rj_last_error_batch_index() == 4);

  CHECK(guard([] { throw runjournal::capi::Aborted("the callback said no"); }) == RJ_ABORTED);
  CHECK(rj_last_error_batch_index() == -1);
  CHECK(guard([] { throw std::bad_alloc(); }) == RJ_NO_MEMORY);
  CHECK(std::string(rj_last_error_message()) == "out of memory");
  CHECK(guard([] { throw std::runtime_error("something else"); }) == RJ_ERROR);
  CHECK(std::string(rj_last_error_message()) == "something else");
  CHECK(guard([] { throw 42; }) == RJ_ERROR);
  CHECK(std::string(rj_last_error_message()).find("unknown exception") != std::string::npos);
  CHECK(rj_last_error_status() == RJ_ERROR);
}

TEST_CASE("a code this version does not know is still an error") {
  CHECK(runjournal::capi::status_of(static_cast<runjournal::ErrorCode>(1000)) == RJ_ERROR);
}
