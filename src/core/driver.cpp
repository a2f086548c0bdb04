// The driver record and its liveness verdict (driver.hpp).
//
// Why a start time and a boot id beside the pid: pids are reused, quickly on
// a busy machine, so "a process with this pid exists" alone would keep a
// dead run looking alive forever once its pid came round again. The start
// time (clock ticks after boot) tells two owners of one pid apart; it is
// only comparable within one boot, hence the boot id.
#include "core/driver.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "core/projector.hpp"

namespace runjournal::detail {

nlohmann::json driver_to_payload(const Driver& driver) {
  return {{"host", driver.host}, {"pid", driver.pid}, {"start_time", driver.start_time}, {"boot_id", driver.boot_id}};
}

std::optional<Driver> driver_from_payload(const nlohmann::json& payload) {
  if (!payload.is_object()) return std::nullopt;
  auto it = payload.find(kDriverKey);
  if (it == payload.end() || !it->is_object()) return std::nullopt;
  const nlohmann::json& d = *it;
  const auto host = d.find("host");
  const auto pid = d.find("pid");
  const auto start = d.find("start_time");
  const auto boot = d.find("boot_id");
  if (host == d.end() || !host->is_string() || pid == d.end() || !pid->is_number_integer() ||
      start == d.end() || !start->is_number_integer() || boot == d.end() || !boot->is_string()) {
    return std::nullopt;
  }
  // An unsigned value past int64 is not a pid nor a tick count: no driver.
  if ((pid->is_number_unsigned() && pid->get<std::uint64_t>() > INT64_MAX) ||
      (start->is_number_unsigned() && start->get<std::uint64_t>() > INT64_MAX)) {
    return std::nullopt;
  }
  return Driver{host->get<std::string>(), pid->get<std::int64_t>(), start->get<std::int64_t>(),
                boot->get<std::string>()};
}

bool needs_driver(std::string_view kind, const nlohmann::json& payload) {
  const KindClass kind_class = classify_kind(kind);
  if (kind_class != KindClass::RunCreated && kind_class != KindClass::RunResumed) return false;
  return payload.is_object() && !payload.contains(kDriverKey);
}

Verdict judge_driver(const std::optional<Driver>& recorded, const World& world) {
  if (!recorded) return {false, "no driver recorded"};
  const Driver& d = *recorded;
  if (d.host == world.self.host) {
    if (d.boot_id != world.self.boot_id) {
      return {false, fmt::format("host {} rebooted since pid {} drove it", d.host, d.pid)};
    }
    const std::optional<std::int64_t> start = world.start_time_of ? world.start_time_of(d.pid) : std::nullopt;
    if (!start) return {false, fmt::format("process {} on {} has exited", d.pid, d.host)};
    if (*start != d.start_time) {
      return {false, fmt::format("process {} on {} has exited; the pid now belongs to another process", d.pid,
                                 d.host)};
    }
    return {true, fmt::format("process {} on {} is running", d.pid, d.host)};
  }
  for (const Lease& lease : world.leases) {
    if (lease.host != d.host || lease.boot_id != d.boot_id) continue;
    if (lease.expires_at_ms > world.now_ms) {
      return {true, fmt::format("host {} holds a heartbeat lease for {} ms more", d.host,
                                lease.expires_at_ms - world.now_ms)};
    }
    return {false, fmt::format("host {}'s heartbeat lease expired {} ms ago", d.host,
                               world.now_ms - lease.expires_at_ms)};
  }
  return {false, fmt::format("host {} holds no heartbeat lease", d.host)};
}

}  // namespace runjournal::detail
