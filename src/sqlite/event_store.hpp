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

#include "core/stores.hpp"

namespace runjournal::detail {

class SqliteEventStore final : public EventStore {
 public:
  explicit SqliteEventStore(SQLite::Database& db);

  void insert(std::int64_t position, const std::string& run_id, std::int64_t seq, std::int64_t ts_ms,
              const std::string& kind, const std::string& payload,
              const std::optional<std::string>& idempotency_key) override;
  std::optional<Event> find_by_key(const std::string& run_id, const std::string& idempotency_key) override;
  std::vector<Event> by_run(const std::string& run_id, std::int64_t from_seq, std::size_t limit) override;
  std::vector<Event> after(std::int64_t position, std::size_t limit) override;
  std::int64_t max_position() override;
  // The newest event's position and run (one b-tree descent), if any.
  std::optional<std::pair<std::int64_t, std::string>> newest() override;
  std::int64_t min_position() override;
  std::int64_t count() override;
  // Deletes every event of the run; returns how many (retention).
  std::int64_t remove_run(const std::string& run_id) override;

  // Every event with position > `after`, in position order, payload as text.
  void for_each_after(std::int64_t after, const std::function<void(const EventRow&)>& visit) override;
  // Every event with position <= `up_to`, ordered by run_id then seq (one
  // run's history at a time), with a check that each payload is an object.
  void for_each_by_run(std::int64_t up_to, const std::function<void(const EventRow&)>& visit) override;

 private:
  SQLite::Database& db_;
  std::optional<SQLite::Statement> insert_, find_by_key_, by_run_, after_, max_position_, newest_;
};

}  // namespace runjournal::detail
