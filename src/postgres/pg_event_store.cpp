// pg_event_store.cpp — the events table on PostgreSQL (pg_stores.hpp).
//
// Payloads are JSONB: sent as text and cast by the server (which checks
// them), read back as JSONB's text. Long scans read in keyset pages, so a
// scan of a large journal never holds the whole table in the client.
//
// Inserts inside a transaction wait in the write queue (pg_write_queue.hpp)
// and reach the server with the next statement; what the server would
// refuse of an event's own text is refused here, in the append that brings
// it, before it is queued.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/json_text.hpp"
#include "postgres/pg_stores.hpp"

namespace runjournal::detail {
namespace {

constexpr const char* kColumns = "position, run_id, seq, ts_ms, kind, payload, idempotency_key";
constexpr const char* kInsert =
    "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload, idempotency_key) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)";
constexpr const char* kSelectByKey =
    "SELECT position, run_id, seq, ts_ms, kind, payload, idempotency_key FROM events "
    "WHERE run_id = $1 AND idempotency_key = $2";
constexpr const char* kSelectByRun =
    "SELECT position, run_id, seq, ts_ms, kind, payload, idempotency_key FROM events "
    "WHERE run_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3";
constexpr const char* kSelectAfter =
    "SELECT position, run_id, seq, ts_ms, kind, payload, idempotency_key FROM events "
    "WHERE position > $1 ORDER BY position LIMIT $2";
constexpr const char* kSelectNewest = "SELECT position, run_id FROM events ORDER BY position DESC LIMIT 1";
// Scans in pages of this many rows (for_each_after, for_each_by_run).
constexpr std::int64_t kScanPage = 5000;
constexpr const char* kScanByRun =
    "SELECT position, run_id, seq, ts_ms, kind, payload, jsonb_typeof(payload) = 'object' AS payload_is_object "
    "FROM events WHERE position <= $1 AND (run_id, seq) > ($2, $3) ORDER BY run_id, seq LIMIT $4";

std::int64_t clamp_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > kMax ? kMax : limit);
}

std::vector<Event> read_events(const pg::Result& r) {
  const int position = r.column("position"), run_id = r.column("run_id"), seq = r.column("seq"),
            ts_ms = r.column("ts_ms"), kind = r.column("kind"), payload = r.column("payload"),
            key = r.column("idempotency_key");
  std::vector<Event> events;
  events.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    Event event;
    event.position = r.int64(i, position);
    event.run_id = std::string(r.text(i, run_id));
    event.seq = r.int64(i, seq);
    event.ts_ms = r.int64(i, ts_ms);
    event.kind = std::string(r.text(i, kind));
    event.payload = parse_stored_json(r.text(i, payload), "event payload");
    if (auto k = r.optional_text(i, key)) event.idempotency_key = std::string(*k);
    events.push_back(std::move(event));
  }
  return events;
}

// Whether JSON text holds the escape \u0000: JSONB cannot store U+0000
// (22P05). Escapes are read in order, so the \\ of an escaped backslash
// followed by "u0000" is not one.
bool has_nul_escape(const std::string& json) {
  for (std::size_t i = 0; i + 1 < json.size(); ++i) {
    if (json[i] != '\\') continue;
    if (json.compare(i + 1, 5, "u0000") == 0) return true;
    ++i;  // the escaped character
  }
  return false;
}

void check_storable(const std::string& run_id, const std::string& kind, const std::string& payload,
                    const std::optional<std::string>& key) {
  // (The layer refuses a NUL byte in any text too, but only when the
  // queue is sent; here it fails the event that holds it.)
  for (const std::string* text : {&run_id, &kind, &payload, key ? &*key : nullptr}) {
    if (text != nullptr && text->find('\0') != std::string::npos) {
      throw Error(ErrorCode::InvalidArgument, "text holding a NUL byte cannot be stored in PostgreSQL");
    }
  }
  if (has_nul_escape(payload)) {
    throw Error(ErrorCode::InvalidArgument,
                "the payload holds U+0000 (\\u0000), which PostgreSQL's JSONB cannot store");
  }
}

std::int64_t single_int(pg::Connection& conn, const char* sql) {
  const pg::Result r = conn.exec(sql);
  return r.int64(0, 0);
}

}  // namespace

