// The Journal facade: options, clock and ids, input checks, and the
// reading session. Writes go to the process's Writer for the journal;
// reads go through this Journal's own reading session.
#include <runjournal/journal.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

#include <fmt/format.h>
#include <fmt/std.h>

#include "core/backend.hpp"
#include "core/event_input.hpp"
#include "core/journal_impl.hpp"
#include "core/json_text.hpp"
#include "core/replay.hpp"
#include "core/writer.hpp"

namespace runjournal {

#ifndef RUNJOURNAL_VERSION
#define RUNJOURNAL_VERSION "0.0.0"
#endif

std::string_view version() noexcept { return RUNJOURNAL_VERSION; }

namespace detail {

// "run-" + a random (version 4, variant 1) UUID.
std::string random_run_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> dist;
  std::uint64_t hi = dist(rng);
  std::uint64_t lo = dist(rng);
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 1
  return fmt::format("run-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                     lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

}  // namespace detail

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::Journal(Journal&&) noexcept = default;
Journal& Journal::operator=(Journal&&) noexcept = default;
Journal::~Journal() = default;

Journal Journal::open(const std::filesystem::path& path, Options options) {
  // Every stored payload must stay readable by the SQL functions (and no
  // recursion over a value may run past kMaxStoredDepth).
  const std::size_t deepest = std::min(sqlite_json_max_depth(), detail::kMaxStoredDepth);
  if (!options.max_json_depth) options.max_json_depth = deepest;
  if (*options.max_json_depth < 1 || *options.max_json_depth > deepest) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("Options::max_json_depth {} is out of range: 1 to {} (the deepest this SQLite's JSON "
                            "functions read)",
                            *options.max_json_depth, deepest));
  }
  // The inspecting connection stays open until the Journal has one of its
  // own: the writer's, or for a read-only Journal the reader's (held by the
  // backend until then). Closed first, it would leave the file with
  // no connection for an instant, and the next one would rebuild the WAL
  // index (-shm) as the first connection must; a rebuild holds the WAL's
  // exclusive locks, and a reader that starts meanwhile without a busy
  // handler, the stock sqlite3 shell, fails (docs/sql.md). One rebuild per
  // process at most, not two.
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->backend = detail::open_backend(path, options);
  impl->options = std::move(options);
  if (!impl->options.read_only) impl->writer = detail::Writer::acquire(*impl->backend, impl->options);
  return Journal(std::move(impl));
}

const std::filesystem::path& Journal::path() const noexcept { return impl_->path; }

std::size_t Journal::max_json_depth() const noexcept { return *impl_->options.max_json_depth; }

bool Journal::read_only() const noexcept { return impl_->writer == nullptr; }

Run Journal::create_run(const NewRun& run) {
  const std::string run_id = run.run_id ? *run.run_id
                             : impl_->options.id_generator ? impl_->options.id_generator()
                                                           : detail::random_run_id();
  detail::require_id(run.session_id, "session id");
  detail::require_utf8(run.prompt, "prompt");
  detail::require_caller_json(run.inputs, "inputs", impl_->options, 1);
  detail::require_caller_json(run.metadata, "metadata", impl_->options, 1);
  nlohmann::json payload = {{"session_id", run.session_id}, {"prompt", run.prompt}};
  if (!run.inputs.is_null()) payload["inputs"] = run.inputs;
  if (!run.metadata.is_null()) payload["metadata"] = run.metadata;
  if (run.agent_spec_digest) payload["agent_spec_digest"] = *run.agent_spec_digest;
  if (run.git_sha) payload["git_sha"] = *run.git_sha;
  std::vector<detail::PreparedEvent> batch;
  batch.push_back(detail::prepare_event(NewEvent{run_id, "run_created", std::move(payload), {}}, impl_->options,
                                        impl_->now()));
  if (run.exclusive) batch.back().exclusive_session = run.session_id;
  detail::BatchResult result = impl_->writable("create_run").append(std::move(batch), detail::WithRuns::Yes);
  return std::move(result.runs.front());
}

Event Journal::append(const std::string& run_id, const std::string& kind, const nlohmann::json& payload,
                      const AppendOptions& options) {
  std::vector<detail::PreparedEvent> batch;
  detail::Writer& writer = impl_->writable("append");
  batch.push_back(detail::prepare_event(run_id, kind, payload, options, impl_->options, impl_->now()));
  return std::move(writer.append(std::move(batch)).events.front());
}

std::vector<Event> Journal::append_batch(const std::vector<NewEvent>& events) {
  detail::Writer& writer = impl_->writable("append_batch");
  std::vector<detail::PreparedEvent> batch = impl_->prepare_batch(events);
  if (batch.empty()) return {};
  return std::move(writer.append(std::move(batch)).events);
}

