// result.cpp — reading values out of a PGresult, text or binary.
#include "postgres/result.hpp"

#include <charconv>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <runjournal/error.hpp>

namespace runjournal::pg {
namespace {

// Type oids from PostgreSQL's catalog (src/include/catalog/pg_type.dat):
// stable since they were assigned, and libpq-dev ships no header with them.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kJsonbOid = 3802;

std::int64_t big_endian(const char* bytes, int length) {
  std::uint64_t v = 0;
  for (int i = 0; i < length; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  // Sign-extend the narrower integers.
  const int unused = 64 - 8 * length;
  if (unused > 0 && (v >> (8 * length - 1)) != 0) v |= ~std::uint64_t{0} << (8 * length);
  return static_cast<std::int64_t>(v);
}

[[noreturn]] void corrupt(const PGresult* result, int column, std::string_view what) {
  const char* name = PQfname(result, column);
  throw Error(ErrorCode::Corrupt, fmt::format("column {}: {}", name != nullptr ? name : "?", what));
}

}  // namespace

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}

int Result::rows() const noexcept { return result_ != nullptr ? PQntuples(result_) : 0; }

int Result::columns() const noexcept { return result_ != nullptr ? PQnfields(result_) : 0; }

int Result::column(std::string_view name) const {
  // PQfnumber folds unquoted names to lower case; an exact comparison keeps
  // a name meaning what it says.
  for (int i = 0; i < columns(); ++i) {
    if (name == PQfname(result_, i)) return i;
  }
  throw Error(ErrorCode::Corrupt, fmt::format("the result has no column {}", name));
}

std::int64_t Result::affected_rows() const {
  if (result_ == nullptr) return 0;
  const char* text = PQcmdTuples(result_);
  std::int64_t n = 0;
  const char* end = text + std::strlen(text);
  if (text == end) return 0;
  if (std::from_chars(text, end, n).ptr != end) {
    throw Error(ErrorCode::Corrupt, fmt::format("unexpected row count '{}'", text));
  }
  return n;
}

std::string_view Result::command_status() const noexcept {
  return result_ != nullptr ? PQcmdStatus(result_) : "";
}

bool Result::is_null(int row, int column) const noexcept { return PQgetisnull(result_, row, column) != 0; }

void Result::check(int row, int column) const {
  if (result_ == nullptr || row < 0 || row >= rows() || column < 0 || column >= columns()) {
    throw Error(ErrorCode::Corrupt, fmt::format("no value at row {}, column {}", row, column));
  }
}

std::string_view Result::text(int row, int column) const {
  check(row, column);
  if (is_null(row, column)) corrupt(result_, column, "NULL where a value is required");
  const char* value = PQgetvalue(result_, row, column);
  const auto length = static_cast<std::size_t>(PQgetlength(result_, row, column));
  if (PQfformat(result_, column) == 1 && PQftype(result_, column) == kJsonbOid) {
    // Binary jsonb is a version byte (1) and then the JSON text.
    if (length == 0 || value[0] != 1) corrupt(result_, column, "binary jsonb of an unknown version");
    return {value + 1, length - 1};
  }
  return {value, length};
}

std::optional<std::string_view> Result::optional_text(int row, int column) const {
  check(row, column);
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t Result::int64(int row, int column) const {
  check(row, column);
  if (is_null(row, column)) corrupt(result_, column, "NULL where a number is required");
  const char* value = PQgetvalue(result_, row, column);
  const int length = PQgetlength(result_, row, column);
  if (PQfformat(result_, column) == 1) {
    const Oid type = PQftype(result_, column);
    const int expected = type == kInt8Oid ? 8 : type == kInt4Oid ? 4 : type == kInt2Oid ? 2 : -1;
    if (expected < 0 || length != expected) corrupt(result_, column, "a binary value that is no integer");
    return big_endian(value, length);
  }
  std::int64_t n = 0;
  const char* end = value + length;
  const auto [ptr, ec] = std::from_chars(value, end, n);
  if (ec != std::errc() || ptr != end) {
    corrupt(result_, column, fmt::format("'{}' is not a 64-bit integer", std::string_view(value, static_cast<std::size_t>(length))));
  }
  return n;
}

std::optional<std::int64_t> Result::optional_int64(int row, int column) const {
  check(row, column);
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

bool Result::boolean(int row, int column) const {
  check(row, column);
  if (is_null(row, column)) corrupt(result_, column, "NULL where a boolean is required");
  const char* value = PQgetvalue(result_, row, column);
  if (PQfformat(result_, column) == 1) {
    if (PQftype(result_, column) != kBoolOid || PQgetlength(result_, row, column) != 1) {
      corrupt(result_, column, "a binary value that is no boolean");
    }
    return value[0] != 0;
  }
  if (std::strcmp(value, "t") == 0) return true;
  if (std::strcmp(value, "f") == 0) return false;
  corrupt(result_, column, fmt::format("'{}' is not a boolean", value));
}

}  // namespace runjournal::pg
