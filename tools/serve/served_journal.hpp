// served_journal.hpp — the Journals the server reads through.
//
// A Journal serialises its reads on its one reader connection, so the
// server keeps a few, lends one to each request, and gives the event
// streams one of their own (follow() holds no lock while it waits, so every
// stream can follow on it). All of them are read-only (Options::read_only):
// nothing is ever written. Only the public runjournal::Journal API is used,
// so the server serves any journal the library can open.
//
// They are all opened together, before the first read, and never again
// while the server runs. Journal::open reads the file's header through a
// file descriptor of its own; closing it drops every POSIX lock this process
// holds on the file (SQLite's "How To Corrupt", 2.2). A read-only Journal
// holds no connection until its first read, so opening them all first loses
// nothing; a Journal opened later would strip the readers' locks, another
// process's last close would then take itself for the last connection and
// delete the WAL the server reads, and no later commit would reach it (the
// stream tests failed that way).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <runjournal/journal.hpp>

namespace runjournal::serve {

class ServedJournals {
 public:
  // Opens `readers` Journals for requests (at least one) and one for
  // streams. Throws what Journal::open throws (NotFound for a missing file).
  ServedJournals(const std::filesystem::path& path, std::size_t readers);

  // Runs `fn(journal)` on a Journal no other request holds meanwhile,
  // waiting for one to be free, first come first served (with fifty
  // requests waiting, an unfair wake-up order is what the slowest see).
  // Thread-safe.
  template <class Fn>
  decltype(auto) with(Fn&& fn) {
    Lease lease(*this);
    return std::forward<Fn>(fn)(static_cast<const Journal&>(*lease.journal));
  }

  // The Journal every stream follows on (thread-safe, shared).
  const Journal& streams() const noexcept { return *streams_; }

 private:
  struct Lease {
    explicit Lease(ServedJournals& owner);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ServedJournals& owner;
    Journal* journal;
  };

  std::vector<std::unique_ptr<Journal>> readers_;
  std::unique_ptr<Journal> streams_;
  std::vector<Journal*> free_;
  // Requests waiting for a Journal, in arrival order; a release wakes the
  // first only (waking all of them would cost more than the reads).
  std::deque<std::condition_variable*> waiting_;
  std::mutex mu_;
};

}  // namespace runjournal::serve
