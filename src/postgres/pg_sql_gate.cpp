// pg_sql_gate.cpp — the PostgreSQL backend's gate for Journal::sql(): a
// person's query, read-only whatever it says (docs/postgresql.md, "The sql
// gate on PostgreSQL", lists what a read-only transaction alone lets
// through, verified on a server).
//
// Layers, each closing what the others leave open:
// - the statement must start with SELECT, WITH, VALUES, TABLE or EXPLAIN
//   (after comments and parentheses): COPY, DO, CALL, SET, LISTEN, NOTIFY,
//   LOCK, PREPARE, VACUUM, transaction control and DDL are refused by name;
// - every identifier outside literals and comments (quoted or not, schema
//   qualified or not) is checked against the functions that reach outside
//   the journal or the transaction: files, large objects, other servers,
//   settings, locks, signals, WAL control, and the functions that run a
//   query given as text (which would hide any of these in a literal);
// - it is sent with the extended protocol, which takes one statement only;
// - on a connection of its own, closed after, inside BEGIN READ ONLY with
//   SET LOCAL statement_timeout (the query's time limit: TimedOut),
//   lock_timeout and idle_in_transaction_session_timeout.
// What no text check can see: functions that already exist in the database
// (an extension's, a user's) may call anything a read-only transaction
// allows. The strong boundary is a role with SELECT only; docs say so.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <runjournal/error.hpp>

#include "core/json_text.hpp"
#include "postgres/pg_backend.hpp"
#include "postgres/pg_sessions.hpp"

