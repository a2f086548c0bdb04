// page_cache.hpp — recently built /api/runs bodies, reused while the journal
// has not moved.
//
// Every open runs page fetches its page again after each burst of commits,
// so ten open tabs ask the same question ten times at once. A body is
// reused for the same request (path and query) while the journal's last
// position is what it was when the body was built, and for at most
// kPageCacheMaxAge: appends, the way runs change, always move the position;
// a prune, a rebuild or a catch-up by another process changes runs without
// moving it, and is seen within that age. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace runjournal::serve {

inline constexpr std::chrono::milliseconds kPageCacheMaxAge{1000};

class PageCache {
 public:
  explicit PageCache(std::size_t capacity = 64) : capacity_(capacity) {}

  // The body built for `key` at journal position `position`, if still good.
  std::shared_ptr<const std::string> find(const std::string& key, std::int64_t position);
  void store(const std::string& key, std::int64_t position, std::shared_ptr<const std::string> body);

 private:
  struct Entry {
    std::int64_t position;
    std::chrono::steady_clock::time_point built;
    std::shared_ptr<const std::string> body;
    std::list<std::string>::iterator age;  // its place in `order_`
  };
  std::size_t capacity_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::list<std::string> order_;  // least recently stored first
};

}  // namespace runjournal::serve
