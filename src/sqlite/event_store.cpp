#include "sqlite/event_store.hpp"

#include <limits>

#include "core/json_text.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {
namespace {

constexpr const char* kInsert =
    "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload, idempotency_key) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
// Rows are read by column place (a name is a map lookup in SQLiteCpp, paid
// per row): every statement that reads events selects these first, in
// this order (EventColumn), and kExtra is the one a statement adds after them.
#define RUNJOURNAL_EVENT_COLUMNS "position, run_id, seq, ts_ms, kind, payload"
enum EventColumn : int { kPosition, kRunId, kSeq, kTsMs, kKind, kPayload, kExtra };
constexpr const char* kSelectByKey =
    "SELECT " RUNJOURNAL_EVENT_COLUMNS ", idempotency_key FROM events WHERE run_id = ? AND idempotency_key = ?";
constexpr const char* kSelectByRun =
    "SELECT " RUNJOURNAL_EVENT_COLUMNS ", idempotency_key FROM events WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT ?";
constexpr const char* kSelectAfter =
    "SELECT " RUNJOURNAL_EVENT_COLUMNS ", idempotency_key FROM events WHERE position > ? ORDER BY position LIMIT ?";
constexpr const char* kSelectMaxPosition = "SELECT coalesce(max(position), 0) FROM events";
constexpr const char* kSelectNewest = "SELECT position, run_id FROM events ORDER BY position DESC LIMIT 1";
constexpr const char* kSelectMinPosition = "SELECT coalesce(min(position), 0) FROM events";
constexpr const char* kSelectCount = "SELECT count(*) FROM events";
// Retention (src/core/retention.cpp) removes a run's events as a whole.
constexpr const char* kDeleteRun = "DELETE FROM events WHERE run_id = ?";
constexpr const char* kScanAfter =
    "SELECT " RUNJOURNAL_EVENT_COLUMNS " FROM events WHERE position > ? ORDER BY position";
// json_type() fails on malformed text, so it is only asked of valid JSON.
constexpr const char* kScanByRun =
    "SELECT " RUNJOURNAL_EVENT_COLUMNS ", "
    "CASE WHEN json_valid(payload) THEN json_type(payload) = 'object' ELSE 0 END AS payload_is_object "
    "FROM events WHERE position <= ? ORDER BY run_id, seq";
#undef RUNJOURNAL_EVENT_COLUMNS

std::int64_t clamp_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > kMax ? kMax : limit);
}

Event read_event(SQLite::Statement& stmt) {
  Event event;
  event.position = stmt.getColumn(kPosition).getInt64();
  event.run_id = stmt.getColumn(kRunId).getString();
  event.seq = stmt.getColumn(kSeq).getInt64();
  event.ts_ms = stmt.getColumn(kTsMs).getInt64();
  event.kind = stmt.getColumn(kKind).getString();
  event.payload = parse_stored_json(stmt.getColumn(kPayload).getString(), "event payload");
  const SQLite::Column key = stmt.getColumn(kExtra);  // idempotency_key
  if (!key.isNull()) event.idempotency_key = key.getString();
  return event;
}

std::string_view text_view(const SQLite::Column& column) {
  return {column.getText(""), static_cast<std::size_t>(column.getBytes())};
}

EventRow read_row(SQLite::Statement& stmt) {
  EventRow row;
  row.position = stmt.getColumn(kPosition).getInt64();
  row.seq = stmt.getColumn(kSeq).getInt64();
  row.ts_ms = stmt.getColumn(kTsMs).getInt64();
  // getText before getBytes: the byte count is of the text as converted.
  row.run_id = text_view(stmt.getColumn(kRunId));
  row.kind = text_view(stmt.getColumn(kKind));
  row.payload = text_view(stmt.getColumn(kPayload));
  return row;
}

}  // namespace

SqliteEventStore::SqliteEventStore(SQLite::Database& db) : db_(db) {}

