// recovery.hpp — what recovery.cpp and lifecycle.cpp share: a run's live
// checkpoint as the API shows it, and the world a driver is judged against.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <runjournal/lifecycle.hpp>
#include <runjournal/run.hpp>

#include "core/driver.hpp"

namespace runjournal::detail {

// The run's live checkpoint (runs.checkpoint), or std::nullopt.
std::optional<Checkpoint> checkpoint_of(const Run& run);

// The world as this machine sees it now: this host (this process's host
// name and boot id, whatever Options::driver says) through /proc, other
// hosts through `leases`, at the system clock's now.
World world_now(std::vector<Lease> leases);

}  // namespace runjournal::detail
