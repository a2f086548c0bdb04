// pg_write_queue.cpp — deferred writes (pg_write_queue.hpp), sent as one
// pipeline.
//
// Consecutive events go as one multi-row statement, INSERT … SELECT FROM
// unnest() of one array per column: the server parses, plans and executes
// one statement instead of one per row, which the raw-libpq baseline
// measured at about twice the rate of a pipeline of single-row inserts
// (docs/postgresql.md, "The raw-libpq baseline"). A single event keeps the
// single-row prepared insert. Runs rows go as their own prepared
// statements (one per run touched, written once per group by the core).
#include "postgres/pg_write_queue.hpp"

#include <iterator>
#include <utility>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "postgres/pipeline.hpp"

namespace runjournal::detail {
namespace {

// The same columns and casts as the single-row rj_event_insert.
constexpr const char* kInsertMany =
    "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload, idempotency_key) "
    "SELECT position, run_id, seq, ts_ms, kind, payload, idempotency_key FROM "
    "unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::jsonb[], $7::text[]) "
    "AS u(position, run_id, seq, ts_ms, kind, payload, idempotency_key)";

// Array literals: {1,2,3} for integers; every text element in double
// quotes with backslash and quote escaped (so commas, braces, spaces and
// the word NULL stay text), and an unquoted NULL for a missing one.
class ArrayText {
 public:
  void add(std::int64_t value) {
    separate();
    fmt::format_to(std::back_inserter(text_), "{}", value);
  }
  void add(const std::string& value) {
    separate();
    text_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void add(const std::optional<std::string>& value) {
    if (value) {
      add(*value);
    } else {
      separate();
      text_ += "NULL";
    }
  }
  const std::string& finish() {
    text_ += '}';
    return text_;
  }

 private:
  void separate() { text_ += text_.size() > 1 ? ',' : '{'; }
  std::string text_;
};

pg::Param param_of(const PgWriteQueue::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return pg::Param(*text);
  if (const auto* number = std::get_if<std::int64_t>(&value)) return pg::Param(*number);
  return pg::Param(std::nullopt);
}

}  // namespace

PgWriteQueue::PgWriteQueue(pg::Connection& conn) : conn_(conn) {
  conn_.set_before_statement([this] { flush(); });
}

void PgWriteQueue::add_event(EventRow row) { items_.emplace_back(std::move(row)); }

void PgWriteQueue::add_run_write(std::string statement, std::vector<Value> params, std::string run_id,
                                 bool one_row) {
  items_.emplace_back(RunWrite{std::move(statement), std::move(params), std::move(run_id), one_row});
}

void PgWriteQueue::flush() {
  if (items_.empty()) return;
  // Taken out first: sent or failed, nothing is sent twice.
  std::vector<std::variant<EventRow, RunWrite>> items = std::move(items_);
  items_.clear();
  if (!prepared_) {
    conn_.prepare("rj_event_insert_many", kInsertMany);
    prepared_ = true;
  }
  // The runs writes whose row count is checked, by their result's index.
  std::vector<std::pair<std::size_t, const RunWrite*>> checked;
  pg::Pipeline pipeline(conn_);
  for (std::size_t i = 0; i < items.size();) {
    if (const auto* write = std::get_if<RunWrite>(&items[i])) {
      std::vector<pg::Param> params;
      params.reserve(write->params.size());
      for (const Value& value : write->params) params.push_back(param_of(value));
      if (write->one_row) checked.emplace_back(pipeline.pending(), write);
      pipeline.send_prepared(write->statement, params);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < items.size() && std::holds_alternative<EventRow>(items[end])) ++end;
    if (end - i == 1) {
      const EventRow& e = std::get<EventRow>(items[i]);
      pipeline.send_prepared("rj_event_insert",
                             {e.position, e.run_id, e.seq, e.ts_ms, e.kind, e.payload, e.idempotency_key});
    } else {
      ArrayText positions, run_ids, seqs, times, kinds, payloads, keys;
      for (std::size_t k = i; k < end; ++k) {
        const EventRow& e = std::get<EventRow>(items[k]);
        positions.add(e.position);
        run_ids.add(e.run_id);
        seqs.add(e.seq);
        times.add(e.ts_ms);
        kinds.add(e.kind);
        payloads.add(e.payload);
        keys.add(e.idempotency_key);
      }
      pipeline.send_prepared("rj_event_insert_many", {positions.finish(), run_ids.finish(), seqs.finish(),
                                                      times.finish(), kinds.finish(), payloads.finish(),
                                                      keys.finish()});
    }
    i = end;
  }
  const std::vector<pg::Result> results = pipeline.sync();
  for (const auto& [index, write] : checked) {
    if (results.at(index).affected_rows() != 1) {
      throw Error(ErrorCode::Corrupt, fmt::format("runs row for {} vanished", write->run_id));
    }
  }
}

}  // namespace runjournal::detail
