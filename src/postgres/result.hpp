// postgres/result.hpp — the rows a statement returned, owned (RAII PGresult).
//
// A Result is what a successful statement left: rows for a query, only a
// command tag and a row count for the rest. Failed statements never become a
// Result; they throw pg::DatabaseError. Columns are found by name once
// (column()), then read by index in the loop over rows, so a query's column
// order is never assumed.
//
// Values come in the format the statement asked for: text (the default) or
// binary. The readers take both for the types they name (int2/int4/int8,
// bool, text, json and jsonb), so a caller that switches a hot query to
// binary changes nothing else. A value that does not read as asked (NULL
// where a value is needed, text that is no number, an unexpected type) is
// ErrorCode::Corrupt: the journal's own columns never hold one.
//
// A Result is movable, not copyable, and is independent of the connection
// that made it: it may outlive it and be read from any one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

struct pg_result;

namespace runjournal::pg {

class Result {
 public:
  Result() noexcept = default;
  explicit Result(pg_result* result) noexcept : result_(result) {}
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const noexcept;
  int columns() const noexcept;
  // The index of the column of that name; throws Corrupt when there is none.
  int column(std::string_view name) const;
  // Rows a command touched (INSERT, UPDATE, DELETE, SELECT …): PQcmdTuples.
  std::int64_t affected_rows() const;
  // The command tag: "INSERT 0 1", "SELECT 3", "COMMIT" …
  std::string_view command_status() const noexcept;

  bool is_null(int row, int column) const noexcept;
  // The value as text (json and jsonb: their JSON text); throws on NULL.
  std::string_view text(int row, int column) const;
  std::optional<std::string_view> optional_text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  std::optional<std::int64_t> optional_int64(int row, int column) const;
  bool boolean(int row, int column) const;

  pg_result* native() const noexcept { return result_; }

 private:
  void check(int row, int column) const;
  pg_result* result_ = nullptr;
};

}  // namespace runjournal::pg
