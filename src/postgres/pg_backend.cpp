// pg_backend.cpp — a journal in a PostgreSQL schema as a Backend (the
// contract is core/backend.hpp's; docs/postgresql.md maps it onto
// PostgreSQL): inspected once at open, then sessions on connections of
// their own.
#include "postgres/pg_backend.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include <runjournal/error.hpp>

#include "core/versions.hpp"
#include "postgres/database_error.hpp"
#include "postgres/migrations.hpp"
#include "postgres/migrator.hpp"
#include "postgres/pg_sessions.hpp"

namespace runjournal::detail {
namespace {

// Where the journal is, as the server sees it: the cluster (its system
// identifier, or its address when that is not readable), the database, the
// schema, and the journal's own id. Two URIs that reach one journal by
// different spellings (a socket folder, an address) name the same cluster.
std::optional<std::string> identity_of(pg::Connection& conn) {
  const pg::Result r = conn.exec(
      "SELECT current_database() AS db, current_schema() AS schema, "
      "(SELECT journal_id FROM journal_meta WHERE singleton = 1) AS journal_id, "
      "coalesce(inet_server_addr()::text, '') || ':' || coalesce(inet_server_port()::text, "
      "current_setting('port')) AS address");
  const auto journal_id = r.optional_text(0, r.column("journal_id"));
  if (!journal_id) return std::nullopt;
  std::string cluster;
  try {
    const pg::Result id = conn.exec("SELECT system_identifier::text AS id FROM pg_control_system()");
    cluster = std::string(id.text(0, id.column("id")));
  } catch (const pg::DatabaseError&) {
    cluster = std::string(r.text(0, r.column("address")));  // a role without access to pg_control_system()
  }
  return fmt::format("postgresql:{}/{}/{}/{}", cluster, r.text(0, r.column("db")), r.text(0, r.column("schema")),
                     *journal_id);
}

// LISTEN on a connection of its own (core/backend.hpp's ChangeListener).
// Every commit that writes events sends pg_notify(kChangeChannel,
// current_schema()) (pg_sessions.cpp); NOTIFY is per database, so a
// notification for another journal of the database (another schema) is
// not a wake-up. LISTEN takes effect when its statement returns, before
// the follower reads its first change counter: no commit goes unheard.
class PgChangeListener final : public ChangeListener {
 public:
  explicit PgChangeListener(const PgSettings& settings) : conn_(connect_session(settings)) {
    const pg::Result r = conn_.exec("SELECT current_schema() AS schema");
    schema_ = std::string(r.text(0, r.column("schema")));
    conn_.listen(kChangeChannel);
  }

  bool wait(std::chrono::milliseconds timeout) override {
    bool woken = false;
    pg_translate_errors("waiting for a commit", [&] {
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        // Once woken, only what is already queued is taken (a zero wait).
        const std::optional<pg::Notification> n =
            conn_.wait_for_notification(woken ? std::chrono::milliseconds(0) : std::max(left, std::chrono::milliseconds(0)));
        if (!n) return;
        if (n->payload == schema_) woken = true;
      }
    });
    return woken;
  }

 private:
  pg::Connection conn_;
  std::string schema_;
};

class PgBackend final : public Backend {
 public:
  PgBackend(PgSettings settings, const Options& options, std::optional<std::string> identity)
      : settings_(std::move(settings)), options_(options), identity_(std::move(identity)) {}

  const std::string& name() const override { return settings_.name; }
  std::optional<std::string> identity() const override { return identity_; }

  std::unique_ptr<WriteSession> open_writer(Durability durability) override {
    std::unique_ptr<WriteSession> session;
    pg_translate_errors(fmt::format("opening {}", settings_.name), [&] {
      pg::Connection conn = connect_session(settings_);
      pg::migrate(conn);
      if (!identity_) identity_ = identity_of(conn);
      session = std::make_unique<PgWriteSession>(settings_, std::move(conn), durability);
    });
    return session;
  }

  std::unique_ptr<ReadSession> open_reader() override {
    std::unique_ptr<ReadSession> session;
    pg_translate_errors(fmt::format("opening {}", settings_.name),
                        [&] { session = std::make_unique<PgReadSession>(settings_); });
    return session;
  }

  std::unique_ptr<ChangeListener> open_change_listener() override {
    std::unique_ptr<ChangeListener> listener;
    pg_translate_errors(fmt::format("listening on {}", settings_.name),
                        [&] { listener = std::make_unique<PgChangeListener>(settings_); });
    return listener;
  }

  void sql_each(const std::string& query, const std::function<void(const std::vector<std::string>&)>& on_columns,
                const std::function<bool(const std::vector<SqlValue>&)>& on_row,
                const SqlOptions& options) override {
    pg_sql_each(settings_.conninfo, settings_.name, query, on_columns, on_row, options);
  }

 private:
  PgSettings settings_;
  Options options_;
  std::optional<std::string> identity_;
};

}  // namespace

std::string redact_pg_uri(std::string_view uri) {
  std::string out(uri);
  // scheme://user:password@host…: the password ends at the last '@' of the authority.
  const std::size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const std::size_t start = scheme + 3;
    const std::size_t end = out.find_first_of("/?", start);
    const std::size_t at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // …?password=secret&…
  for (std::size_t at = out.find("password="); at != std::string::npos; at = out.find("password=", at + 1)) {
    if (at > 0 && out[at - 1] != '?' && out[at - 1] != '&') continue;
    const std::size_t value = at + 9;
    const std::size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

std::unique_ptr<Backend> open_pg_backend(const std::string& uri, const Options& options) {
  PgSettings settings{uri, redact_pg_uri(uri), options.busy_timeout};
  std::optional<std::string> identity;
  pg_translate_errors(fmt::format("opening {}", settings.name), [&] {
    pg::Connection conn = connect_session(settings);
    const pg::SchemaState state = pg::inspect(conn);
    const auto latest = static_cast<std::int64_t>(pg::migrations().size());
    if (state.version == 0) {
      if (options.read_only || !options.create_if_missing) {
        throw Error(ErrorCode::NotFound,
                    fmt::format("no journal at {}: schema {} is empty", settings.name, state.schema));
      }
      return;
    }
    const Meta meta = PgMetaStore(conn).load();
    require_readable(settings.name, state.version, latest, meta);
    if (!options.read_only) require_writable(settings.name, state.version, latest, meta);
    identity = identity_of(conn);
  });
  return std::make_unique<PgBackend>(std::move(settings), options, std::move(identity));
}

}  // namespace runjournal::detail
