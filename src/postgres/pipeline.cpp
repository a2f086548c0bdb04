// pipeline.cpp — libpq's pipeline mode.
//
// In pipeline mode the client keeps sending while the server keeps
// answering; with blocking sends, a batch big enough to fill both socket
// buffers would stop each side waiting for the other. The Connection is
// always in non-blocking mode, and its flush() reads whenever it cannot
// write.
#include "postgres/pipeline.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include "postgres/database_error.hpp"

namespace runjournal::pg {

Pipeline::Pipeline(Connection& connection) : connection_(connection) {
  connection_.run_before_statement();
  PGconn* conn = connection_.native();
  if (conn == nullptr || !connection_.usable()) detail::throw_connection_error(conn, "entering pipeline mode");
  if (PQenterPipelineMode(conn) == 0) detail::throw_connection_error(conn, "entering pipeline mode");
  active_ = true;
}

Pipeline::~Pipeline() {
  if (!active_) return;
  // Statements queued and never synced (the caller threw while building):
  // sync and read them off, so the connection is in step for whoever
  // rolls back. An error here is swallowed, as a destructor must: the
  // connection is then lost, which its next user learns.
  try {
    if (pending_ > 0) sync();
  } catch (const std::exception&) {
  }
  leave();
}

void Pipeline::leave() noexcept {
  if (!active_) return;
  active_ = false;
  if (PGconn* conn = connection_.native()) PQexitPipelineMode(conn);
}

void Pipeline::send(std::string_view sql, std::span<const Param> params, Format format) {
  PGconn* conn = connection_.native();
  const std::string text(sql);
  const detail::ParamArrays a(params);
  if (conn == nullptr || PQsendQueryParams(conn, text.c_str(), a.size(), a.types(), a.values(), a.lengths(),
                                           a.formats(), static_cast<int>(format)) == 0) {
    detail::throw_connection_error(conn, "queueing a statement in a pipeline");
  }
  ++pending_;
}

void Pipeline::send_prepared(const std::string& name, std::span<const Param> params, Format format) {
  PGconn* conn = connection_.native();
  const detail::ParamArrays a(params);
  if (conn == nullptr || PQsendQueryPrepared(conn, name.c_str(), a.size(), a.values(), a.lengths(), a.formats(),
                                             static_cast<int>(format)) == 0) {
    detail::throw_connection_error(conn, "queueing " + name + " in a pipeline");
  }
  ++pending_;
}

std::vector<Result> Pipeline::sync() {
  PGconn* conn = connection_.native();
  const std::size_t count = pending_;
  pending_ = 0;
  if (conn == nullptr || PQpipelineSync(conn) == 0) detail::throw_connection_error(conn, "syncing a pipeline");
  Connection::Wait wait = connection_.start_wait();
  connection_.flush(wait, "sending a pipeline");
  std::vector<Result> results;
  results.reserve(count);
  Result first_error;
  std::size_t failed_at = 0;
  std::size_t copy_at = 0;  // 1-based: the first COPY, refused
  for (std::size_t i = 0; i < count; ++i) {
    Connection::Collected c = connection_.collect_statement(wait, "reading a pipeline's answers");
    if (c.copy_refused && first_error.native() == nullptr) copy_at = i + 1;
    if (c.error.native() != nullptr && first_error.native() == nullptr && copy_at == 0 &&
        PQresultStatus(c.error.native()) != PGRES_PIPELINE_ABORTED) {
      first_error = std::move(c.error);
      failed_at = i;
    }
    results.push_back(std::move(c.result));
    if (!connection_.usable()) break;
  }
  if (connection_.usable()) {
    // The sync's own result, which ends the pipeline's answers.
    Connection::Collected end = connection_.collect_statement(wait, "reading a pipeline's answers");
    if (end.result.native() == nullptr || PQresultStatus(end.result.native()) != PGRES_PIPELINE_SYNC) {
      detail::throw_client_error(ErrorCode::Io, "reading a pipeline's answers", "the answers are out of step", false);
    }
  }
  if (copy_at != 0) {
    detail::throw_client_error(ErrorCode::InvalidArgument,
                               fmt::format("statement {} of a pipeline of {}", copy_at, count),
                               "COPY to or from the client is not supported", false);
  }
  if (first_error.native() != nullptr) {
    connection_.throw_error(first_error, fmt::format("statement {} of a pipeline of {}", failed_at + 1, count));
  }
  if (!connection_.usable()) detail::throw_connection_error(conn, "reading a pipeline's answers");
  return results;
}

}  // namespace runjournal::pg
