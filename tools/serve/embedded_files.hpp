// embedded_files.hpp — the web page's files, compiled into the binary.
//
// cmake/EmbedAssets.cmake turns every file under tools/serve/assets/ into a
// byte array at build time, so `runjournal serve` reads no file at run time
// and a page never differs from the binary that serves it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runjournal::serve {

struct EmbeddedFile {
  std::string_view name;   // its path under tools/serve/assets/, e.g. "app.js"
  std::string_view bytes;  // its whole content; static storage
};

// Every embedded file, in the order CMake listed them. Generated.
const std::vector<EmbeddedFile>& embedded_files();

// An embedded file as the server sends it.
struct Asset {
  std::string_view bytes;
  std::string_view content_type;  // from the name's extension
  std::string etag;               // a quoted hash of the bytes
};

// The asset called `name`; std::nullopt when there is none.
std::optional<Asset> find_asset(std::string_view name);

}  // namespace runjournal::serve