std::vector<Event> Journal::append_batch(std::vector<NewEvent>&& events) {
  detail::Writer& writer = impl_->writable("append_batch");
  std::vector<detail::PreparedEvent> batch = impl_->prepare_batch(std::move(events));
  if (batch.empty()) return {};
  return std::move(writer.append(std::move(batch)).events);
}

std::vector<Event> Journal::append_batch_chunked(const std::function<bool(std::vector<NewEvent>& chunk)>& next) {
  std::vector<NewEvent> chunk;
  detail::BatchResult result =
      impl_->writable("append_batch_chunked").append_chunked([&](std::vector<detail::PreparedEvent>& out, std::size_t first) {
        chunk.clear();
        if (!next(chunk)) return false;
        out = impl_->prepare_batch(std::move(chunk), first);
        return true;
      });
  return std::move(result.events);
}

std::future<Event> Journal::append_async(const std::string& run_id, const std::string& kind,
                                        const nlohmann::json& payload, const AppendOptions& options) {
  detail::Writer& writer = impl_->writable("append_async");
  std::vector<detail::PreparedEvent> batch;
  batch.push_back(detail::prepare_event(run_id, kind, payload, options, impl_->options, impl_->now()));
  auto promise = std::make_shared<std::promise<Event>>();
  std::future<Event> result = promise->get_future();
  writer.append_async(
      std::move(batch), [promise](detail::BatchResult&& r) { promise->set_value(std::move(r.events.front())); },
      [promise](std::exception_ptr e) { promise->set_exception(std::move(e)); });
  return result;
}

std::future<std::vector<Event>> Journal::append_batch_async(const std::vector<NewEvent>& events) {
  detail::Writer& writer = impl_->writable("append_batch_async");
  auto promise = std::make_shared<std::promise<std::vector<Event>>>();
  std::future<std::vector<Event>> result = promise->get_future();
  std::vector<detail::PreparedEvent> batch = impl_->prepare_batch(events);
  if (batch.empty()) {
    promise->set_value({});
    return result;
  }
  writer.append_async(
      std::move(batch), [promise](detail::BatchResult&& r) { promise->set_value(std::move(r.events)); },
      [promise](std::exception_ptr e) { promise->set_exception(std::move(e)); });
  return result;
}

std::optional<Run> Journal::run(const std::string& run_id) const {
  return impl_->read("reading a run", [&](detail::ReadSession& s) { return s.runs().load(run_id); });
}

std::vector<Run> Journal::runs(const RunFilter& filter, const Page& page) const {
  return impl_->read("listing runs", [&](detail::ReadSession& s) { return s.runs().list(filter, page); });
}

std::vector<Event> Journal::events(const std::string& run_id, std::int64_t from_seq, std::size_t limit) const {
  return impl_->read("reading events", [&](detail::ReadSession& s) {
    return s.events().by_run(run_id, from_seq, limit);
  });
}

std::vector<Event> Journal::events_after(std::int64_t after_position, std::size_t limit) const {
  return impl_->read("reading events", [&](detail::ReadSession& s) {
    return s.events().after(after_position, limit);
  });
}

void Journal::scan(std::int64_t after_position, const std::function<bool(const Event&)>& visit,
                   std::size_t page_size) const {
  if (page_size == 0) throw Error(ErrorCode::InvalidArgument, "scan page size is 0");
  std::int64_t position = after_position;
  for (;;) {
    // Each page is its own short read: no snapshot is held while `visit` runs.
    const std::vector<Event> page = events_after(position, page_size);
    for (const Event& event : page) {
      if (!visit(event)) return;
      position = event.position;
    }
    if (page.size() < page_size) return;
  }
}

std::vector<Run> Journal::runs_as_of(std::int64_t position) const {
  return impl_->read("projecting runs as of a position", [&](detail::ReadSession& s) {
    detail::Snapshot snapshot(s);
    return detail::project_as_of(s.events(), position);
  });
}

std::int64_t Journal::last_position() const {
  return impl_->read("reading the last position",
                     [&](detail::ReadSession& s) { return s.events().max_position(); });
}

RebuildReport Journal::rebuild(const Progress& progress) { return impl_->writable("rebuild").rebuild(progress); }

VerifyReport Journal::verify(const Progress& progress) const {
  return impl_->read("verify", [&](detail::ReadSession& s) {
    detail::Snapshot snapshot(s);
    const detail::Meta meta = s.meta().load();
    return detail::verify_projection(s, meta, progress);
  });
}

}  // namespace runjournal