namespace runjournal::detail {
namespace {

constexpr std::array<std::string_view, 5> kAllowedStatements = {"select", "with", "values", "table", "explain"};
// Exact names, then prefixes (each ends in '_' or is a family's stem).
constexpr std::array<std::string_view, 22> kRefusedNames = {
    "pg_read_file", "pg_read_binary_file", "pg_stat_file", "set_config", "pg_notify", "pg_cancel_backend",
    "pg_terminate_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_log_backend_memory_contexts",
    "pg_switch_wal", "pg_create_restore_point", "pg_promote", "pg_export_snapshot", "ts_stat", "ts_rewrite",
    "pg_import_system_collations", "pg_sleep", "pg_sleep_for", "pg_sleep_until", "txid_current",
    "pg_current_xact_id"};
constexpr std::array<std::string_view, 22> kRefusedPrefixes = {
    "lo_", "pg_ls_", "pg_file_", "dblink", "pg_advisory_", "pg_try_advisory_", "pg_backup_", "pg_wal_replay_",
    "pg_stat_reset", "pg_logical_", "pg_replication_origin_", "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot", "pg_drop_replication_slot", "pg_copy_", "txid_current_",
    "pg_current_xact_id_", "query_to_xml", "cursor_to_xml", "table_to_xml", "schema_to_xml", "database_to_xml"};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool refused_name(const std::string& name) {
  if (std::find(kRefusedNames.begin(), kRefusedNames.end(), name) != kRefusedNames.end()) return true;
  return std::any_of(kRefusedPrefixes.begin(), kRefusedPrefixes.end(),
                     [&](std::string_view prefix) { return name.rfind(prefix, 0) == 0; });
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$'; }

// The query's words (identifiers and keywords, lower-cased; quoted
// identifiers as written), skipping string literals, dollar-quoted strings
// and comments. Throws InvalidArgument for one left open.
std::vector<std::string> words_of(std::string_view q) {
  std::vector<std::string> words;
  const auto unterminated = [](const char* what) {
    throw Error(ErrorCode::InvalidArgument, fmt::format("sql: the query has an unterminated {}", what));
  };
  std::size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (c == '-' && i + 1 < q.size() && q[i + 1] == '-') {
      i = q.find('\n', i);
      if (i == std::string_view::npos) break;
    } else if (c == '/' && i + 1 < q.size() && q[i + 1] == '*') {
      int depth = 0;  // PostgreSQL's block comments nest
      do {
        if (i + 1 >= q.size()) unterminated("comment");
        if (q[i] == '/' && q[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (q[i] == '*' && q[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      } while (depth > 0);
    } else if (c == '\'') {
      // 'it''s', and E'\'' (a backslash escapes only inside E'…', where
      // the E is a word of its own: in date'\' the literal ends at its
      // second quote, as the server reads it).
      const bool escapes = i > 0 && (q[i - 1] == 'e' || q[i - 1] == 'E') && (i < 2 || !word_char(q[i - 2]));
      for (++i;; ++i) {
        if (i >= q.size()) unterminated("string literal");
        if (escapes && q[i] == '\\') {
          ++i;
        } else if (q[i] == '\'') {
          if (i + 1 < q.size() && q[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
      ++i;
    } else if (c == '"') {
      // U&"…": an identifier spelled with escapes (U&"pg_read_fil\0065")
      // would hide its name from the check below.
      if (i >= 2 && q[i - 1] == '&' && (q[i - 2] == 'u' || q[i - 2] == 'U')) {
        throw Error(ErrorCode::InvalidArgument, "sql: identifiers with Unicode escapes (U&\"…\") are not allowed");
      }
      std::string name;
      for (++i;; ++i) {
        if (i >= q.size()) unterminated("quoted identifier");
        if (q[i] == '"') {
          if (i + 1 < q.size() && q[i + 1] == '"') {
            name += '"';
            ++i;
          } else {
            break;
          }
        } else {
          name += q[i];
        }
      }
      ++i;
      words.push_back(lower(name));  // refused names are lower-case; a quoted "LO_IMPORT" is no function
    } else if (c == '$' && (i + 1 < q.size()) && (q[i + 1] == '$' || std::isalpha(static_cast<unsigned char>(q[i + 1])) != 0 || q[i + 1] == '_')) {
      // $tag$ … $tag$ (a $1 parameter has a digit after the $).
      const std::size_t close = q.find('$', i + 1);
      if (close == std::string_view::npos) unterminated("dollar-quoted string");
      const std::string_view tag = q.substr(i, close - i + 1);
      bool is_tag = true;
      for (char t : tag.substr(1, tag.size() - 2)) is_tag = is_tag && word_char(t) && t != '$';
      if (!is_tag) {
        ++i;
        continue;
      }
      const std::size_t end = q.find(tag, close + 1);
      if (end == std::string_view::npos) unterminated("dollar-quoted string");
      i = end + tag.size();
    } else if (word_char(c)) {
      const std::size_t start = i;
      while (i < q.size() && word_char(q[i])) ++i;
      words.push_back(lower(q.substr(start, i - start)));
    } else {
      ++i;
    }
  }
  return words;
}

void check_query(const std::string& query) {
  const std::vector<std::string> words = words_of(query);
  if (words.empty()) throw Error(ErrorCode::InvalidArgument, "sql: the query is empty");
  if (std::find(kAllowedStatements.begin(), kAllowedStatements.end(), words.front()) == kAllowedStatements.end()) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("sql: {} is not allowed: only one SELECT, WITH, VALUES, TABLE or EXPLAIN statement is",
                            words.front()));
  }
  for (const std::string& word : words) {
    if (refused_name(word)) {
      throw Error(ErrorCode::InvalidArgument,
                  fmt::format("sql: the function {}() is not allowed (it reaches outside a read-only query)", word));
    }
  }
}

// Type oids (pg_type.dat): what a value becomes.
SqlValue value_of(const PGresult* result, int row, int column) {
  SqlValue value;
  if (PQgetisnull(result, row, column) != 0) return value;
  const std::string_view text(PQgetvalue(result, row, column),
                              static_cast<std::size_t>(PQgetlength(result, row, column)));
  switch (PQftype(result, column)) {
    case 16:  // bool
      value.type = SqlValue::Type::Integer;
      value.integer = text == "t" ? 1 : 0;
      break;
    case 20: case 21: case 23: case 26:  // int8, int2, int4, oid
      value.type = SqlValue::Type::Integer;
      value.integer = std::stoll(std::string(text));
      break;
    case 700: case 701:  // float4, float8
      value.type = SqlValue::Type::Real;
      value.real = std::stod(std::string(text));
      break;
    case 1700:  // numeric: an integer when it has no fraction and fits
      if (text.find_first_of(".eEN") == std::string_view::npos && text.size() < 19) {
        value.type = SqlValue::Type::Integer;
        value.integer = std::stoll(std::string(text));
      } else {
        value.type = SqlValue::Type::Real;
        value.real = std::stod(std::string(text));
      }
      break;
    case 114: case 3802:  // json, jsonb
      value.type = SqlValue::Type::Json;
      value.text = std::string(text);
      value.json = parse_stored_json(text, "sql result");
      break;
    case 17: {  // bytea, in hex output ("\x0a1b…")
      size_t length = 0;
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text.data()), &length);
      if (bytes == nullptr) throw Error(ErrorCode::Io, "sql: could not decode a bytea value");
      value.type = SqlValue::Type::Blob;
      value.text.assign(reinterpret_cast<const char*>(bytes), length);
      PQfreemem(bytes);
      break;
    }
    default:
      value.type = SqlValue::Type::Text;
      value.text = std::string(text);
  }
  return value;
}

}  // namespace

void pg_sql_each(const std::string& conninfo, const std::string& name, const std::string& query,
                 const std::function<void(const std::vector<std::string>&)>& on_columns,
                 const std::function<bool(const std::vector<SqlValue>&)>& on_row, const SqlOptions& options) {
  check_query(query);
  pg_translate_errors("sql", [&] {
    const auto limit = std::max<std::int64_t>(1, options.timeout.count());
    PgSettings settings{conninfo, name, std::chrono::milliseconds(10'000)};
    pg::Connection conn = connect_session(settings);
    conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    conn.exec(fmt::format("SET LOCAL statement_timeout = {}", limit));
    conn.exec(fmt::format("SET LOCAL lock_timeout = {}", limit));
    conn.exec(fmt::format("SET LOCAL idle_in_transaction_session_timeout = {}", limit + 60'000));
    // Parameters (none) force the extended protocol: one statement only.
    const pg::Result result = conn.exec(query, std::span<const pg::Param>());
    const PGresult* native = result.native();
    std::vector<std::string> columns;
    for (int c = 0; c < result.columns(); ++c) columns.emplace_back(PQfname(native, c));
    if (on_columns) on_columns(columns);
    std::vector<SqlValue> row(columns.size());
    for (int r = 0; r < result.rows(); ++r) {
      for (int c = 0; c < result.columns(); ++c) row[static_cast<std::size_t>(c)] = value_of(native, r, c);
      if (!on_row(row)) break;
    }
    conn.exec("ROLLBACK");
  });
}

}  // namespace runjournal::detail
