// sqlite_backend.cpp — a journal file as a Backend: inspected once at open,
// then sessions on connections of its own (connection.hpp says how each
// kind of connection is opened and why).
#include "sqlite/sqlite_backend.hpp"

#include <optional>
#include <utility>

#include <fmt/format.h>
#include <fmt/std.h>
#include <sys/stat.h>

#include "sqlite/connection.hpp"
#include "sqlite/migrator.hpp"
#include "sqlite/sqlite_sessions.hpp"
#include "sqlite/sqlite_util.hpp"

namespace runjournal::detail {
namespace {

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(std::filesystem::path path, const Options& options, bool is_new,
                std::unique_ptr<SQLite::Database> inspecting)
      : path_(std::move(path)),
        name_(path_.string()),
        options_(options),
        is_new_(is_new),
        inspecting_(std::move(inspecting)) {}

  const std::string& name() const override { return name_; }

  // The file's device and inode: two paths to one file (a symlink, "./a"
  // and "a") are one journal.
  std::optional<std::string> identity() const override {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return std::nullopt;
    return fmt::format("sqlite:{}:{}", st.st_dev, st.st_ino);
  }

  std::unique_ptr<WriteSession> open_writer(Durability durability) override {
    auto db = open_writer_connection(durability);
    translate_errors(fmt::format("migrating {}", path_), [&] { migrate(*db); });
    inspecting_.reset();
    return std::make_unique<SqliteWriteSession>(std::move(db), durability);
  }

  std::unique_ptr<ReadSession> open_reader() override {
    auto session = translate_errors(fmt::format("opening {}", path_), [&] {
      return std::make_unique<SqliteReadSession>(
          detail::open_reader(path_, options_.busy_timeout, options_.vfs));
    });
    inspecting_.reset();
    return session;
  }

  void sql_each(const std::string& query, const std::function<void(const std::vector<std::string>&)>& on_columns,
                const std::function<bool(const std::vector<SqlValue>&)>& on_row,
                const SqlOptions& options) override {
    sqlite_sql_each(path_, options_, query, on_columns, on_row, options);
  }

 private:
  std::unique_ptr<SQLite::Database> open_writer_connection(Durability durability) {
    return detail::open_writer(path_, durability, options_.busy_timeout, is_new_, options_.vfs);
  }

  std::filesystem::path path_;
  std::string name_;
  Options options_;
  bool is_new_;
  // The connection that inspected the file, held until a session has one of
  // its own (Journal::open says why).
  std::unique_ptr<SQLite::Database> inspecting_;
};

}  // namespace

std::unique_ptr<Backend> open_sqlite_backend(const std::filesystem::path& path, const Options& options) {
  std::unique_ptr<SQLite::Database> inspecting;
  const bool is_new = inspect_file(path, options.create_if_missing, options.read_only, options.vfs, &inspecting);
  return std::make_unique<SqliteBackend>(path, options, is_new, std::move(inspecting));
}

}  // namespace runjournal::detail