void SqliteEventStore::insert(std::int64_t position, const std::string& run_id, std::int64_t seq, std::int64_t ts_ms,
                        const std::string& kind, const std::string& payload,
                        const std::optional<std::string>& idempotency_key) {
  SQLite::Statement& stmt = cached_statement(db_, insert_, kInsert);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, position);
  stmt.bindNoCopy(2, run_id);
  stmt.bind(3, seq);
  stmt.bind(4, ts_ms);
  stmt.bindNoCopy(5, kind);
  stmt.bindNoCopy(6, payload);
  if (idempotency_key) {
    stmt.bindNoCopy(7, *idempotency_key);
  } else {
    stmt.bind(7);
  }
  stmt.exec();
}

std::optional<Event> SqliteEventStore::find_by_key(const std::string& run_id, const std::string& idempotency_key) {
  SQLite::Statement& stmt = cached_statement(db_, find_by_key_, kSelectByKey);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  stmt.bind(2, idempotency_key);
  std::optional<Event> found;
  if (stmt.executeStep()) found = read_event(stmt);
  return found;
}

std::vector<Event> SqliteEventStore::by_run(const std::string& run_id, std::int64_t from_seq, std::size_t limit) {
  SQLite::Statement& stmt = cached_statement(db_, by_run_, kSelectByRun);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, run_id);
  stmt.bind(2, from_seq);
  stmt.bind(3, clamp_limit(limit));
  std::vector<Event> events;
  while (stmt.executeStep()) events.push_back(read_event(stmt));
  return events;
}

std::vector<Event> SqliteEventStore::after(std::int64_t position, std::size_t limit) {
  SQLite::Statement& stmt = cached_statement(db_, after_, kSelectAfter);
  StatementReset reset_on_exit(stmt);
  stmt.bind(1, position);
  stmt.bind(2, clamp_limit(limit));
  std::vector<Event> events;
  while (stmt.executeStep()) events.push_back(read_event(stmt));
  return events;
}

std::int64_t SqliteEventStore::max_position() {
  SQLite::Statement& stmt = cached_statement(db_, max_position_, kSelectMaxPosition);
  StatementReset reset_on_exit(stmt);
  stmt.executeStep();
  return stmt.getColumn(0).getInt64();
}

std::optional<std::pair<std::int64_t, std::string>> SqliteEventStore::newest() {
  SQLite::Statement& stmt = cached_statement(db_, newest_, kSelectNewest);
  StatementReset reset_on_exit(stmt);
  if (!stmt.executeStep()) return std::nullopt;
  return std::make_pair(stmt.getColumn("position").getInt64(), stmt.getColumn("run_id").getString());
}

std::int64_t SqliteEventStore::min_position() {
  SQLite::Statement stmt(db_, kSelectMinPosition);
  stmt.executeStep();
  return stmt.getColumn(0).getInt64();
}

std::int64_t SqliteEventStore::count() {
  SQLite::Statement stmt(db_, kSelectCount);
  stmt.executeStep();
  return stmt.getColumn(0).getInt64();
}

void SqliteEventStore::for_each_after(std::int64_t after, const std::function<void(const EventRow&)>& visit) {
  SQLite::Statement stmt(db_, kScanAfter);
  stmt.bind(1, after);
  while (stmt.executeStep()) visit(read_row(stmt));
}

void SqliteEventStore::for_each_by_run(std::int64_t up_to, const std::function<void(const EventRow&)>& visit) {
  SQLite::Statement stmt(db_, kScanByRun);
  stmt.bind(1, up_to);
  while (stmt.executeStep()) {
    EventRow row = read_row(stmt);
    row.payload_is_object = stmt.getColumn(kExtra).getInt() != 0;
    visit(row);
  }
}

std::int64_t SqliteEventStore::remove_run(const std::string& run_id) {
  SQLite::Statement stmt(db_, kDeleteRun);
  stmt.bind(1, run_id);
  return stmt.exec();
}

}  // namespace runjournal::detail
