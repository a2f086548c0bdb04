#include "sqlite/lease_store.hpp"

#include <SQLiteCpp/Statement.h>

namespace runjournal::detail {
namespace {

constexpr const char* kUpsertLease =
    "INSERT INTO driver_leases (host, boot_id, expires_at_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (host, boot_id) DO UPDATE SET expires_at_ms = max(expires_at_ms, excluded.expires_at_ms)";
constexpr const char* kSelectLeases =
    "SELECT host, boot_id, expires_at_ms FROM driver_leases ORDER BY host, boot_id";

}  // namespace

void SqliteLeaseStore::refresh(const std::string& host, const std::string& boot_id, std::int64_t expires_at_ms) {
  SQLite::Statement stmt(db_, kUpsertLease);
  stmt.bind(1, host);
  stmt.bind(2, boot_id);
  stmt.bind(3, expires_at_ms);
  stmt.exec();
}

std::vector<Lease> SqliteLeaseStore::load_all() {
  SQLite::Statement stmt(db_, kSelectLeases);
  std::vector<Lease> leases;
  while (stmt.executeStep()) {
    leases.push_back(Lease{stmt.getColumn("host").getString(), stmt.getColumn("boot_id").getString(),
                           stmt.getColumn("expires_at_ms").getInt64()});
  }
  return leases;
}

}  // namespace runjournal::detail
