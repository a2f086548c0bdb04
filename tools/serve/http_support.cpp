// http_support.cpp — errors, headers and parameters shared by every route.
#include "http_support.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "embedded_files.hpp"
#include "otlp/sha256.hpp"  // the library's SHA-256 (src/otlp), for the CSP hash

namespace runjournal::serve {
namespace {

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF): a
// parameter is text a person typed, and the library refuses anything else.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3Fu);
    }
    const std::uint32_t min = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace

int status_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::NotFound: return 404;
    case ErrorCode::InvalidArgument: return 400;
    case ErrorCode::TimedOut: return 422;
    case ErrorCode::Busy: return 503;
    default: return 500;
  }
}

std::string dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view code_for_status(int status) noexcept {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 416: return "range_not_satisfiable";
    case 431: return "headers_too_large";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "bad_request";
  }
}

std::string_view message_for_status(int status) noexcept {
  switch (status) {
    case 400: return "malformed request";
    case 404: return "no such page or endpoint";
    case 413: return "request body too large (no endpoint takes one)";
    case 414: return "request line longer than 8 KiB";
    case 416: return "range not satisfiable";
    case 431: return "request headers too large";
    default: return status >= 500 ? "the server failed" : "request refused";
  }
}

void set_body(httplib::Response& res, std::string body, const std::string& content_type) {
  set_shared_body(res, std::make_shared<const std::string>(std::move(body)), content_type);
}

void set_shared_body(httplib::Response& res, std::shared_ptr<const std::string> body, const std::string& content_type) {
  res.body.clear();
  const std::size_t size = body->size();
  res.set_content_provider(size, content_type,
                           [body = std::move(body)](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             return sink.write(body->data() + offset, length);
                           });
}

void set_static_body(httplib::Response& res, std::string_view bytes, const std::string& content_type) {
  res.body.clear();
  res.set_content_provider(bytes.size(), content_type,
                           [bytes](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             return sink.write(bytes.data() + offset, length);
                           });
}

bool has_body(const httplib::Response& res) noexcept {
  // content_provider_ is a public member cpp-httplib documents as private;
  // reading it is the only way to know a provider was set.
  return !res.body.empty() || static_cast<bool>(res.content_provider_);
}

void set_error(httplib::Response& res, int status, std::string_view code, std::string_view message) {
  res.status = status;
  const nlohmann::json body = {{"error", {{"status", status}, {"code", code}, {"message", message}}}};
  res.set_header("Cache-Control", "no-store");
  set_body(res, dump(body), "application/json; charset=utf-8");
}

void set_json(httplib::Response& res, const nlohmann::json& json) {
  res.set_header("Cache-Control", "no-store");
  set_body(res, dump(json), "application/json; charset=utf-8");
}

std::string json_for_html(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (const char c : json) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

std::string csp_hash_source(std::string_view text) {
  static constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::array<std::uint8_t, 32> digest = detail::sha256(text);
  std::string out = "'sha256-";
  for (std::size_t i = 0; i < digest.size(); i += 3) {
    const bool second = i + 1 < digest.size(), third = i + 2 < digest.size();
    const std::uint32_t bits = std::uint32_t{digest[i]} << 16 | (second ? std::uint32_t{digest[i + 1]} << 8 : 0) |
                               (third ? std::uint32_t{digest[i + 2]} : 0);
    out += kBase64[bits >> 18 & 63];
    out += kBase64[bits >> 12 & 63];
    out += second ? kBase64[bits >> 6 & 63] : '=';
    out += third ? kBase64[bits & 63] : '=';
  }
  return out + "'";
}

httplib::Headers security_headers() {
  // The runs page carries app.css inline (page_routes.cpp), so that its
  // first frame waits for no second request: that one text, by its hash,
  // is the only inline style allowed.
  const std::string inline_style = csp_hash_source(find_asset("app.css")->bytes);
  return {
      // Scripts and styles only from this server's own files: no inline
      // script, no eval, no inline style attribute, no inline stylesheet
      // but app.css's; data reaches the page only as JSON from
      // connect-src 'self'.
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self' " + inline_style +
           "; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
}

Params::Params(const httplib::Request& req, std::initializer_list<std::string_view> known) : req_(req) {
  std::set<std::string> seen;
  for (const auto& [name, value] : req.params) {
    if (name != "token" && std::find(known.begin(), known.end(), name) == known.end()) {
      std::string names;
      for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      throw ApiError(400, "unknown_parameter",
                     fmt::format("unknown parameter '{}' (this endpoint takes: {})", name.substr(0, 64),
                                 names.empty() ? "none" : names));
    }
    if (!seen.insert(name).second) {
      throw ApiError(400, "bad_request", fmt::format("parameter '{}' is given more than once", name));
    }
    if (!valid_utf8(value)) throw ApiError(400, "bad_request", fmt::format("parameter '{}' is not UTF-8", name));
  }
}

std::optional<std::string> Params::text(std::string_view name, std::size_t max_bytes) const {
  const auto it = req_.params.find(std::string(name));
  if (it == req_.params.end()) return std::nullopt;
  if (it->second.size() > max_bytes) {
    throw ApiError(400, "bad_request",
                   fmt::format("parameter '{}' is {} bytes, more than the {} allowed", name, it->second.size(),
                               max_bytes));
  }
  return it->second;
}

std::optional<std::int64_t> Params::integer(std::string_view name, std::int64_t min, std::int64_t max) const {
  const std::optional<std::string> value = text(name, 32);
  if (!value) return std::nullopt;
  std::int64_t number = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, number);
  if (value->empty() || ec != std::errc() || ptr != end || number < min || number > max) {
    throw ApiError(400, "bad_request",
                   fmt::format("parameter '{}' must be a whole number from {} to {}, not '{}'", name, min, max,
                               *value));
  }
  return number;
}

bool Params::flag(std::string_view name, bool fallback) const {
  const std::optional<std::string> value = text(name, 8);
  if (!value) return fallback;
  if (*value == "1" || *value == "true") return true;
  if (*value == "0" || *value == "false") return false;
  throw ApiError(400, "bad_request", fmt::format("parameter '{}' must be 1, 0, true or false", name));
}

std::optional<std::string> Params::choice(std::string_view name,
                                          std::initializer_list<std::string_view> choices) const {
  std::optional<std::string> value = text(name, 64);
  if (!value) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *value) != choices.end()) return value;
  std::string names;
  for (std::string_view c : choices) names += (names.empty() ? "" : ", ") + std::string(c);
  throw ApiError(400, "bad_request", fmt::format("parameter '{}' must be one of {}", name, names));
}

}  // namespace runjournal::serve