void PgEventStore::prepare_once() {
  if (prepared_) return;
  conn_.prepare("rj_event_insert", kInsert);
  conn_.prepare("rj_event_by_key", kSelectByKey);
  conn_.prepare("rj_event_by_run", kSelectByRun);
  conn_.prepare("rj_event_after", kSelectAfter);
  prepared_ = true;
}

void PgEventStore::insert(std::int64_t position, const std::string& run_id, std::int64_t seq, std::int64_t ts_ms,
                          const std::string& kind, const std::string& payload,
                          const std::optional<std::string>& idempotency_key) {
  prepare_once();
  check_storable(run_id, kind, payload, idempotency_key);
  if (conn_.in_transaction()) {
    queue_.add_event({position, run_id, seq, ts_ms, kind, payload, idempotency_key});
  } else {
    conn_.exec_prepared("rj_event_insert", {position, run_id, seq, ts_ms, kind, payload, idempotency_key});
  }
  state_.max_inserted = std::max(state_.max_inserted, position);
}

std::optional<Event> PgEventStore::find_by_key(const std::string& run_id, const std::string& idempotency_key) {
  prepare_once();
  std::vector<Event> found = read_events(conn_.exec_prepared("rj_event_by_key", {run_id, idempotency_key}));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Event> PgEventStore::by_run(const std::string& run_id, std::int64_t from_seq, std::size_t limit) {
  prepare_once();
  return read_events(conn_.exec_prepared("rj_event_by_run", {run_id, from_seq, clamp_limit(limit)}));
}

std::vector<Event> PgEventStore::after(std::int64_t position, std::size_t limit) {
  prepare_once();
  return read_events(conn_.exec_prepared("rj_event_after", {position, clamp_limit(limit)}));
}

std::int64_t PgEventStore::max_position() {
  return single_int(conn_, "SELECT coalesce(max(position), 0) AS position FROM events");
}

std::optional<std::pair<std::int64_t, std::string>> PgEventStore::newest() {
  const pg::Result r = conn_.exec(kSelectNewest);
  if (r.rows() == 0) return std::nullopt;
  return std::make_pair(r.int64(0, r.column("position")), std::string(r.text(0, r.column("run_id"))));
}

std::int64_t PgEventStore::min_position() {
  return single_int(conn_, "SELECT coalesce(min(position), 0) AS position FROM events");
}

std::int64_t PgEventStore::count() { return single_int(conn_, "SELECT count(*) AS events FROM events"); }

std::int64_t PgEventStore::remove_run(const std::string& run_id) {
  return conn_.exec("DELETE FROM events WHERE run_id = $1", {run_id}).affected_rows();
}

namespace {

EventRow row_at(const pg::Result& r, int i) {
  EventRow row;
  row.position = r.int64(i, r.column("position"));
  row.run_id = r.text(i, r.column("run_id"));
  row.seq = r.int64(i, r.column("seq"));
  row.ts_ms = r.int64(i, r.column("ts_ms"));
  row.kind = r.text(i, r.column("kind"));
  row.payload = r.text(i, r.column("payload"));
  return row;
}

}  // namespace

void PgEventStore::for_each_after(std::int64_t after, const std::function<void(const EventRow&)>& visit) {
  for (std::int64_t from = after;;) {
    const pg::Result r = conn_.exec(fmt::format("SELECT {} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                                                kColumns),
                                    {from, kScanPage});
    for (int i = 0; i < r.rows(); ++i) {
      const EventRow row = row_at(r, i);
      from = row.position;
      visit(row);
    }
    if (r.rows() < kScanPage) return;
  }
}

void PgEventStore::for_each_by_run(std::int64_t up_to, const std::function<void(const EventRow&)>& visit) {
  // Keyset pages by (run_id, seq): "" sorts before every run id.
  std::string last_run;
  std::int64_t last_seq = 0;
  for (;;) {
    const pg::Result r = conn_.exec(kScanByRun, {up_to, last_run, last_seq, kScanPage});
    const int is_object = r.column("payload_is_object");
    for (int i = 0; i < r.rows(); ++i) {
      EventRow row = row_at(r, i);
      row.payload_is_object = r.boolean(i, is_object);
      last_run = std::string(row.run_id);
      last_seq = row.seq;
      visit(row);
    }
    if (r.rows() < kScanPage) return;
  }
}

}  // namespace runjournal::detail
