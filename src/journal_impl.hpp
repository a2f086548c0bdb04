// journal_impl.hpp — Journal's private state, shared by the source files
// that implement Journal's methods (one concern a file).
#pragma once

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include <SQLiteCpp/Database.h>

#include <runjournal/journal.hpp>

#include "connection.hpp"
#include "event_input.hpp"
#include "event_store.hpp"
#include "run_store.hpp"
#include "sqlite_util.hpp"
#include "writer.hpp"

namespace runjournal {
namespace detail {

inline std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace detail

struct Journal::Impl {
  std::filesystem::path path;
  Options options;
  std::shared_ptr<detail::Writer> writer;

  // The reader connection, opened on first read. One at a time per Journal.
  std::mutex read_mu;
  std::unique_ptr<SQLite::Database> reader;
  std::unique_ptr<detail::EventStore> reader_events;
  std::unique_ptr<detail::RunStore> reader_runs;

  std::int64_t now() { return options.clock ? options.clock() : detail::system_clock_ms(); }

  // ---- run lifecycle (src/recovery.cpp) ----
  // The driver this Journal records for the runs it creates or resumes.
  Driver driver() const { return options.driver ? *options.driver : this_process_driver(); }
  // This host's heartbeat lease: refreshed by heartbeat(), and before a
  // synchronous write once `lease_due_ms` (system clock) has passed. Done before the write,
  // in its own short transaction, so a failure to refresh fails the write
  // before it wrote anything.
  std::mutex lease_mu;
  std::int64_t lease_due_ms = 0;
  void refresh_lease(bool only_if_due);
  // Appends one event (refreshing the lease first if due) and returns its
  // run as committed.
  Run append_for_run(const NewEvent& event);

  // Checks every event of a batch (one timestamp for all); the first bad one
  // throws, named by its index.
  // Checks and encodes a batch; `Events` is a const vector (payloads
  // copied) or an rvalue one (payloads moved). A refusal names the event
  // (the first one refused). A large batch is encoded on every core, in
  // contiguous slices: each event's check and JSON text are its own.
  // `first` is the batch index of events[0] (a chunk of a larger batch).
  template <class Events>
  std::vector<detail::PreparedEvent> prepare_batch(Events&& events, std::size_t first = 0) {
    constexpr bool kMove = !std::is_const_v<std::remove_reference_t<Events>>;
    constexpr std::size_t kMinSlice = 4096;  // below this a thread costs more than it saves
    std::vector<detail::PreparedEvent> batch(events.size());
    const std::int64_t ts = now();
    const std::size_t slices = std::clamp<std::size_t>(
        events.size() / kMinSlice, 1, std::max(1U, std::thread::hardware_concurrency()));
    std::vector<std::exception_ptr> failures(slices);
    const auto prepare_slice = [&](std::size_t slice) {
      const std::size_t begin = events.size() * slice / slices;
      const std::size_t end = events.size() * (slice + 1) / slices;
      for (std::size_t i = begin; i < end; ++i) {
        try {
          if constexpr (kMove) {
            batch[i] = detail::prepare_event(std::move(events[i]), options, ts);
          } else {
            batch[i] = detail::prepare_event(events[i], options, ts);
          }
        } catch (const Error& e) {
          failures[slice] =
              std::make_exception_ptr(Error(e.code(), fmt::format("event {}: {}", first + i, e.what()), first + i));
          return;
        } catch (...) {
          failures[slice] = std::current_exception();
          return;
        }
      }
    };
    std::vector<std::thread> workers;
    for (std::size_t slice = 1; slice < slices; ++slice) workers.emplace_back(prepare_slice, slice);
    prepare_slice(0);
    for (std::thread& worker : workers) worker.join();
    for (const std::exception_ptr& failure : failures) {
      if (failure) std::rethrow_exception(failure);
    }
    return batch;
  }

  // Runs `fn(db, events, runs)` on the reader under its lock.
  template <class Fn>
  decltype(auto) read(std::string_view what, Fn&& fn) {
    std::lock_guard lock(read_mu);
    return detail::translate_errors(what, [&]() -> decltype(auto) {
      if (!reader) {
        reader = detail::open_reader(path, options.busy_timeout, options.vfs);
        reader_events = std::make_unique<detail::EventStore>(*reader);
        reader_runs = std::make_unique<detail::RunStore>(*reader);
      }
      return fn(*reader, *reader_events, *reader_runs);
    });
  }
};

}  // namespace runjournal
