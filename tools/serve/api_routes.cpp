// api_routes.cpp — the JSON API: runs, one run, its events, recovery, SQL,
// statistics, and the server itself (docs/serve.md lists every field).
//
// Each route checks its parameters strictly (http_support.hpp), reads
// through the served Journal, and answers JSON. Nothing here writes.
#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <runjournal/json.hpp>

#include "api_json.hpp"
#include "http_support.hpp"
#include "serve_context.hpp"

namespace runjournal::serve {
namespace {

constexpr std::int64_t kDefaultRunsPage = 50;
constexpr std::int64_t kMaxRunsPage = 500;
// The run page's JSON carries its first events; more come from /api/events.
constexpr std::int64_t kRunPageEvents = 1000;
constexpr std::int64_t kMaxEventsPage = 10'000;
// A run id, session or cursor longer than this is no one's.
constexpr std::size_t kMaxIdBytes = 1024;
// SQL: a query's text, its time limit, and how many rows it may return
// (Journal::sql keeps every row in memory; past this it refuses: add a LIMIT).
constexpr std::size_t kMaxSqlBytes = 7000;
constexpr std::chrono::milliseconds kSqlTimeout{5'000};
constexpr std::int64_t kSqlRowsShown = 10'000;
constexpr std::int64_t kSqlRowsDownload = 200'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Appends the runs as a JSON array: summaries (api_json.hpp), or whole runs.
void append_runs(std::string& out, const std::vector<Run>& runs, bool full) {
  if (full) {
    nlohmann::json array = nlohmann::json::array();
    for (const Run& run : runs) array.push_back(to_json(run));
    out += dump(array);
    return;
  }
  // A summary is about 700 bytes: one allocation for most pages.
  out.reserve(out.size() + 800 * runs.size() + 2);
  out += '[';
  for (const Run& run : runs) {
    append_run_summary(out, run);
    out += ',';
  }
  if (out.back() == ',') out.pop_back();
  out += ']';
}

nlohmann::json events_json(const std::vector<Event>& events) {
  nlohmann::json array = nlohmann::json::array();
  for (const Event& event : events) array.push_back(to_json(event));
  return array;
}

RunFilter run_filter(const Params& params) {
  RunFilter filter;
  if (const auto status = params.text("status", 32)) {
    filter.status = parse_run_status(*status);
    if (!filter.status) {
      throw ApiError(400, "bad_request",
                     fmt::format("unknown status '{}' (created, planning, executing, verifying, interrupted, "
                                 "completed, failed, cancelled)",
                                 *status));
    }
  }
  filter.session_id = params.text("session", kMaxIdBytes);
  const std::int64_t now = now_ms();
  if (const auto since = params.text("since", 64)) filter.created_since_ms = parse_time_param("since", *since, now);
  if (const auto until = params.text("until", 64)) filter.created_until_ms = parse_time_param("until", *until, now);
  filter.text = params.text("q", kMaxRunTextFilterBytes);
  return filter;
}

}  // namespace

// GET /api/runs: one page of runs, newest first unless order=oldest, with
// the cursors of the pages on either side (null when there is none). The
// runs page carries the same body for its own parameters (page_routes.cpp).
std::shared_ptr<const std::string> runs_body(ServeContext& ctx, const httplib::Request& req,
                                             const std::string& cache_key) {
  const Params params(req, {"status", "session", "since", "until", "q", "limit", "after", "before", "order", "full"});
  const RunFilter filter = run_filter(params);
  const bool full = params.flag("full");
  Page page;
  const std::int64_t limit = params.integer("limit", 1, kMaxRunsPage).value_or(kDefaultRunsPage);
  page.after_run_id = params.text("after", kMaxIdBytes);
  page.before_run_id = params.text("before", kMaxIdBytes);
  const std::string order = params.choice("order", {"newest", "oldest"}).value_or("newest");
  page.order = order == "oldest" ? RunOrder::OldestFirst : RunOrder::NewestFirst;
  const bool backwards = page.before_run_id.has_value();
  // An age (since=1h) means another window every millisecond, so such a
  // page is never reused.
  const bool cacheable = !req.has_param("since") && !req.has_param("until");
  std::vector<Run> runs;
  nlohmann::json body;
  std::shared_ptr<const std::string> cached;
  ctx.journals->with([&](const Journal& journal) {
    // The position first: a stream started from it may repeat a change the
    // page already shows, but never misses one.
    const std::int64_t position = journal.last_position();
    body["position"] = position;
    if (cacheable && (cached = ctx.runs_pages.find(cache_key, position))) return;
    Page probe = page;
    probe.limit = static_cast<std::size_t>(limit) + 1;  // one more tells whether that side goes on
    runs = journal.runs(filter, probe);
    const bool more = runs.size() > static_cast<std::size_t>(limit);
    if (more) runs.erase(backwards ? runs.begin() : runs.end() - 1);
    // The other side of the page: anything beyond its first (or last) run?
    bool other = false;
    if (!runs.empty() && (page.after_run_id || page.before_run_id)) {
      Page edge{.limit = 1, .order = page.order};
      if (backwards) {
        edge.after_run_id = runs.back().run_id;
      } else {
        edge.before_run_id = runs.front().run_id;
      }
      other = !journal.runs(filter, edge).empty();
    }
    const bool has_next = backwards ? other : more;
    const bool has_prev = backwards ? more : other;
    body["order"] = order;
    body["limit"] = limit;
    body["next_after"] = has_next ? nlohmann::json(runs.back().run_id) : nlohmann::json(nullptr);
    body["prev_before"] = has_prev ? nlohmann::json(runs.front().run_id) : nlohmann::json(nullptr);
  });
  if (cached) return cached;
  // Built with the Journal given back: another request may read meanwhile.
  // The runs are spliced in as text, the rest is small.
  std::string text = dump(body);
  text.pop_back();  // the closing brace
  text += ",\"runs\":";
  append_runs(text, runs, full);
  text += '}';
  auto shared = std::make_shared<const std::string>(std::move(text));
  if (cacheable) ctx.runs_pages.store(cache_key, body["position"].get<std::int64_t>(), shared);
  return shared;
}

namespace {

void get_runs(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  // The request as the cache knows it.
  std::shared_ptr<const std::string> body = runs_body(ctx, req, req.target);
  res.set_header("Cache-Control", "no-store");
  set_shared_body(res, std::move(body), "application/json; charset=utf-8");
}

// GET /api/runs/RUN: the run, its driver, its live checkpoint and its
// first events.
void get_run(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const Params params(req, {});
  const std::string run_id = req.matches[1];
  if (run_id.size() > kMaxIdBytes) throw ApiError(400, "bad_request", "run id longer than 1024 bytes");
  ctx.journals->with([&](const Journal& journal) {
    const std::int64_t position = journal.last_position();
    const std::optional<Run> run = journal.run(run_id);
    if (!run) throw ApiError(404, "not_found", fmt::format("no run {}", run_id));
    const std::vector<Event> events = journal.events(run_id, 1, static_cast<std::size_t>(kRunPageEvents) + 1);
    const bool more = events.size() > static_cast<std::size_t>(kRunPageEvents);
    nlohmann::json list = events_json(more ? std::vector<Event>(events.begin(), events.end() - 1) : events);
    set_json(res, {{"run", to_json(*run)},
                   {"driver", driver_state(*run)},
                   {"checkpoint", checkpoint_json(journal.latest_checkpoint(run_id))},
                   {"events", std::move(list)},
                   {"events_next_seq", more ? nlohmann::json(kRunPageEvents + 1) : nlohmann::json(nullptr)},
                   {"position", position}});
  });
}

// GET /api/events?run=RUN[&from_seq=N][&limit=N]: a run's events by seq.
void get_events(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const Params params(req, {"run", "from_seq", "limit"});
  const std::optional<std::string> run_id = params.text("run", kMaxIdBytes);
  if (!run_id) throw ApiError(400, "bad_request", "parameter 'run' is required");
  const std::int64_t from_seq = params.integer("from_seq", 1, INT64_MAX - 1).value_or(1);
  const std::int64_t limit = params.integer("limit", 1, kMaxEventsPage).value_or(kRunPageEvents);
  ctx.journals->with([&](const Journal& journal) {
    std::vector<Event> events = journal.events(*run_id, from_seq, static_cast<std::size_t>(limit) + 1);
    if (events.empty() && !journal.run(*run_id)) throw ApiError(404, "not_found", fmt::format("no run {}", *run_id));
    const bool more = events.size() > static_cast<std::size_t>(limit);
    if (more) events.pop_back();
    set_json(res, {{"events", events_json(events)},
                   {"next_from_seq", more ? nlohmann::json(events.back().seq + 1) : nlohmann::json(nullptr)}});
  });
}

// GET /api/recovery[?include_interrupted=1]: what recover() lists.
void get_recovery(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const Params params(req, {"include_interrupted"});
  RecoverOptions options;
  options.include_interrupted = params.flag("include_interrupted");
  ctx.journals->with([&](const Journal& journal) {
    nlohmann::json list = nlohmann::json::array();
    for (const RecoveredRun& recovered : journal.recover(options)) list.push_back(recovered_json(recovered));
    set_json(res, {{"runs", std::move(list)}, {"include_interrupted", options.include_interrupted}});
  });
}

// GET /api/sql?q=QUERY[&format=json|csv|objects]: one read-only statement
// through Journal::sql, the gate `runjournal sql` uses.
void get_sql(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const Params params(req, {"q", "format"});
  const std::optional<std::string> query = params.text("q", kMaxSqlBytes);
  if (!query || query->empty()) throw ApiError(400, "bad_request", "parameter 'q' (the query) is required");
  const std::string format = params.choice("format", {"json", "csv", "objects"}).value_or("json");
  SqlOptions options;
  options.timeout = kSqlTimeout;
  options.max_rows = static_cast<std::size_t>(format == "json" ? kSqlRowsShown : kSqlRowsDownload);
  const SqlResult result = ctx.journals->with([&](const Journal& journal) { return journal.sql(*query, options); });
  if (format == "csv") {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Disposition", "attachment; filename=\"query.csv\"");
    set_body(res, sql_csv(result), "text/csv; charset=utf-8");
  } else if (format == "objects") {
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Disposition", "attachment; filename=\"query.json\"");
    set_body(res, sql_objects_text(result), "application/json; charset=utf-8");
  } else {
    nlohmann::json body = sql_json(result);
    body["max_rows"] = kSqlRowsShown;
    set_json(res, body);
  }
}

// GET /api/stats: Journal::stats().
void get_stats(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const Params params(req, {});
  set_json(res, to_json(ctx.journals->with([](const Journal& journal) { return journal.stats(); })));
}

// GET /api/server: what this server is and how busy its streams are.
void get_server(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const Params params(req, {});
  set_json(res, {{"version", std::string(version())},
                 {"journal", ctx.config.journal.string()},
                 {"read_only", ctx.journals->streams().read_only()},
                 {"token_required", ctx.config.token.has_value()},
                 {"open_streams", ctx.open_streams.load()},
                 {"max_streams", ctx.config.max_streams}});
}

}  // namespace

void add_api_routes(httplib::Server& server, ServeContext& ctx) {
  const auto route = [&](void (*fn)(ServeContext&, const httplib::Request&, httplib::Response&)) {
    return guarded([&ctx, fn](const httplib::Request& req, httplib::Response& res) { fn(ctx, req, res); });
  };
  server.Get("/api/runs", route(get_runs));
  server.Get("/api/runs/(.+)", route(get_run));
  server.Get("/api/events", route(get_events));
  server.Get("/api/recovery", route(get_recovery));
  server.Get("/api/sql", route(get_sql));
  server.Get("/api/stats", route(get_stats));
  server.Get("/api/server", route(get_server));
}

}  // namespace runjournal::serve
