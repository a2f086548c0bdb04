// embedded_files.cpp — looking up the page's files by name, with the
// content type and validator the server sends them with.
#include "embedded_files.hpp"

#include <cstdint>
#include <map>

#include <fmt/format.h>

namespace runjournal::serve {
namespace {

std::string_view content_type_for(std::string_view name) {
  const auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  // Charset on every text type: the files are UTF-8, and a browser that
  // guessed another encoding could read bytes as markup.
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

// FNV-1a, 64 bits: a validator for If-None-Match, not a security hash (the
// bytes are the binary's own).
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

const std::map<std::string_view, Asset, std::less<>>& assets() {
  static const std::map<std::string_view, Asset, std::less<>> table = [] {
    std::map<std::string_view, Asset, std::less<>> map;
    for (const EmbeddedFile& file : embedded_files()) {
      map[file.name] = Asset{file.bytes, content_type_for(file.name), fmt::format("\"{:016x}\"", fnv1a(file.bytes))};
    }
    return map;
  }();
  return table;
}

}  // namespace

std::optional<Asset> find_asset(std::string_view name) {
  const auto& table = assets();
  const auto it = table.find(name);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

}  // namespace runjournal::serve
