// lease_store.hpp — every statement on the `driver_leases` table: the
// heartbeat leases by which runs driven from another host are judged
// (driver.hpp, docs/recovery.md).
//
// Bound to a connection the caller holds; works inside the caller's
// transaction when it has one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "core/stores.hpp"

namespace runjournal::detail {

class SqliteLeaseStore final : public LeaseStore {
 public:
  explicit SqliteLeaseStore(SQLite::Database& db) : db_(db) {}
  void refresh(const std::string& host, const std::string& boot_id, std::int64_t expires_at_ms) override;
  std::vector<Lease> load_all() override;

 private:
  SQLite::Database& db_;
};

}  // namespace runjournal::detail
