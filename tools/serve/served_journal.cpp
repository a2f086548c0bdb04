// served_journal.cpp — opening the served journal (served_journal.hpp).
#include "served_journal.hpp"

namespace runjournal::serve {

Journal open_served_journal(const std::filesystem::path& path) {
  Options options;
  // Nothing is written, at open or ever: no migration, catch-up or lease,
  // and any write call would throw ErrorCode::ReadOnly. It also reads a
  // journal in a folder the server may not write, or one a newer runjournal
  // wrote that this one can still read.
  options.read_only = true;
  return Journal::open(path, options);
}

}  // namespace runjournal::serve
