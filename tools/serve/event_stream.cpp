// event_stream.cpp — GET /api/stream: the journal's events as Server-Sent
// Events, from a position on, then live as they are committed.
//
//   id: 1042            the event's position: a reconnecting EventSource
//   event: event        sends it back as Last-Event-ID, and the stream
//   data: {…}           resumes right after it, missing and repeating nothing
//
// Parameters: after=POS (default 0: from the start; Last-Event-ID wins),
// run=RUN (only that run's events), payloads=0 (events without their
// payloads, for a page that only needs to know what changed).
//
// Each stream runs inside the connection's thread: Journal::follow() on the
// streams' shared Journal (served_journal.hpp), which holds no lock and no
// read snapshot while it waits. Output is buffered up to kFlushBytes and written whenever follow()
// has caught up, so a stream that replays a million events makes big writes
// and a live one sends each commit at once. Memory stays bounded: one page
// of events and one buffer. A client that disconnects is noticed at the
// next write (an event or the heartbeat comment), which ends the stream.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <runjournal/json.hpp>

#include "http_support.hpp"
#include "serve_context.hpp"

namespace runjournal::serve {
namespace {

constexpr std::size_t kFlushBytes = 64 * 1024;
// Events read per page while a run-only stream catches up on its run.
constexpr std::size_t kRunPage = 1000;

struct StreamRequest {
  std::int64_t after = 0;
  std::optional<std::string> run_id;
  bool payloads = true;
};

class StreamWriter {
 public:
  StreamWriter(ServeContext& ctx, httplib::DataSink& sink, const StreamRequest& request)
      : ctx_(ctx), sink_(sink), request_(request) {}

  // Queues one event; false once the stream must end.
  bool add(const Event& event) {
    if (ctx_.stopping) return false;
    nlohmann::json json = to_json(event);
    if (!request_.payloads) json.erase("payload");
    buffer_ += fmt::format("id: {}\nevent: event\ndata: {}\n\n", event.position, dump(json));
    return buffer_.size() < kFlushBytes || flush();
  }

  // Between polls: sends what is queued, or a heartbeat when nothing was
  // sent for a while; false once the stream must end.
  bool idle() {
    if (ctx_.stopping) return false;
    if (!buffer_.empty()) return flush();
    if (std::chrono::steady_clock::now() - last_write_ >= ctx_.config.heartbeat) {
      buffer_ = ": keep-alive\n\n";
      return flush();
    }
    return true;
  }

  bool send(std::string text) {
    buffer_ += text;
    return flush();
  }

  bool flush() {
    if (failed_) return false;
    if (!buffer_.empty() && !sink_.write(buffer_.data(), buffer_.size())) failed_ = true;
    buffer_.clear();
    last_write_ = std::chrono::steady_clock::now();
    return !failed_;
  }

 private:
  ServeContext& ctx_;
  httplib::DataSink& sink_;
  const StreamRequest& request_;
  std::string buffer_;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  bool failed_ = false;
};

void stream(ServeContext& ctx, const StreamRequest& request, StreamWriter& out) {
  const Journal& journal = ctx.journals->streams();
  if (!out.send(fmt::format("retry: 1000\n: runjournal events after position {}{}\n\n", request.after,
                            request.run_id ? " of run " + *request.run_id : std::string()))) {
    return;
  }
  std::int64_t follow_from = request.after;
  std::int64_t delivered = request.after;
  if (request.run_id) {
    // Catch up from the run's own events (by seq), not by scanning every
    // event of every run since `after`. Positions at or below `known` were
    // committed before this read began, so the catch-up has all of them;
    // following from there, anything up to `delivered` is a repeat.
    const std::int64_t known = journal.last_position();
    std::int64_t seq = 1;
    for (;;) {
      const std::vector<Event> page = journal.events(*request.run_id, seq, kRunPage);
      for (const Event& event : page) {
        if (event.position <= delivered) continue;
        if (!out.add(event)) return;
        delivered = event.position;
      }
      if (page.size() < kRunPage) break;
      seq = page.back().seq + 1;
    }
    if (!out.idle()) return;
    follow_from = std::max(request.after, known);
  }
  journal.follow(
      follow_from,
      [&](const Event& event) {
        if (request.run_id && event.run_id != *request.run_id) return !ctx.stopping.load();
        if (event.position <= delivered) return true;
        delivered = event.position;
        return out.add(event);
      },
      [&] { return out.idle(); }, ctx.config.stream_poll);
}

// Counts an open stream for as long as it lives.
struct StreamSlot {
  explicit StreamSlot(ServeContext& c) : ctx(c) {}
  ~StreamSlot() { --ctx.open_streams; }
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  ServeContext& ctx;
};

void get_stream(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const Params params(req, {"after", "run", "payloads"});
  auto request = std::make_shared<StreamRequest>();
  request->after = params.integer("after", 0, INT64_MAX).value_or(0);
  if (req.has_header("Last-Event-ID")) {
    const std::string id = req.get_header_value("Last-Event-ID");
    std::int64_t position = 0;
    const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), position);
    if (id.empty() || ec != std::errc() || ptr != id.data() + id.size() || position < 0) {
      throw ApiError(400, "bad_request", "Last-Event-ID must be an event position (a whole number)");
    }
    request->after = position;
  }
  request->run_id = params.text("run", 1024);
  request->payloads = params.flag("payloads", true);
  if (request->run_id) {
    const bool exists = ctx.journals->streams().run(*request->run_id).has_value();
    if (!exists) throw ApiError(404, "not_found", fmt::format("no run {}", *request->run_id));
  }
  if (++ctx.open_streams > ctx.config.max_streams) {
    --ctx.open_streams;
    throw ApiError(503, "too_many_streams",
                   fmt::format("{} event streams are open, the most this server keeps", ctx.config.max_streams));
  }
  auto slot = std::make_shared<StreamSlot>(ctx);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      // Exactly this type, no charset: it is the one cpp-httplib never
      // compresses. A compressor (gzip or brotli, for a browser that accepts
      // them) would hold events back until its buffer fills.
      "text/event-stream",
      [&ctx, request, slot](std::size_t, httplib::DataSink& sink) {
        StreamWriter out(ctx, sink, *request);
        try {
          stream(ctx, *request, out);
        } catch (const std::exception& e) {
          // The status line is long sent: say it in the stream, then end it.
          out.send(fmt::format("event: error\ndata: {}\n\n", dump({{"error", {{"message", e.what()}}}})));
        }
        sink.done();
        return true;
      },
      [slot](bool) {});
}

}  // namespace

void add_stream_route(httplib::Server& server, ServeContext& ctx) {
  server.Get("/api/stream",
             guarded([&ctx](const httplib::Request& req, httplib::Response& res) { get_stream(ctx, req, res); }));
}

}  // namespace runjournal::serve
