// http_support.hpp — what every route of `runjournal serve` shares: the
// JSON error shape, the headers every response carries, strict query
// parameters, and JSON text that is safe to send.
//
// Errors: every 4xx and 5xx response has the body
//   {"error": {"status": 404, "code": "not_found", "message": "no run r-1"}}
// whose `code` is stable (a runjournal::ErrorCode name, or one of the
// server's own: bad_request, unknown_parameter, forbidden_host,
// unauthorized, method_not_allowed, too_many_streams, uri_too_long, …) and
// whose message is for people.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <runjournal/error.hpp>

namespace runjournal::serve {

// A request the server refuses, with the status and code to answer it with.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }

 private:
  int status_;
  std::string code_;
};

// The HTTP status for a library error: NotFound 404, InvalidArgument 400,
// TimedOut 422 (the query, not the server, took too long), Busy 503,
// anything else 500.
int status_for(ErrorCode code) noexcept;

// Compact JSON text; a string that is not UTF-8 (never one the journal
// stored) is written with U+FFFD rather than failing the response.
std::string dump(const nlohmann::json& json);

// Sets `res` to the JSON error body above.
void set_error(httplib::Response& res, int status, std::string_view code, std::string_view message);
// The default code and message for a status with no body of its own
// (404 not_found …): the errors cpp-httplib answers before any route.
std::string_view code_for_status(int status) noexcept;
std::string_view message_for_status(int status) noexcept;

// Sets the JSON body and type, and marks it uncacheable (journal data
// changes under the same URL).
void set_json(httplib::Response& res, const nlohmann::json& json);

// Sets the body, sent as it is. Every body goes through these rather than
// Response::set_content: cpp-httplib compresses a text/* body for a client
// that accepts brotli at brotli's slowest quality, 10 to 30 ms for a few KB
// on every request, which is most of a page's first render on loopback.
// A sized content provider is sent uncompressed.
void set_body(httplib::Response& res, std::string body, const std::string& content_type);
// The same for a body shared with others (a cached one), not copied.
void set_shared_body(httplib::Response& res, std::shared_ptr<const std::string> body, const std::string& content_type);
// The same for bytes of static storage (the embedded files), not copied.
void set_static_body(httplib::Response& res, std::string_view bytes, const std::string& content_type);
// Whether `res` has a body set by either (or by set_content).
bool has_body(const httplib::Response& res) noexcept;

// JSON text made safe to stand inside an HTML <script type="application/json">
// element: every '<', '>' and '&' becomes its \u escape, so no `</script>`,
// `<!--` or other markup can appear in it, whatever the strings hold. In
// JSON those characters occur only inside strings, so JSON.parse of the
// result gives back exactly the same value.
std::string json_for_html(std::string_view json);

// The headers on every response: the Content-Security-Policy (no inline
// script, no inline style but the runs page's copy of app.css, nothing from
// another origin, no framing) and its companions (nosniff, no referrer).
httplib::Headers security_headers();
// A CSP source that allows an inline element with exactly `text` in it:
// 'sha256-' and the base64 of its SHA-256, quoted.
std::string csp_hash_source(std::string_view text);

// The query parameters of one request, checked strictly: a name the route
// does not know, a name given twice, or a value that is not UTF-8 is a 400,
// so a typo in a script fails loudly instead of being ignored. `token` is
// always allowed (the access token, server.hpp).
class Params {
 public:
  Params(const httplib::Request& req, std::initializer_list<std::string_view> known);

  // The value, at most `max_bytes` long (else 400).
  std::optional<std::string> text(std::string_view name, std::size_t max_bytes = 1024) const;
  // A whole number in [min, max] (else 400).
  std::optional<std::int64_t> integer(std::string_view name, std::int64_t min, std::int64_t max) const;
  // "1"/"true" or "0"/"false" (else 400); absent is `fallback`.
  bool flag(std::string_view name, bool fallback = false) const;
  // One of `choices` (else 400).
  std::optional<std::string> choice(std::string_view name, std::initializer_list<std::string_view> choices) const;

 private:
  const httplib::Request& req_;
};

}  // namespace runjournal::serve
