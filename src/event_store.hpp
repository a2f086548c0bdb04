// event_store.hpp — every statement on the `events` table.
//
// An EventStore is bound to one connection and keeps its statements
// prepared; like the connection, it is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <runjournal/event.hpp>

namespace runjournal::detail {

// An event as stored, payload still text. The views point into the row
// being visited and die with it.
struct EventRow {
  std::int64_t position = 0;
  std::string_view run_id;
  std::int64_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string_view kind;
  std::string_view payload;
  bool payload_is_object = true;  // filled only by for_each_by_run
};

class EventStore {
 public:
  explicit EventStore(SQLite::Database& db);

  void insert(std::int64_t position, const std::string& run_id, std::int64_t seq, std::int64_t ts_ms,
              const std::string& kind, const std::string& payload,
              const std::optional<std::string>& idempotency_key);
  std::optional<Event> find_by_key(const std::string& run_id, const std::string& idempotency_key);
  std::vector<Event> by_run(const std::string& run_id, std::int64_t from_seq, std::size_t limit);
  std::vector<Event> after(std::int64_t position, std::size_t limit);
  std::int64_t max_position();
  // The newest event's position and run (one b-tree descent), if any.
  std::optional<std::pair<std::int64_t, std::string>> newest();
  std::int64_t min_position();
  std::int64_t count();
  // Deletes every event of the run; returns how many (retention).
  std::int64_t remove_run(const std::string& run_id);

  // Every event with position > `after`, in position order, payload as text.
  void for_each_after(std::int64_t after, const std::function<void(const EventRow&)>& visit);
  // Every event with position <= `up_to`, ordered by run_id then seq (one
  // run's history at a time), with a check that each payload is an object.
  void for_each_by_run(std::int64_t up_to, const std::function<void(const EventRow&)>& visit);

 private:
  SQLite::Database& db_;
  std::optional<SQLite::Statement> insert_, find_by_key_, by_run_, after_, max_position_, newest_;
};

}  // namespace runjournal::detail
