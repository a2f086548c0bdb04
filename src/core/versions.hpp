// versions.hpp — which runjournal may read, and which may write, a journal
// (docs/format.md, "Identity and versions"), whatever its backend.
#pragma once

#include <cstdint>
#include <string>

#include "core/backend.hpp"
#include "core/stores.hpp"

namespace runjournal::detail {

// A runjournal that knows schemas up to `known_schema` reads any journal
// whose compatible version it knows, and writes only journals whose schema
// and projector are not newer than its own. Each throws
// Error(SchemaTooNew) naming both sides' versions and the runjournal that
// wrote the journal; `where` starts the message.
void require_readable(const std::string& where, std::int64_t file_schema, std::int64_t known_schema,
                      const Meta& meta);
void require_writable(const std::string& where, std::int64_t file_schema, std::int64_t known_schema,
                      const Meta& meta);

// The same for a session's journal, against what its backend knows.
inline void require_writable(Session& session, std::int64_t file_schema, const Meta& meta) {
  require_writable(session.name(), file_schema, session.latest_schema_version(), meta);
}

}  // namespace runjournal::detail
