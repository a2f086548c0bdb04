// lease_store.hpp — every statement on the `driver_leases` table: the
// heartbeat leases by which runs driven from another host are judged
// (driver.hpp, docs/recovery.md).
//
// Functions of a connection the caller holds, inside the caller's
// transaction when it has one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "driver.hpp"

namespace runjournal::detail {

// Extends the lease of (host, boot_id) to `expires_at_ms`; a lease is never
// shortened (two journals of one host may refresh it with different TTLs).
void refresh_lease(SQLite::Database& db, const std::string& host, const std::string& boot_id,
                   std::int64_t expires_at_ms);

// Every lease, expired or not, by host and boot id.
std::vector<Lease> load_leases(SQLite::Database& db);

}  // namespace runjournal::detail
