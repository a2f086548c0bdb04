// pg_lease_store.cpp — hosts' heartbeat leases (driver_leases) on
// PostgreSQL (pg_stores.hpp).
#include "postgres/pg_stores.hpp"

namespace runjournal::detail {

// A lease is never shortened: two journals of one host may refresh it with
// different TTLs.
void PgLeaseStore::refresh(const std::string& host, const std::string& boot_id, std::int64_t expires_at_ms) {
  conn_.exec(
      "INSERT INTO driver_leases (host, boot_id, expires_at_ms) VALUES ($1, $2, $3) "
      "ON CONFLICT (host, boot_id) DO UPDATE SET expires_at_ms = "
      "GREATEST(driver_leases.expires_at_ms, excluded.expires_at_ms)",
      {host, boot_id, expires_at_ms});
}

std::vector<Lease> PgLeaseStore::load_all() {
  const pg::Result r = conn_.exec("SELECT host, boot_id, expires_at_ms FROM driver_leases ORDER BY host, boot_id");
  std::vector<Lease> leases;
  const int host = r.column("host"), boot_id = r.column("boot_id"), expires = r.column("expires_at_ms");
  for (int i = 0; i < r.rows(); ++i) {
    leases.push_back(Lease{std::string(r.text(i, host)), std::string(r.text(i, boot_id)), r.int64(i, expires)});
  }
  return leases;
}

}  // namespace runjournal::detail
