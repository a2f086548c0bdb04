// follow.cpp — Journal::follow(): tailing the journal as it grows.
//
// The reading session's change counter (SQLite's PRAGMA data_version)
// changes when any other connection (another process, or this process's
// writer) commits to the journal. Reading it is cheap (no table is
// touched), so waiting is: read it, sleep a little, read it again; only when it moved are events read, from the last position
// seen, a page at a time. No read transaction is open while waiting (each
// read is its own implicit one), so a follower never holds back checkpoints.
//
// The version is read before the events: a commit that lands after the
// events were read then always shows as a new version, so nothing is missed.
#include <runjournal/journal.hpp>

#include <thread>

#include "core/journal_impl.hpp"

namespace runjournal {
namespace {

// Events read per page while catching up.
constexpr std::size_t kFollowPage = 1000;

}  // namespace

void Journal::follow(std::int64_t after_position, const std::function<bool(const Event&)>& visit,
                     const std::function<bool()>& keep_going, std::chrono::milliseconds poll) const {
  const auto data_version = [&] {
    return impl_->read("following the journal", [](detail::ReadSession& s) { return s.change_counter(); });
  };
  std::int64_t position = after_position;
  // Delivers every event after `position`; false when `visit` asked to stop.
  const auto catch_up = [&] {
    for (;;) {
      const std::vector<Event> page = events_after(position, kFollowPage);
      for (const Event& event : page) {
        if (!visit(event)) return false;
        position = event.position;
      }
      if (page.size() < kFollowPage) return true;
    }
  };
  std::int64_t seen = data_version();
  if (!catch_up()) return;
  for (;;) {
    if (keep_going && !keep_going()) return;
    std::this_thread::sleep_for(poll);
    const std::int64_t now = data_version();
    if (now == seen) continue;
    seen = now;
    if (!catch_up()) return;
  }
}

}  // namespace runjournal
