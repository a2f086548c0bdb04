// served_journal.cpp — opening the served journal (served_journal.hpp).
#include "served_journal.hpp"

namespace runjournal::serve {

Journal open_served_journal(const std::filesystem::path& path) {
  Options options;
  options.create_if_missing = false;
  // TODO(issue 11): open read-only once the library has a read-only open.
  // Until then no route writes (server.hpp), but Journal::open itself may
  // migrate or catch up the file, as any open for writing does.
  return Journal::open(path, options);
}

bool opens_read_only() noexcept { return false; }

}  // namespace runjournal::serve
