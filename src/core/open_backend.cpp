// open_backend.cpp — which backend a journal location names: a
// postgresql:// or postgres:// URI is a PostgreSQL journal (when runjournal
// is built with RUNJOURNAL_POSTGRES), anything else a SQLite file.
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/backend.hpp"
#include "sqlite/sqlite_backend.hpp"
#ifdef RUNJOURNAL_WITH_POSTGRES
#include "postgres/pg_backend.hpp"
#endif

namespace runjournal::detail {

bool is_postgres_location(std::string_view location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Backend> open_backend(const std::filesystem::path& location, const Options& options) {
  const std::string text = location.string();
  if (is_postgres_location(text)) {
#ifdef RUNJOURNAL_WITH_POSTGRES
    return open_pg_backend(text, options);
#else
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("{} names a PostgreSQL journal, but this runjournal was built without PostgreSQL "
                            "(configure with -DRUNJOURNAL_POSTGRES=ON and libpq-dev installed)",
                            text.substr(0, text.find("://") + 3) + "…"));
#endif
  }
  return open_sqlite_backend(location, options);
}

}  // namespace runjournal::detail
