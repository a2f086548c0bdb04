// versions.cpp — the version checks of versions.hpp and their messages.
#include "core/versions.hpp"

#include <fmt/format.h>

#include <runjournal/error.hpp>
#include <runjournal/journal.hpp>

#include "core/projector.hpp"

namespace runjournal::detail {
namespace {

std::string written_by(std::int64_t file_schema, const Meta& meta) {
  return fmt::format("written by runjournal {} (schema {}, projector {})",
                     meta.library_version.empty() ? "0.1" : meta.library_version, file_schema,
                     meta.projector_version);
}

std::string this_runjournal(std::int64_t known_schema) {
  return fmt::format("this runjournal {} knows schema {} and projector {}", runjournal::version(),
                     known_schema, kProjectorVersion);
}

}  // namespace

void require_readable(const std::string& where, std::int64_t file_schema, std::int64_t known_schema,
                      const Meta& meta) {
  if (meta.compatible_version <= known_schema) return;
  throw Error(ErrorCode::SchemaTooNew,
              fmt::format("{} was {}; {}, and cannot read a journal whose compatible version is {}: upgrade "
                          "runjournal to open it",
                          where, written_by(file_schema, meta), this_runjournal(known_schema), meta.compatible_version));
}

void require_writable(const std::string& where, std::int64_t file_schema, std::int64_t known_schema,
                      const Meta& meta) {
  if (file_schema <= known_schema && meta.projector_version <= kProjectorVersion) return;
  throw Error(ErrorCode::SchemaTooNew,
              fmt::format("{} was {}; {}: it may read this journal (open it read-only) but never write it, so "
                          "that a newer runjournal's data is not rewritten by an older one",
                          where, written_by(file_schema, meta), this_runjournal(known_schema)));
}

}  // namespace runjournal::detail
