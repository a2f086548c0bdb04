// page_cache.cpp — reusing /api/runs bodies (page_cache.hpp says when).
#include "page_cache.hpp"

namespace runjournal::serve {

std::shared_ptr<const std::string> PageCache::find(const std::string& key, std::int64_t position) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const Entry& entry = it->second;
  if (entry.position != position || std::chrono::steady_clock::now() - entry.built > kPageCacheMaxAge) {
    return nullptr;
  }
  return entry.body;
}

void PageCache::store(const std::string& key, std::int64_t position, std::shared_ptr<const std::string> body) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it != entries_.end()) {
    order_.erase(it->second.age);
    entries_.erase(it);
  }
  if (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(key);
  entries_.emplace(key, Entry{position, std::chrono::steady_clock::now(), std::move(body), std::prev(order_.end())});
}

}  // namespace runjournal::serve
