// pg_run_store.cpp — the runs table (the projection) on PostgreSQL
// (pg_stores.hpp). The same statements as SQLite's run_store.cpp, with
// JSONB columns sent as text and cast by the server; the listing is
// pg_run_listing.cpp's.
//
// Every statement names every column: a PostgreSQL journal is always
// opened at the newest schema (a writer migrates it; migrations 1 … 7 all
// predate the PostgreSQL backend, so no older one exists to be read as is).
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/json_text.hpp"
#include "postgres/pg_stores.hpp"

namespace runjournal::detail {

const char* const kPgRunColumns =
    "run_id, session_id, status, prompt, inputs, outputs, metadata, result_text, error, status_reason, "
    "checkpoint_id, checkpoint, created_at_ms, updated_at_ms, finished_at_ms, first_position, event_count, "
    "last_seq, last_position, driver_host, driver_pid, driver_start_time, driver_boot_id, agent_spec_digest, "
    "git_sha, final_state_digest, forked_from_run, forked_from_seq";

namespace {

// $1 … $28 in kPgRunColumns' order (bind_row).
constexpr const char* kInsert =
    "INSERT INTO runs (run_id, session_id, status, prompt, inputs, outputs, metadata, result_text, error, "
    "status_reason, checkpoint_id, checkpoint, created_at_ms, updated_at_ms, finished_at_ms, first_position, "
    "event_count, last_seq, last_position, driver_host, driver_pid, driver_start_time, driver_boot_id, "
    "agent_spec_digest, git_sha, final_state_digest, forked_from_run, forked_from_seq) VALUES ($1, $2, $3, $4, "
    "$5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16, $17, $18, $19, $20, $21, "
    "$22, $23, $24, $25, $26, $27, $28)";
// Every column an event can change; session ($2), creation ($13) and
// first_position ($16) are fixed by run_created and left alone; a prepared
// statement must use every parameter, so they find the row with its id
// (they never differ from the stored ones).
constexpr const char* kUpdate =
    "UPDATE runs SET status = $3, prompt = $4, inputs = $5::jsonb, outputs = $6::jsonb, metadata = $7::jsonb, "
    "result_text = $8, error = $9, status_reason = $10, checkpoint_id = $11, checkpoint = $12::jsonb, "
    "updated_at_ms = $14, finished_at_ms = $15, event_count = $17, last_seq = $18, last_position = $19, "
    "driver_host = $20, driver_pid = $21, driver_start_time = $22, driver_boot_id = $23, "
    "agent_spec_digest = $24, git_sha = $25, final_state_digest = $26, forked_from_run = $27, "
    "forked_from_seq = $28 WHERE run_id = $1 AND session_id = $2 "
    "AND created_at_ms = $13 AND first_position = $16";
constexpr const char* kUpdateCounters =
    "UPDATE runs SET updated_at_ms = $2, event_count = $3, last_seq = $4, last_position = $5 WHERE run_id = $1";
// Terminal statuses as listed in src/core/run_status.cpp.
#define RJ_LIVE "status NOT IN ('completed', 'failed', 'cancelled')"
#define RJ_PRUNABLE                                                                          \
  "FROM runs WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at_ms < $1 " \
  "AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR session_id = $3) "

Run read_run(const pg::Result& r, int i) {
  const auto text = [&](const char* name) { return std::string(r.text(i, r.column(name))); };
  const auto optional = [&](const char* name) -> std::optional<std::string> {
    if (auto value = r.optional_text(i, r.column(name))) return std::string(*value);
    return std::nullopt;
  };
  const auto json = [&](const char* name, const char* what) -> nlohmann::json {
    if (auto value = r.optional_text(i, r.column(name))) return parse_stored_json(*value, what);
    return nullptr;
  };
  const auto integer = [&](const char* name) { return r.int64(i, r.column(name)); };
  Run run;
  run.run_id = text("run_id");
  run.session_id = text("session_id");
  const std::string status = text("status");
  const auto parsed = parse_run_status(status);
  if (!parsed) throw Error(ErrorCode::Corrupt, fmt::format("run {} has unknown status '{}'", run.run_id, status));
  run.status = *parsed;
  run.prompt = text("prompt");
  run.inputs = json("inputs", "runs.inputs");
  run.outputs = json("outputs", "runs.outputs");
  run.metadata = json("metadata", "runs.metadata");
  run.result_text = optional("result_text");
  run.error = optional("error");
  run.status_reason = optional("status_reason");
  run.checkpoint_id = optional("checkpoint_id");
  run.checkpoint = json("checkpoint", "runs.checkpoint");
  run.created_at_ms = integer("created_at_ms");
  run.updated_at_ms = integer("updated_at_ms");
  run.finished_at_ms = r.optional_int64(i, r.column("finished_at_ms"));
  run.first_position = integer("first_position");
  run.event_count = integer("event_count");
  run.last_seq = integer("last_seq");
  run.last_position = integer("last_position");
  // The four driver columns are written together: all NULL or all set.
  if (auto pid = r.optional_int64(i, r.column("driver_pid"))) {
    run.driver = Driver{text("driver_host"), *pid, integer("driver_start_time"), text("driver_boot_id")};
  }
  run.agent_spec_digest = optional("agent_spec_digest");
  run.git_sha = optional("git_sha");
  run.final_state_digest = optional("final_state_digest");
  run.forked_from_run = optional("forked_from_run");
  run.forked_from_seq = r.optional_int64(i, r.column("forked_from_seq"));
  return run;
}

// A run's columns as $1 … $28 (kPgRunColumns' order), owned: they may wait
// in the write queue.
std::vector<PgWriteQueue::Value> row_values(const Run& run) {
  using Value = PgWriteQueue::Value;
  const auto text = [](const std::optional<std::string>& v) { return v ? Value(*v) : Value(); };
  const auto integer = [](const std::optional<std::int64_t>& v) { return v ? Value(*v) : Value(); };
  const std::optional<Driver>& d = run.driver;
  return {run.run_id, run.session_id, std::string(to_string(run.status)), run.prompt,
          text(dump_optional_json(run.inputs, "inputs")), text(dump_optional_json(run.outputs, "outputs")),
          text(dump_optional_json(run.metadata, "metadata")), text(run.result_text), text(run.error),
          text(run.status_reason), text(run.checkpoint_id), text(dump_optional_json(run.checkpoint, "checkpoint")),
          run.created_at_ms, run.updated_at_ms, integer(run.finished_at_ms), run.first_position, run.event_count,
          run.last_seq, run.last_position, d ? Value(d->host) : Value(), d ? Value(d->pid) : Value(),
          d ? Value(d->start_time) : Value(), d ? Value(d->boot_id) : Value(), text(run.agent_spec_digest),
          text(run.git_sha), text(run.final_state_digest), text(run.forked_from_run), integer(run.forked_from_seq)};
}

std::vector<std::string> read_ids(const pg::Result& r) {
  std::vector<std::string> ids;
  const int column = r.column("run_id");
  for (int i = 0; i < r.rows(); ++i) ids.emplace_back(r.text(i, column));
  return ids;
}

std::string select_runs(const char* where) { return fmt::format("SELECT {} FROM runs {}", kPgRunColumns, where); }

}  // namespace

std::vector<Run> read_pg_runs(const pg::Result& result) {
  std::vector<Run> runs;
  runs.reserve(static_cast<std::size_t>(result.rows()));
  for (int i = 0; i < result.rows(); ++i) runs.push_back(read_run(result, i));
  return runs;
}

void PgRunStore::prepare_once() {
  if (prepared_) return;
  conn_.prepare("rj_run_load", select_runs("WHERE run_id = $1"));
  conn_.prepare("rj_run_insert", kInsert);
  conn_.prepare("rj_run_update", kUpdate);
  conn_.prepare("rj_run_update_counters", kUpdateCounters);
  conn_.prepare("rj_run_last_position", "SELECT last_position FROM runs WHERE run_id = $1");
  prepared_ = true;
}

std::optional<Run> PgRunStore::load(const std::string& run_id) {
  prepare_once();
  const pg::Result r = conn_.exec_prepared("rj_run_load", {run_id});
  if (r.rows() == 0) return std::nullopt;
  return read_run(r, 0);
}

// Inside a transaction the write waits in the queue (pg_write_queue.hpp),
// to go out with the group's other writes; outside one it runs now.
void PgRunStore::write(const char* statement, std::vector<PgWriteQueue::Value> values, const std::string& run_id,
                       bool one_row) {
  prepare_once();
  if (conn_.in_transaction()) {
    queue_.add_run_write(statement, std::move(values), run_id, one_row);
    return;
  }
  std::vector<pg::Param> params;
  params.reserve(values.size());
  for (const PgWriteQueue::Value& value : values) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      params.emplace_back(*text);
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      params.emplace_back(*number);
    } else {
      params.emplace_back(std::nullopt);
    }
  }
  if (conn_.exec_prepared(statement, params).affected_rows() != 1 && one_row) {
    throw Error(ErrorCode::Corrupt, fmt::format("runs row for {} vanished", run_id));
  }
}

