// runjournal/driver.hpp — the process that drives a run.
//
// The journal records, in the payload of a run's `run_created` and
// `run_resumed` events, which process drives the run: its host name, its pid,
// the process's start time and the machine's boot id. The start time and the
// boot id are what make the record unambiguous: a pid reused by a later
// process has another start time, and after a reboot every boot id changes.
// `recover()` (journal.hpp, docs/recovery.md) uses the record to tell the
// runs whose driver is gone from those whose driver still works on them.
//
// Linux only: identities are read from /proc. Values of this type are plain
// data, safe to copy and to use from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace runjournal {

struct Driver {
  std::string host;             // gethostname() of the driving machine
  std::int64_t pid = 0;         // the process id on that machine
  std::int64_t start_time = 0;  // /proc/PID/stat field 22: clock ticks after boot
  std::string boot_id;          // /proc/sys/kernel/random/boot_id of that boot

  friend bool operator==(const Driver&, const Driver&) = default;
};

// The calling process. Read once per process and cached (a process's
// identity never changes). When /proc cannot be read the start time is 0
// and the boot id empty; such a driver is judged by its pid alone.
Driver this_process_driver();

// The process `pid` on this machine as it is now; std::nullopt when no such
// process exists (or /proc cannot tell).
std::optional<Driver> process_driver(std::int64_t pid);

}  // namespace runjournal
