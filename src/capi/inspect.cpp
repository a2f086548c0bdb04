// inspect.cpp — read-only SQL, statistics, export and import of whole
// runs, and retention.
#include <istream>
#include <streambuf>

#include <fmt/format.h>

#include "capi.hpp"

using namespace runjournal;
using namespace runjournal::capi;

namespace {

// The caller's read callback as a stream for Journal::import_records. A
// callback that fails throws Aborted out of underflow(); the stream is set
// to rethrow it (badbit), so the import stops and writes nothing rather
// than taking the input read so far for the whole of it.
class CallbackBuf : public std::streambuf {
 public:
  CallbackBuf(rj_read_fn read, void* user) : read_(read), user_(user) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const std::ptrdiff_t n = read_(user_, buffer_, sizeof buffer_);
    if (n < 0) throw Aborted(fmt::format("the import's read callback failed (it returned {})", n));
    if (n == 0) return traits_type::eof();
    if (static_cast<std::size_t>(n) > sizeof buffer_) {
      throw Error(ErrorCode::InvalidArgument, "the import's read callback returned more bytes than it was given room for");
    }
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  rj_read_fn read_;
  void* user_;
  char buffer_[64 * 1024];
};

const SqlValue* cell(const rj_sql_result* result, size_t row, size_t column) {
  if (result == nullptr || row >= result->result.rows.size()) return nullptr;
  const std::vector<SqlValue>& values = result->result.rows[row];
  return column < values.size() ? &values[column] : nullptr;
}

}  // namespace

extern "C" {

rj_status rj_sql(rj_journal* journal, const char* query, const rj_sql_options* options, rj_sql_result** out) {
  clear(out);
  return guard([&] {
    require(journal, "journal");
    require(out, "out");
    SqlOptions sql_options;
    if (options != nullptr) {
      const rj_sql_options given = read_struct(options, "sql options");
      if (given.timeout_ms < 0) throw Error(ErrorCode::InvalidArgument, "timeout_ms is negative");
      if (given.timeout_ms > 0) sql_options.timeout = std::chrono::milliseconds(given.timeout_ms);
      if (given.max_rows > 0) sql_options.max_rows = given.max_rows;
    }
    SqlResult result = journal->journal.sql(require_text(query, "query"), sql_options);
    *out = new rj_sql_result{std::move(result)};
  });
}

size_t rj_sql_result_column_count(const rj_sql_result* result) {
  return result ? result->result.columns.size() : 0;
}
const char* rj_sql_result_column_name(const rj_sql_result* result, size_t column) {
  return result && column < result->result.columns.size() ? result->result.columns[column].c_str() : nullptr;
}
size_t rj_sql_result_row_count(const rj_sql_result* result) { return result ? result->result.rows.size() : 0; }
rj_sql_type rj_sql_result_type(const rj_sql_result* result, size_t row, size_t column) {
  const SqlValue* value = cell(result, row, column);
  if (value == nullptr) return RJ_SQL_NULL;
  switch (value->type) {
    case SqlValue::Type::Null: return RJ_SQL_NULL;
    case SqlValue::Type::Integer: return RJ_SQL_INTEGER;
    case SqlValue::Type::Real: return RJ_SQL_REAL;
    case SqlValue::Type::Text: return RJ_SQL_TEXT;
    case SqlValue::Type::Json: return RJ_SQL_JSON;
    case SqlValue::Type::Blob: return RJ_SQL_BLOB;
  }
  return RJ_SQL_NULL;
}
int64_t rj_sql_result_int(const rj_sql_result* result, size_t row, size_t column) {
  const SqlValue* value = cell(result, row, column);
  return value && value->type == SqlValue::Type::Integer ? value->integer : 0;
}
double rj_sql_result_real(const rj_sql_result* result, size_t row, size_t column) {
  const SqlValue* value = cell(result, row, column);
  return value && value->type == SqlValue::Type::Real ? value->real : 0;
}
const char* rj_sql_result_text(const rj_sql_result* result, size_t row, size_t column, size_t* length) {
  const SqlValue* value = cell(result, row, column);
  if (value == nullptr || (value->type != SqlValue::Type::Text && value->type != SqlValue::Type::Json &&
                           value->type != SqlValue::Type::Blob)) {
    if (length != nullptr) *length = 0;
    return nullptr;
  }
  if (length != nullptr) *length = value->text.size();
  return value->text.c_str();
}
void rj_sql_result_free(rj_sql_result* result) { delete result; }

rj_status rj_stats(rj_journal* journal, char** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    *out = copy_string(to_json(require(journal, "journal")->journal.stats()).dump());
  });
}

rj_status rj_export(rj_journal* journal, const char* run_id, rj_line_fn line, rj_progress_fn progress, void* user) {
  return guard([&] {
    require(journal, "journal");
    require(line, "line");
    std::optional<std::string> only;
    if (run_id != nullptr) only = run_id;
    journal->journal.records(
        [&](const RunRecord& record) {
          const std::string text = record_to_line(record);
          const int rc = line(user, text.data(), text.size());
          if (rc != 0) throw Aborted(fmt::format("the export's line callback aborted it (it returned {})", rc));
        },
        only, progress_of(progress, user));
  });
}

rj_status rj_import(rj_journal* journal, rj_read_fn read, rj_progress_fn progress, void* user,
                    rj_import_report* out) {
  return guard([&] {
    require(journal, "journal");
    require(read, "read");
    CallbackBuf buffer(read, user);
    std::istream in(&buffer);
    in.exceptions(std::ios::badbit);
    const ImportReport report = journal->journal.import_records(in, progress_of(progress, user));
    write_struct(out, rj_import_report{sizeof(rj_import_report), report.runs_imported, report.runs_skipped,
                                       report.events_imported});
  });
}

rj_status rj_prune(rj_journal* journal, const rj_prune_options* options, rj_progress_fn progress, void* user,
                   rj_prune_report* out) {
  return guard([&] {
    require(journal, "journal");
    const rj_prune_options given = read_struct(options, "prune options");
    PruneOptions prune;
    prune.finished_before_ms = given.finished_before_ms;
    if (given.archive_path != nullptr) prune.archive = std::filesystem::path(given.archive_path);
    if (given.runs_per_transaction != 0) prune.runs_per_transaction = given.runs_per_transaction;
    const PruneReport report = journal->journal.prune(prune, progress_of(progress, user));
    write_struct(out, rj_prune_report{sizeof(rj_prune_report), report.runs, report.events, report.pages_freed});
  });
}

}  // extern "C"
