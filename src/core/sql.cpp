// sql.cpp — Journal::sql() and sql_each(): a person's read-only query,
// through the backend's gate (the SQLite one is sqlite/sql_gate.cpp).
#include <runjournal/journal.hpp>

#include <fmt/format.h>

#include "core/backend.hpp"
#include "core/journal_impl.hpp"

namespace runjournal {

void Journal::sql_each(const std::string& query,
                       const std::function<void(const std::vector<std::string>&)>& on_columns,
                       const std::function<bool(const std::vector<SqlValue>&)>& on_row,
                       const SqlOptions& options) const {
  impl_->backend->sql_each(query, on_columns, on_row, options);
}

SqlResult Journal::sql(const std::string& query, const SqlOptions& options) const {
  SqlResult result;
  sql_each(
      query, [&](const std::vector<std::string>& columns) { result.columns = columns; },
      [&](const std::vector<SqlValue>& row) {
        if (result.rows.size() >= options.max_rows) {
          throw Error(ErrorCode::InvalidArgument,
                      fmt::format("sql: the query returns more than {} rows; add a LIMIT", options.max_rows));
        }
        result.rows.push_back(row);
        return true;
      },
      options);
  return result;
}

}  // namespace runjournal