void PgRunStore::insert(const Run& run) { write("rj_run_insert", row_values(run), run.run_id, false); }

void PgRunStore::update(const Run& run) { write("rj_run_update", row_values(run), run.run_id, true); }

void PgRunStore::update_counters(const Run& run) {
  write("rj_run_update_counters", {run.run_id, run.updated_at_ms, run.event_count, run.last_seq, run.last_position},
        run.run_id, true);
}

std::optional<std::int64_t> PgRunStore::last_position(const std::string& run_id) {
  prepare_once();
  const pg::Result r = conn_.exec_prepared("rj_run_last_position", {run_id});
  if (r.rows() == 0) return std::nullopt;
  return r.int64(0, r.column("last_position"));
}

std::optional<std::string> PgRunStore::live_run_in_session(const std::string& session_id) {
  const pg::Result r = conn_.exec(
      "SELECT run_id FROM runs WHERE session_id = $1 AND " RJ_LIVE " ORDER BY first_position LIMIT 1", {session_id});
  if (r.rows() == 0) return std::nullopt;
  return std::string(r.text(0, r.column("run_id")));
}

std::vector<Run> PgRunStore::live_runs_in_session(const std::string& session_id) {
  return read_pg_runs(
      conn_.exec(select_runs("WHERE session_id = $1 AND " RJ_LIVE " ORDER BY first_position"), {session_id}));
}

