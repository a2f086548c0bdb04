// journal_impl.hpp — Journal's private state, shared by the source files
// that implement Journal's methods (one concern a file).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include <runjournal/journal.hpp>

#include "core/backend.hpp"
#include "core/driver.hpp"
#include "core/event_input.hpp"
#include "core/writer.hpp"

namespace runjournal {
namespace detail {

// "run-" + a random (version 4, variant 1) UUID: a run's id by default.
std::string random_run_id();

}  // namespace detail

struct Journal::Impl {
  std::filesystem::path path;
  // The journal's storage; sessions are opened through it.
  std::unique_ptr<detail::Backend> backend;
  Options options;  // max_json_depth always set (Journal::open resolves it)
  // The process's writer for the file; null for a read-only Journal.
  std::shared_ptr<detail::Writer> writer;

  // The writer, for a call that writes (`what`, for the message); a
  // read-only Journal refuses with ErrorCode::ReadOnly before anything runs.
  detail::Writer& writable(std::string_view what) {
    if (!writer) {
      throw Error(ErrorCode::ReadOnly,
                  fmt::format("{}: the journal {} was opened read-only", what, path.string()));
    }
    return *writer;
  }

  // The reading session, opened on first read. One read at a time per Journal.
  std::mutex read_mu;
  std::unique_ptr<detail::ReadSession> reader;

  std::int64_t now() { return options.clock ? options.clock() : detail::system_clock_ms(); }

  // ---- run lifecycle (src/core/recovery.cpp) ----
  // The driver this Journal records for the runs it creates or resumes.
  Driver driver() const { return options.driver ? *options.driver : this_process_driver(); }
  // Appends one event and returns its run as committed.
  Run append_for_run(const NewEvent& event);

  // Checks every event of a batch (one timestamp for all); the first bad one
  // throws, named by its index.
  // Checks and encodes a batch; `Events` is a const vector (payloads
  // copied) or an rvalue one (payloads moved). The first refused event is
  // named by its batch index; `first` is the index of events[0] (a chunk of
  // a larger batch).
  template <class Events>
  std::vector<detail::PreparedEvent> prepare_batch(Events&& events, std::size_t first = 0) {
    std::vector<detail::PreparedEvent> batch;
    batch.reserve(events.size());
    const std::int64_t ts = now();
    for (std::size_t i = 0; i < events.size(); ++i) {
      try {
        if constexpr (std::is_const_v<std::remove_reference_t<Events>>) {
          batch.push_back(detail::prepare_event(events[i], options, ts));
        } else {
          batch.push_back(detail::prepare_event(std::move(events[i]), options, ts));
        }
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("event {}: {}", first + i, e.what()), first + i);
      }
    }
    return batch;
  }

  // Runs `fn(session)` on the reading session under its lock, the
  // backend's errors translated (their message starts with `what`).
  template <class Fn>
  auto read(std::string_view what, Fn&& fn) {
    std::lock_guard lock(read_mu);
    if (!reader) reader = backend->open_reader();
    detail::ReadSession& session = *reader;
    return detail::guarded(session, what, [&] { return fn(session); });
  }
};

}  // namespace runjournal
