// open_backend.cpp — which backend a journal location names. Today every
// location is a SQLite file; a URI scheme will choose another backend here.
#include "core/backend.hpp"
#include "sqlite/sqlite_backend.hpp"

namespace runjournal::detail {

std::unique_ptr<Backend> open_backend(const std::filesystem::path& location, const Options& options) {
  return open_sqlite_backend(location, options);
}

}  // namespace runjournal::detail
