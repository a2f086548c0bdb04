// runjournal/options.hpp — how a Journal opens its journal: durability,
// limits on input, clocks and ids, the driver it records, its lease.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <runjournal/driver.hpp>

namespace runjournal {

enum class Durability {
  Full,    // synchronous=FULL: every commit is flushed; survives power loss
  Normal,  // synchronous=NORMAL: survives a process crash, not a power loss
};

struct Options {
  // Create and initialise the file when it is missing or empty. With false,
  // a missing or empty file is ErrorCode::NotFound and nothing is written.
  // Ignored with read_only.
  bool create_if_missing = true;
  // Open for reading only: nothing is written, at open or ever (no
  // migration, rebuild or catch-up, not even bookkeeping), and every write
  // call throws ErrorCode::ReadOnly. Works on a journal this process may
  // not write (a read-only file or folder: docs/guarantees.md, "Reading")
  // and on one written by a newer runjournal whose compatible version this
  // one knows. A missing or empty file is ErrorCode::NotFound. Reads see
  // `runs` as stored: one that lags its events (inserted by another
  // program) is not caught up, and verify() says so.
  bool read_only = false;
  Durability durability = Durability::Full;
  // Limits on one event; larger input is ErrorCode::InvalidArgument.
  std::size_t max_payload_bytes = 1024 * 1024;  // of the payload as compact JSON
  std::size_t max_kind_bytes = 256;
  // The deepest a JSON value may nest in a payload (or in run inputs,
  // outputs, metadata and checkpoint states, which payloads carry): {} is
  // depth 1, {"a": []} depth 2. Deeper input is ErrorCode::InvalidArgument
  // naming the limit, refused while it is parsed (parse_json) or, for a
  // value built in memory, before anything is written. Default: the deepest
  // the linked SQLite's JSON functions accept (sqlite_json_max_depth()), so
  // every stored payload stays queryable with SQL; a larger value is
  // refused at open (InvalidArgument).
  std::optional<std::size_t> max_json_depth;
  // How long a write waits for another process's lock before ErrorCode::Busy.
  std::chrono::milliseconds busy_timeout{10'000};
  // Unix milliseconds for new events. Default: the system clock.
  std::function<std::int64_t()> clock;
  // Ids for runs created without one. Default: "run-" + a random UUID v4.
  std::function<std::string()> id_generator;
  // The SQLite VFS to open the file through, by registered name; empty for
  // the default. Meant for fault-injection tests.
  std::string vfs;
  // The driver recorded in every run_created and run_resumed this Journal
  // writes whose payload has no "driver" key (create_run, append, batches,
  // resume_run). Default: this process (this_process_driver()). The command
  // line passes its parent process here.
  std::optional<Driver> driver;
  // How long this host's heartbeat lease (recover(), docs/recovery.md) stays
  // valid after a write or a heartbeat() refreshes it.
  std::chrono::milliseconds lease_ttl{30'000};
};

}  // namespace runjournal
