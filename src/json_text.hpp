// json_text.hpp — checks on text and JSON that every write path shares.
#pragma once

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

// Throws Error(InvalidArgument) when `value` holds something JSON text
// cannot carry faithfully: NaN or an infinity (nlohmann would write null)
// or a binary value (it would write an object of bytes).
void require_representable(const nlohmann::json& value, std::string_view what);

// The compact text of a JSON value. Throws Error(InvalidArgument) when a
// string inside it is not valid UTF-8.
std::string dump_json(const nlohmann::json& value, std::string_view what);

// Parses JSON text read back from the file; malformed text there means the
// file was tampered with: Error(Corrupt).
nlohmann::json parse_stored_json(std::string_view text, std::string_view what);

// NULL column <-> null JSON: the text of a value, or nullopt for null.
std::optional<std::string> dump_optional_json(const nlohmann::json& value, std::string_view what);

}  // namespace runjournal::detail
