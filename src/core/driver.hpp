// driver.hpp — the driver object in event payloads, and whether a recorded
// driver is still alive. Pure functions: the projector uses the first two,
// recover() the last, with the world (processes, leases, the clock) passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/driver.hpp>

namespace runjournal::detail {

// The payload key under which run_created and run_resumed carry the driver.
inline constexpr const char* kDriverKey = "driver";

// {"host", "pid", "start_time", "boot_id"}: the driver as a payload value.
nlohmann::json driver_to_payload(const Driver& driver);
// The driver in `payload`["driver"]; std::nullopt when the key is missing or
// its value is not an object with a string host, an integer pid, an integer
// start_time and a string boot_id (a recorded event always replays).
std::optional<Driver> driver_from_payload(const nlohmann::json& payload);

// Whether a run_created / run_resumed payload lacks a driver, so that the
// journal adds its own.
bool needs_driver(std::string_view kind, const nlohmann::json& payload);

// Unix milliseconds of the system clock: what leases are measured on, since
// they are compared between processes and hosts (never the injectable
// event clock, which tests pin).
inline std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One host's heartbeat: it is alive until expires_at_ms (system clock).
struct Lease {
  std::string host;
  std::string boot_id;
  std::int64_t expires_at_ms = 0;
};

struct Verdict {
  bool alive = false;
  std::string why;  // for people: what was found
};

// What recover() knows of the world when it judges a driver.
struct World {
  Driver self;  // this process: its host and boot id say what "this host" is
  // The start time of process `pid` on this host now; nullopt when none runs.
  std::function<std::optional<std::int64_t>(std::int64_t pid)> start_time_of;
  std::vector<Lease> leases;
  std::int64_t now_ms = 0;  // system clock, as the leases
};

// Alive iff: on this host (same host name and boot id), a process with the
// recorded pid runs and has the recorded start time; on this host name with
// another boot id: never (the machine rebooted); on another host: that
// host's lease for the recorded boot id has not expired. No driver: gone.
Verdict judge_driver(const std::optional<Driver>& recorded, const World& world);

}  // namespace runjournal::detail
