// run_store.hpp — every statement on the `runs` table (the projection).
//
// Bound to one connection, statements kept prepared; used by one thread at
// a time, like the connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/journal.hpp>
#include <runjournal/run.hpp>

namespace runjournal::detail {

class RunStore {
 public:
  explicit RunStore(SQLite::Database& db);

  std::optional<Run> load(const std::string& run_id);
  void insert(const Run& run);
  // Writes the columns an event can change; session, creation and
  // first_position are fixed by run_created.
  void update(const Run& run);
  std::vector<Run> list(const RunFilter& filter, const Page& page);
  // The oldest run of the session that is not completed, failed or cancelled.
  std::optional<std::string> live_run_in_session(const std::string& session_id);
  void delete_all();
  // Ids of runs rows with no event at all (verify).
  std::vector<std::string> without_events();

 private:
  SQLite::Database& db_;
  std::optional<SQLite::Statement> load_, insert_, update_, live_;
};

}  // namespace runjournal::detail
