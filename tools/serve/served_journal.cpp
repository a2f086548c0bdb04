// served_journal.cpp — opening and lending the served Journals
// (served_journal.hpp says why they are opened all at once).
#include "served_journal.hpp"

#include <algorithm>

namespace runjournal::serve {
namespace {

Journal open_read_only(const std::filesystem::path& path) {
  Options options;
  options.read_only = true;
  return Journal::open(path, options);
}

}  // namespace

ServedJournals::ServedJournals(const std::filesystem::path& path, std::size_t readers) {
  for (std::size_t i = 0; i < std::max<std::size_t>(readers, 1); ++i) {
    readers_.push_back(std::make_unique<Journal>(open_read_only(path)));
    free_.push_back(readers_.back().get());
  }
  streams_ = std::make_unique<Journal>(open_read_only(path));
}

ServedJournals::Lease::Lease(ServedJournals& pool) : owner(pool) {
  std::unique_lock lock(owner.mu_);
  if (owner.free_.empty() || !owner.waiting_.empty()) {
    std::condition_variable turn;
    owner.waiting_.push_back(&turn);
    turn.wait(lock, [&] { return owner.waiting_.front() == &turn && !owner.free_.empty(); });
    owner.waiting_.pop_front();
    // Another Journal may be free as well: the next in line need not wait.
    if (!owner.waiting_.empty() && owner.free_.size() > 1) owner.waiting_.front()->notify_one();
  }
  journal = owner.free_.back();
  owner.free_.pop_back();
}

ServedJournals::Lease::~Lease() {
  std::lock_guard lock(owner.mu_);
  owner.free_.push_back(journal);
  if (!owner.waiting_.empty()) owner.waiting_.front()->notify_one();
}

}  // namespace runjournal::serve
