// sql_gate.cpp — the SQLite backend's gate for Journal::sql(): a person's
// query, read-only whatever it says.
//
// Defence in depth, because each layer alone has holes:
// - a separate read-only connection (open_reader: SQLITE_OPEN_READONLY,
//   defensive mode, trusted_schema off), opened per call and closed after,
//   so no snapshot outlives the call and nothing leaks between queries;
// - PRAGMA query_only, set before the authorizer goes in;
// - sqlite3_limit()s: no ATTACH slots, bounded strings, SQL text, expression
//   depth, compound selects and program size;
// - an authorizer that allows reading tables and views, calling functions
//   (except load_extension and friends), recursive CTEs and a short list of
//   introspection PRAGMAs, and refuses everything else at prepare time, so a
//   refused statement never runs. sqlite3_stmt_readonly() alone is not
//   enough: it calls ATTACH and BEGIN read-only;
// - sqlite3_stmt_readonly() as well, which catches VACUUM (INTO) and
//   journal_mode, for which SQLite asks no authorizer;
// - exactly one statement: the text after the first must be blank or comments;
// - a progress handler that interrupts the query past its deadline.
#include <runjournal/journal.hpp>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/json_text.hpp"
#include "sqlite/connection.hpp"
#include "sqlite/sqlite_backend.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal {
namespace {

using Clock = std::chrono::steady_clock;

// Introspection PRAGMAs that only read, allowed with no argument.
constexpr std::array<std::string_view, 16> kReadPragmas = {
    "user_version",  "application_id", "schema_version", "page_count",   "page_size",     "freelist_count",
    "auto_vacuum",   "encoding",       "data_version",   "compile_options", "function_list", "pragma_list",
    "module_list",   "collation_list", "database_list",  "table_list"};
// Introspection PRAGMAs whose argument names a table or index, or is a count.
constexpr std::array<std::string_view, 8> kReadPragmasWithArgument = {
    "table_info", "table_xinfo",     "index_list",  "index_info",
    "index_xinfo", "foreign_key_list", "integrity_check", "quick_check"};
// Functions that reach outside the database, refused even though SQLite
// would mostly refuse them itself.
constexpr std::array<std::string_view, 4> kRefusedFunctions = {"load_extension", "fts3_tokenizer", "readfile",
                                                              "writefile"};
// Columns that hold JSON text: their values come back as SqlValue::Json.
constexpr std::array<std::string_view, 5> kJsonColumns = {"payload", "inputs", "outputs", "metadata", "checkpoint"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, const char* name) {
  if (name == nullptr) return false;
  for (std::string_view item : list) {
    if (sqlite3_stricmp(std::string(item).c_str(), name) == 0) return true;
  }
  return false;
}

struct GateState {
  std::string refusal;  // why the authorizer said no, first reason only
  // SQLite's own time on the query: what it spent in earlier steps, and
  // when the current one began. A caller's slow row callback (a pipe to a
  // pager) does not use up the query's time limit.
  Clock::duration spent{};
  Clock::time_point step_started;
  Clock::duration limit{};
  bool timed_out = false;
};

const char* action_name(int action) {
  switch (action) {
    case SQLITE_INSERT: return "INSERT";
    case SQLITE_UPDATE: return "UPDATE";
    case SQLITE_DELETE: return "DELETE";
    case SQLITE_TRANSACTION: return "a transaction (BEGIN, COMMIT, ROLLBACK)";
    case SQLITE_SAVEPOINT: return "SAVEPOINT";
    case SQLITE_ATTACH: return "ATTACH";
    case SQLITE_DETACH: return "DETACH";
    case SQLITE_ALTER_TABLE: return "ALTER TABLE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_ANALYZE: return "ANALYZE";
    default: return nullptr;
  }
}

int authorize(void* state_ptr, int action, const char* arg1, const char* arg2, const char*, const char*) {
  auto& state = *static_cast<GateState*>(state_ptr);
  const auto refuse = [&](std::string why) {
    if (state.refusal.empty()) state.refusal = std::move(why);
    return SQLITE_DENY;
  };
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION:
      // arg2 is the function's name.
      if (contains(kRefusedFunctions, arg2)) return refuse(fmt::format("the function {}() is not allowed", arg2));
      return SQLITE_OK;
    case SQLITE_PRAGMA:
      // arg1 is the pragma's name, arg2 its argument or NULL.
      if (arg2 == nullptr && contains(kReadPragmas, arg1)) return SQLITE_OK;
      if (contains(kReadPragmasWithArgument, arg1)) return SQLITE_OK;
      return refuse(fmt::format("PRAGMA {}{} is not allowed (only read-only introspection pragmas are)",
                                arg1 ? arg1 : "", arg2 ? fmt::format(" = {}", arg2) : ""));
    default:
      break;
  }
  // SQLite asks to UPDATE sqlite_master's columns while it prepares a
  // table-valued function (json_each, json_tree, pragma_*) and writes
  // nothing; a real UPDATE of it would also need writable_schema (refused
  // above) and fails sqlite3_stmt_readonly() below.
  if (action == SQLITE_UPDATE && arg1 != nullptr && sqlite3_stricmp(arg1, "sqlite_master") == 0) return SQLITE_OK;
  // CREATE and DROP show first as a write to the schema table.
  if ((action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) && arg1 != nullptr &&
      (sqlite3_stricmp(arg1, "sqlite_master") == 0 || sqlite3_stricmp(arg1, "sqlite_temp_master") == 0)) {
    return refuse("creating, changing or dropping tables, views, indexes or triggers is not allowed");
  }
  if (const char* name = action_name(action)) return refuse(fmt::format("{} is not allowed", name));
  return refuse("statements that create, drop or change anything are not allowed");
}