std::vector<Run> PgRunStore::unfinished(bool include_interrupted) {
  return read_pg_runs(conn_.exec(select_runs("WHERE status IN ('created', 'planning', 'executing', 'verifying') "
                                             "OR ($1::bigint = 1 AND status = 'interrupted') ORDER BY first_position"),
                                 {include_interrupted ? 1 : 0}));
}

void PgRunStore::delete_all() { conn_.exec("DELETE FROM runs"); }

namespace {

std::vector<pg::Param> prunable_params(const Prunable& which, const std::string& status) {
  return {which.finished_before_ms, which.status ? pg::Param(status) : pg::Param(std::nullopt),
          which.session_id ? pg::Param(*which.session_id) : pg::Param(std::nullopt)};
}

}  // namespace

std::vector<std::string> PgRunStore::finished_before(const Prunable& which, std::size_t limit) {
  const std::string status = which.status ? std::string(to_string(*which.status)) : std::string();
  std::vector<pg::Param> params = prunable_params(which, status);
  params.emplace_back(static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int32_t>::max())));
  return read_ids(conn_.exec("SELECT run_id " RJ_PRUNABLE "ORDER BY first_position LIMIT $4", params));
}

std::pair<std::int64_t, std::int64_t> PgRunStore::count_finished_before(const Prunable& which) {
  const std::string status = which.status ? std::string(to_string(*which.status)) : std::string();
  const pg::Result r = conn_.exec(
      "SELECT count(*) AS runs, coalesce(sum(event_count), 0)::bigint AS events " RJ_PRUNABLE,
      prunable_params(which, status));
  return {r.int64(0, r.column("runs")), r.int64(0, r.column("events"))};
}

void PgRunStore::remove(const std::string& run_id) { conn_.exec("DELETE FROM runs WHERE run_id = $1", {run_id}); }

std::vector<std::pair<std::string, std::int64_t>> PgRunStore::count_by_status() {
  const pg::Result r = conn_.exec("SELECT status, count(*) AS runs FROM runs GROUP BY status ORDER BY status");
  std::vector<std::pair<std::string, std::int64_t>> counts;
  for (int i = 0; i < r.rows(); ++i) {
    counts.emplace_back(std::string(r.text(i, r.column("status"))), r.int64(i, r.column("runs")));
  }
  return counts;
}

std::vector<std::string> PgRunStore::without_events() {
  return read_ids(conn_.exec(
      "SELECT run_id FROM runs WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.run_id = runs.run_id) "
      "ORDER BY run_id"));
}

#undef RJ_LIVE
#undef RJ_PRUNABLE

}  // namespace runjournal::detail
