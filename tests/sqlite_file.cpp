#include "sqlite_file.hpp"

#include <system_error>

#include <SQLiteCpp/Database.h>

#include "test_support.hpp"

namespace runjournal::test {

void raw_exec(const std::filesystem::path& path, const std::string& sql) {
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
  db.exec(sql);
}

std::int64_t raw_int(const std::filesystem::path& path, const std::string& sql) {
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

Files files_of(const std::filesystem::path& path) { return {read_file(path), read_file(path.string() + "-wal")}; }

std::uintmax_t wal_size(const std::filesystem::path& path) {
  std::error_code ec;  // no WAL (never written, or deleted at the last close) is size 0
  const std::uintmax_t size = std::filesystem::file_size(path.string() + "-wal", ec);
  return ec ? 0 : size;
}

}  // namespace runjournal::test