int check_deadline(void* state_ptr) {
  auto& state = *static_cast<GateState*>(state_ptr);
  if (state.spent + (Clock::now() - state.step_started) < state.limit) return 0;
  state.timed_out = true;
  return 1;  // non-zero interrupts the statement (SQLITE_INTERRUPT)
}

// Skips white space, `-- …` and `/* … */` comments and stray semicolons;
// returns true when nothing else is left.
bool only_comments(const char* text) {
  const char* p = text;
  while (*p != '\0') {
    if (std::strchr(" \t\r\n\f\v;", *p) != nullptr) {
      ++p;
    } else if (p[0] == '-' && p[1] == '-') {
      while (*p != '\0' && *p != '\n') ++p;
    } else if (p[0] == '/' && p[1] == '*') {
      const char* end = std::strstr(p + 2, "*/");
      if (end == nullptr) return true;  // an unterminated comment runs to the end
      p = end + 2;
    } else {
      return false;
    }
  }
  return true;
}

void apply_limits(sqlite3* db) {
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 64 * 1024 * 1024);
  sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1024 * 1024);
  sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 200);
  sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 100);
  sqlite3_limit(db, SQLITE_LIMIT_VDBE_OP, 1'000'000);
  sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, 100);
  sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 10'000);
  sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, 1);
  sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 32);
}

// A failure while the query runs, by SQLite's primary code: the query's own
// fault is InvalidArgument; the file's state keeps its usual code.
[[noreturn]] void throw_query_error(sqlite3* db, int rc, const GateState& state, std::chrono::milliseconds timeout) {
  if (state.timed_out || (rc & 0xFF) == SQLITE_INTERRUPT) {
    throw Error(ErrorCode::TimedOut,
                fmt::format("sql: the query was stopped after its time limit of {} ms", timeout.count()));
  }
  const std::string message = fmt::format("sql: {} (SQLite code {})", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: throw Error(ErrorCode::Busy, message);
    case SQLITE_CORRUPT: throw Error(ErrorCode::Corrupt, message);
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_CANTOPEN: throw Error(ErrorCode::Io, message);
    default: throw Error(ErrorCode::InvalidArgument, message);
  }
}

struct StatementGuard {
  sqlite3_stmt* stmt = nullptr;
  ~StatementGuard() { sqlite3_finalize(stmt); }
};

// Where a result column comes from decides whether its text is JSON.
enum class Origin { JsonColumn, OtherColumn, Computed };

Origin origin_of(sqlite3_stmt* stmt, int column) {
  // Needs SQLite built with SQLITE_ENABLE_COLUMN_METADATA (Debian's is);
  // a column computed by an expression has no origin.
  const char* origin = sqlite3_column_origin_name(stmt, column);
  if (origin == nullptr) return Origin::Computed;
  return contains(kJsonColumns, origin) ? Origin::JsonColumn : Origin::OtherColumn;
}

