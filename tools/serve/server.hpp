// server.hpp — `runjournal serve`: a local, read-only web view of a journal.
//
// What it serves (docs/serve.md has the whole API):
//   pages   /  /runs  /runs/RUN  /recovery  /sql  /stats   (one HTML shell;
//           the page's script renders each from its JSON twin)
//   JSON    /api/runs  /api/runs/RUN  /api/events  /api/recovery  /api/sql
//           /api/stats  /api/server
//   stream  /api/stream   Server-Sent Events, resumable by Last-Event-ID
//   files   /assets/NAME  compiled into the binary (embedded_files.hpp)
//
// Guarantees:
// - Read-only: only GET and HEAD are answered (anything else is 405), and
//   no route calls a writing Journal method; SQL goes through Journal::sql,
//   the same read-only gate as `runjournal sql`.
// - Every request's Host header must name the listening address
//   (listen_address.hpp: DNS rebinding); with a token, every request must
//   carry it (Authorization: Bearer, the cookie the page gets, or ?token=).
//   A server on a non-loopback address requires a token.
// - Every response carries the Content-Security-Policy of http_support.hpp;
//   every 4xx/5xx has a JSON error body.
// - A client that goes away, mid-stream or not, costs the server nothing
//   but the thread that served it, returned within a heartbeat.
// Thread safety: stop() may be called from any thread, once run() started or
// not; everything else from the thread that owns the Server.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace runjournal::serve {

struct ServerConfig {
  std::filesystem::path journal;
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  std::optional<std::string> token;
  std::vector<std::string> allow_hosts;  // more Host names to answer (a proxy's)
  std::size_t readers = 4;               // Journals lent to requests (served_journal.hpp)
  std::size_t max_streams = 32;          // event streams open at once; more get 503
  std::size_t threads = 64;              // connections served at once (keep-alive ones hold one)
  std::chrono::milliseconds stream_poll{20};     // how often an idle stream looks for commits
  std::chrono::milliseconds heartbeat{5'000};    // an idle stream's keep-alive comment
};

class Server {
 public:
  // Opens the journal and binds the address. Throws runjournal::Error (the
  // journal), std::invalid_argument (a non-loopback host without a token)
  // and std::runtime_error (the address cannot be bound).
  explicit Server(ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const noexcept;
  // "http://127.0.0.1:8080/"
  std::string url() const;
  // Serves until stop(). Returns after every connection has ended.
  void run();
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace runjournal::serve
