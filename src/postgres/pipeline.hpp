// postgres/pipeline.hpp — many statements, one round trip (libpq pipeline mode).
//
// A Pipeline queues statements without waiting for their answers and reads
// them all after one sync: a batch of a thousand inserts costs one round
// trip instead of a thousand. Statements run in order; the server stops at
// the first failure and skips the rest up to the sync. With BEGIN and COMMIT
// queued around them, a batch is one transaction; a failure inside leaves
// that transaction failed, and the caller's pg::Transaction (begun before
// the Pipeline, on the same connection) rolls it back. Without BEGIN, the
// statements up to the sync form one implicit transaction.
//
// sync() returns one Result per queued statement, in order, or throws the
// first failure after reading every answer, so the connection is left in
// step either way. The Connection's client timeout covers the whole sync.
// While a Pipeline lives, nothing else may use its Connection.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "postgres/connection.hpp"

namespace runjournal::pg {

class Pipeline {
 public:
  explicit Pipeline(Connection& connection);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline();

  void send(std::string_view sql, std::span<const Param> params, Format format = Format::Text);
  void send(std::string_view sql, std::initializer_list<Param> params, Format format = Format::Text) {
    send(sql, std::span<const Param>(params.begin(), params.size()), format);
  }
  void send_prepared(const std::string& name, std::span<const Param> params, Format format = Format::Text);
  void send_prepared(const std::string& name, std::initializer_list<Param> params, Format format = Format::Text) {
    send_prepared(name, std::span<const Param>(params.begin(), params.size()), format);
  }
  // Statements queued since the last sync().
  std::size_t pending() const noexcept { return pending_; }
  std::vector<Result> sync();

 private:
  void leave() noexcept;

  Connection& connection_;
  std::size_t pending_ = 0;
  bool active_ = false;
};

}  // namespace runjournal::pg
