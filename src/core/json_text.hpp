// json_text.hpp — checks on text and JSON that every write path shares, and
// the one JSON parser every untrusted text goes through.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace runjournal::detail {

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing
// past U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

// Throws Error(InvalidArgument) naming `what` unless `text` is valid UTF-8.
void require_utf8(std::string_view text, std::string_view what);

// How deeply a value nests: 0 for a scalar, 1 for [] or {"a": 1}, 2 for
// [[1]], counted without recursion.
std::size_t json_depth(const nlohmann::json& value);

// Throws Error(InvalidArgument) when `value` holds something JSON text
// cannot carry faithfully: NaN or an infinity (nlohmann would write null)
// or a binary value (it would write an object of bytes); or when it nests
// deeper than `max_depth` (the message names the limit). Walks the value
// with an explicit stack: a deep value cannot overflow ours.
void require_representable(const nlohmann::json& value, std::string_view what, std::size_t max_depth);

// The deepest nesting any stored JSON may have: stored text deeper than
// this was not written by runjournal (Options::max_json_depth may not exceed
// what the backend's JSON functions accept, 2,000 or less for SQLite). Also
// what bounds every recursion over a value (nlohmann's dump and comparison
// recurse), so that none can overflow a thread's stack.
inline constexpr std::size_t kMaxStoredDepth = 4096;

// The compact text of a JSON value, after require_representable(value,
// what, max_depth). Throws Error(InvalidArgument) as that does, or when a
// string inside it is not valid UTF-8.
std::string dump_json(const nlohmann::json& value, std::string_view what, std::size_t max_depth = kMaxStoredDepth);

// Parses JSON text without ever recursing: nesting deeper than `max_depth`
// stops the parse at the first container past it. Every failure is
// Error(InvalidArgument) naming `what`: malformed text (with where), a
// number that overflows a double (1e999), invalid UTF-8, too deep (naming
// the limit). No nlohmann exception escapes.
nlohmann::json parse_json_limited(std::string_view text, std::size_t max_depth, std::string_view what);
// The same, but a failure is std::nullopt (for text that may or may not be
// JSON, such as a computed SQL column).
std::optional<nlohmann::json> try_parse_json_limited(std::string_view text, std::size_t max_depth);

// Parses JSON text read back from the file; malformed or absurdly deep text
// there means the file was tampered with: Error(Corrupt).
nlohmann::json parse_stored_json(std::string_view text, std::string_view what);

// NULL column <-> null JSON: the text of a value, or nullopt for null.
std::optional<std::string> dump_optional_json(const nlohmann::json& value, std::string_view what);

}  // namespace runjournal::detail