SqlValue read_value(sqlite3_stmt* stmt, int column, Origin origin) {
  SqlValue value;
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      value.type = SqlValue::Type::Integer;
      value.integer = sqlite3_column_int64(stmt, column);
      break;
    case SQLITE_FLOAT:
      value.type = SqlValue::Type::Real;
      value.real = sqlite3_column_double(stmt, column);
      break;
    case SQLITE_BLOB: {
      value.type = SqlValue::Type::Blob;
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, column));
      value.text.assign(bytes ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
      break;
    }
    case SQLITE_TEXT: {
      value.type = SqlValue::Type::Text;
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
      value.text.assign(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
      // A JSON column's text, or computed text that is an object or array,
      // is handed over parsed; anything that does not parse stays text. A
      // prompt that happens to look like JSON stays text.
      const bool looks_structured = !value.text.empty() && (value.text.front() == '{' || value.text.front() == '[');
      if (origin == Origin::JsonColumn || (origin == Origin::Computed && looks_structured)) {
        // Bounded: a query can compute text nested far deeper than any
        // payload, which is then left as text rather than parsed.
        if (std::optional<nlohmann::json> parsed = detail::try_parse_json_limited(value.text, detail::kMaxStoredDepth)) {
          value.type = SqlValue::Type::Json;
          value.json = std::move(*parsed);
        }
      }
      break;
    }
    default:
      break;  // NULL
  }
  return value;
}

}  // namespace

void detail::sqlite_sql_each(const std::filesystem::path& path, const Options& journal_options,
                             const std::string& query,
                             const std::function<void(const std::vector<std::string>&)>& on_columns,
                             const std::function<bool(const std::vector<SqlValue>&)>& on_row,
                             const SqlOptions& options) {
  std::unique_ptr<SQLite::Database> connection =
      detail::translate_errors("sql: opening the journal", [&] {
        return detail::open_reader(path, journal_options.busy_timeout, journal_options.vfs);
      });
  sqlite3* db = connection->getHandle();
  detail::translate_errors("sql: setting query_only", [&] { connection->exec("PRAGMA query_only = ON"); });
  apply_limits(db);
  GateState state;
  state.limit = options.timeout;
  state.step_started = Clock::now();  // preparing counts as SQLite's time too
  sqlite3_set_authorizer(db, authorize, &state);
  sqlite3_progress_handler(db, 1000, check_deadline, &state);

  StatementGuard guard;
  const char* tail = nullptr;
  const int prepared = sqlite3_prepare_v2(db, query.c_str(), static_cast<int>(query.size()), &guard.stmt, &tail);
  if (!state.refusal.empty()) {
    throw Error(ErrorCode::InvalidArgument, fmt::format("sql is read-only: {}", state.refusal));
  }
  if (prepared != SQLITE_OK) throw_query_error(db, prepared, state, options.timeout);
  if (guard.stmt == nullptr) throw Error(ErrorCode::InvalidArgument, "sql: the query holds no statement");
  if (tail != nullptr && !only_comments(tail)) {
    throw Error(ErrorCode::InvalidArgument, "sql: only one statement is allowed per query");
  }
  if (sqlite3_stmt_readonly(guard.stmt) == 0) {
    throw Error(ErrorCode::InvalidArgument, "sql is read-only: this statement would change the file");
  }
  state.spent += Clock::now() - state.step_started;

  const int columns = sqlite3_column_count(guard.stmt);
  std::vector<std::string> names;
  std::vector<Origin> origins;
  for (int c = 0; c < columns; ++c) {
    names.emplace_back(sqlite3_column_name(guard.stmt, c));
    origins.push_back(origin_of(guard.stmt, c));
  }
  on_columns(names);
  std::vector<SqlValue> row;
  for (;;) {
    state.step_started = Clock::now();
    const int rc = sqlite3_step(guard.stmt);
    state.spent += Clock::now() - state.step_started;
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw_query_error(db, rc, state, options.timeout);
    row.clear();
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) row.push_back(read_value(guard.stmt, c, origins[static_cast<std::size_t>(c)]));
    if (!on_row(row)) break;
  }
}

}  // namespace runjournal
