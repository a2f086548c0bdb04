// sha256.hpp — SHA-256 (FIPS 180-4), for ids that must be derivable
// outside runjournal: the OpenTelemetry export's trace and span ids
// (docs/otlp.md) are prefixes of SHA-256 digests, which any language's
// standard tools can recompute. Not for secrets: nothing here resists side
// channels, and nothing needs to.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace runjournal::detail {

std::array<std::uint8_t, 32> sha256(std::string_view bytes) noexcept;

}  // namespace runjournal::detail
