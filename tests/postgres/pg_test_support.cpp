// pg_test_support.cpp — the fixture's server and scratch schemas.
#include "pg_test_support.hpp"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace doctest {
String StringMaker<runjournal::ErrorCode>::convert(runjournal::ErrorCode code) {
  using runjournal::ErrorCode;
  switch (code) {
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::Conflict: return "Conflict";
    case ErrorCode::AlreadyRunning: return "AlreadyRunning";
    case ErrorCode::AlreadyExists: return "AlreadyExists";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::Busy: return "Busy";
    case ErrorCode::Corrupt: return "Corrupt";
    case ErrorCode::SchemaTooNew: return "SchemaTooNew";
    case ErrorCode::NotAJournal: return "NotAJournal";
    case ErrorCode::Io: return "Io";
    case ErrorCode::TimedOut: return "TimedOut";
    case ErrorCode::ReadOnly: return "ReadOnly";
  }
  return "?";
}
}  // namespace doctest

namespace rjpg_test {

const std::string& server_uri() {
  static const std::string uri = [] {
    if (const char* direct = std::getenv("RUNJOURNAL_TEST_PG_URI"); direct != nullptr && *direct != '\0') {
      return std::string(direct);
    }
    const char* file = std::getenv("RUNJOURNAL_TEST_PG_URI_FILE");
    if (file == nullptr || *file == '\0') {
      throw std::runtime_error(
          "no PostgreSQL server: set RUNJOURNAL_TEST_PG_URI, or run through ctest, whose fixture starts one");
    }
    std::ifstream in(file);
    std::string line;
    if (!std::getline(in, line) || line.empty()) {
      throw std::runtime_error(std::string("no server URI in ") + file + " (did the pg_cluster_start fixture run?)");
    }
    return line;
  }();
  return uri;
}

std::string with_parameter(const std::string& uri, std::string_view key, std::string_view value) {
  std::string out = uri;
  out += uri.find('?') == std::string::npos ? '?' : '&';
  out += key;
  out += '=';
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::string unique_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::ostringstream s;
  s << prefix << '_' << ::getpid() << '_' << counter.fetch_add(1);
  return s.str();
}

ScratchSchema::ScratchSchema() : name_(unique_name("rjt")) {
  auto admin = runjournal::pg::Connection::connect(server_uri());
  admin.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
  uri_ = with_parameter(server_uri(), "options", "-csearch_path=" + name_);
}

ScratchSchema::~ScratchSchema() {
  // A destructor's catch: a test that broke the server has failed already.
  try {
    auto admin = runjournal::pg::Connection::connect(server_uri());
    admin.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  } catch (const std::exception&) {
  }
}

runjournal::pg::Connection ScratchSchema::connect() const { return runjournal::pg::Connection::connect(uri_); }

}  // namespace rjpg_test
