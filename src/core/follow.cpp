// follow.cpp — Journal::follow(): tailing the journal as it grows.
//
// The reading session's change counter (SQLite's PRAGMA data_version, the
// counter row's xmin on PostgreSQL) changes when any other connection
// (another process, or this process's writer) commits to the journal.
// Reading it is cheap (no table is touched), so waiting is: read it, wait a
// little, read it again; only when it moved are events read, from the last
// position seen, a page at a time. No read transaction is open while
// waiting (each read is its own implicit one), so a follower never holds
// back checkpoints or vacuum.
//
// "Wait a little" is a sleep of `poll`, unless the backend has a change
// listener (PostgreSQL: LISTEN on a connection of its own, woken by the
// NOTIFY every commit that writes events sends). Then the wait ends as soon
// as a commit lands, and `poll` is only how often keep_going is asked and
// the counter read anyway. A listener whose connection fails is dropped and
// the follower polls; it tries to listen again every kRelisten.
//
// The version is read before the events: a commit that lands after the
// events were read then always shows as a new version, so nothing is
// missed. The listener is opened before the first version is read, for the
// same reason.
#include <runjournal/journal.hpp>

#include <thread>

#include "core/journal_impl.hpp"

namespace runjournal {
namespace {

// Events read per page while catching up.
constexpr std::size_t kFollowPage = 1000;
// How long a follower whose listener failed polls before listening again.
constexpr std::chrono::seconds kRelisten{1};

// The backend's listener, or nullptr: the backend has none, or it cannot be
// opened now (`failed`; polling is the fallback, never an error of follow()).
std::unique_ptr<detail::ChangeListener> try_listen(detail::Backend& backend, bool& failed) {
  try {
    failed = false;
    return backend.open_change_listener();
  } catch (const Error&) {
    failed = true;
    return nullptr;
  }
}

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
  detail::Backend& backend = *impl_->backend;
  bool failed = false;
  std::unique_ptr<detail::ChangeListener> listener = try_listen(backend, failed);
  // A backend that has a listener, even one that cannot be reached now.
  const bool can_listen = listener != nullptr || failed;
  auto relisten_at = failed ? std::chrono::steady_clock::now() + kRelisten
                            : std::chrono::steady_clock::time_point::max();
  // Waits for a commit, at most `poll`.
  const auto wait = [&] {
    if (!listener && can_listen && std::chrono::steady_clock::now() >= relisten_at) {
      listener = try_listen(backend, failed);
      // Listening again opens a window in which a commit may have landed
      // unheard: the counter is read after this wait in any case.
      if (listener) return;
      relisten_at = std::chrono::steady_clock::now() + kRelisten;
    }
    if (listener) {
      try {
        listener->wait(poll);
        return;
      } catch (const Error&) {
        listener.reset();
        relisten_at = std::chrono::steady_clock::now() + kRelisten;
      }
    }
    std::this_thread::sleep_for(poll);
  };
  std::int64_t seen = data_version();
  if (!catch_up()) return;
  for (;;) {
    if (keep_going && !keep_going()) return;
    wait();
    const std::int64_t now = data_version();
    if (now == seen) continue;
    seen = now;
    if (!catch_up()) return;
  }
}

}  // namespace runjournal
