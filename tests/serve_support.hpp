// serve_support.hpp — what the `runjournal serve` suites share: the real
// server as a child process on a free loopback port, raw HTTP requests, an
// event-stream reader, and a journal with runs of every kind.
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>

#include "process.hpp"
#include "test_support.hpp"

namespace runjournal::test::serve {

using namespace std::chrono_literals;
using nlohmann::json;
using runjournal::Journal;
using runjournal::test::TempDir;

inline constexpr const char* kHostile = "<img src=x onerror=alert(1)></script><script>alert(2)</script>";

// A server process on 127.0.0.1:<free port>, stopped (SIGTERM) and reaped
// when the object dies.
class Served {
 public:
  explicit Served(const std::filesystem::path& db, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {RUNJOURNAL_CLI, "serve", db.string(), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = runjournal::test::start_process(argv);
    first_line = runjournal::test::read_line(child_);
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_search(first_line, m, std::regex("http://127\\.0\\.0\\.1:([0-9]+)/")), first_line);
    port = std::stoi(m[1]);
  }
  ~Served() {
    if (child_.pid > 0) stop();
  }
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;

  runjournal::test::Outcome stop() {
    kill(child_.pid, SIGTERM);
    runjournal::test::Outcome outcome = runjournal::test::finish_process(child_);
    child_.pid = -1;
    return outcome;
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    c.set_url_encode(false);  // the tests encode their paths themselves
    return c;
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port); }

  int port = 0;
  std::string first_line;

 private:
  runjournal::test::Child child_;
};

// The whole response to one request written as raw bytes: for requests a
// client library would not send (no Host, a hostile Host, a huge line).
inline std::string raw_request(int port, const std::string& request, std::chrono::milliseconds wait = 5s) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return response;
}

// Percent-encodes everything but unreserved characters (RFC 3986).
inline std::string url_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

inline int status_of(const std::string& raw) {
  std::smatch m;
  if (!std::regex_search(raw, m, std::regex("^HTTP/1\\.[01] ([0-9]{3})"))) return 0;
  return std::stoi(m[1]);
}

inline std::string body_of(const std::string& raw) {
  const std::size_t start = raw.find("\r\n\r\n");
  return start == std::string::npos ? "" : raw.substr(start + 4);
}

// A journal with a finished run, a live one with a checkpoint and a tool
// span, a failed one, and a run whose prompt and payload are hostile.
struct Fixture {
  TempDir dir;
  std::filesystem::path db = dir.file("served.journal");
  std::string done, live, failed, hostile;

  Fixture() {
    Journal j = Journal::open(db);
    done = j.create_run({.session_id = "s-a", .prompt = "write the docs", .run_id = "run-done"}).run_id;
    j.append(done, "tool_started", {{"tool_name", "search"}});
    j.append(done, "tool_result", {{"tool_name", "search"}, {"hits", 3}});
    j.append(done, "run_completed", {{"result_text", "docs written"}});
    live = j.create_run({.session_id = "s-b", .prompt = "fix the tests", .run_id = "run-live"}).run_id;
    j.save_checkpoint(live, "cp-1", {{"step", 2}});
    j.append(live, "node_entered", {{"node", "plan"}});
    failed = j.create_run({.session_id = "s-a", .prompt = "deploy", .run_id = "run-failed"}).run_id;
    j.append(failed, "run_failed", {{"error", "boom"}});
    hostile = j.create_run({.session_id = "s-c", .prompt = kHostile, .run_id = "run-hostile"}).run_id;
    j.append(hostile, "tool_called", {{"html", kHostile}});
  }
};


// An event-stream reader over a raw socket: undoes the chunked transfer
// coding and splits the text into SSE events.
class SseClient {
 public:
  struct Message {
    std::string id, event, data;
  };

  SseClient(int port, const std::string& host, const std::string& path, const std::string& extra_headers = "") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra_headers + "\r\n";
    REQUIRE(send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  }
  ~SseClient() { close_now(); }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // The response's status, once its head has arrived (0 on timeout).
  int status(std::chrono::milliseconds wait = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (head_.empty() && std::chrono::steady_clock::now() < deadline) pump(100ms);
    return status_of(head_);
  }
  const std::string& head() const { return head_; }
  std::size_t bytes_read() const { return total_; }

  // The next event (not comments); std::nullopt on timeout or end.
  std::optional<Message> next(std::chrono::milliseconds wait = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      const std::size_t end = text_.find("\n\n");
      if (end != std::string::npos) {
        const std::string block = text_.substr(0, end);
        text_.erase(0, end + 2);
        Message m;
        std::size_t pos = 0;
        bool any = false;
        while (pos <= block.size()) {
          const std::size_t nl = std::min(block.find('\n', pos), block.size());
          const std::string line = block.substr(pos, nl - pos);
          pos = nl + 1;
          if (line.rfind("id: ", 0) == 0) m.id = line.substr(4), any = true;
          if (line.rfind("event: ", 0) == 0) m.event = line.substr(7), any = true;
          if (line.rfind("data: ", 0) == 0) m.data = line.substr(6), any = true;
        }
        if (any && !m.event.empty()) return m;
        continue;
      }
      if (std::chrono::steady_clock::now() >= deadline || !pump(50ms)) return std::nullopt;
    }
  }

  // Hangs up at once (RST, as a killed browser tab does).
  void close_now() {
    if (fd_ < 0) return;
    linger hard{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close(fd_);
    fd_ = -1;
  }

 private:
  // Reads what is there within `wait`; false once the peer closed.
  bool pump(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    total_ += static_cast<std::size_t>(n);
    raw_.append(buf, static_cast<std::size_t>(n));
    if (head_.empty()) {
      const std::size_t end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      head_ = raw_.substr(0, end + 4);
      raw_.erase(0, end + 4);
    }
    for (;;) {  // chunks: SIZE-IN-HEX CRLF DATA CRLF
      const std::size_t line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) break;
      const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (raw_.size() < line_end + 2 + size + 2) break;
      text_ += raw_.substr(line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
      if (size == 0) return false;
    }
    return true;
  }

  int fd_ = -1;
  std::string raw_, head_, text_;
  std::size_t total_ = 0;
};

inline json get_json(const Served& s, const std::string& path, int expected_status = 200) {
  httplib::Client c = s.client();
  const httplib::Result r = c.Get(path.c_str());
  REQUIRE_MESSAGE(r, path);
  CHECK_MESSAGE(r->status == expected_status, path, " -> ", r->body);
  CHECK(r->get_header_value("Content-Type").find("application/json") == 0);
  CHECK(r->has_header("Content-Security-Policy"));
  return json::parse(r->body);
}

inline std::vector<std::string> ids(const json& runs) {
  std::vector<std::string> out;
  for (const json& run : runs) out.push_back(run["run_id"].get<std::string>());
  return out;
}

}  // namespace runjournal::test::serve
