// journal.cpp — options, open and close.
//
// The hooks (clock, id generator) are C function pointers with a user
// pointer; they are wrapped in the std::function members of Options, so the
// library calls them exactly where it calls a C++ host's hooks.
#include <fmt/format.h>

#include "capi.hpp"

using namespace runjournal;
using namespace runjournal::capi;

namespace {

// The buffer an id generator writes into: room for ids the library refuses
// as too long, so such an id gets the library's own clear error.
constexpr std::size_t kIdBuffer = 1024;

template <class Fn>
rj_status set(rj_options* options, Fn&& fn) {
  return guard([&] { fn(require(options, "options")->options); });
}

}  // namespace

extern "C" {

rj_status rj_options_new(rj_options** out) {
  clear(out);
  return guard([&] {
    require(out, "out");  // first: the right side of an assignment is evaluated before its left
    *out = new rj_options();
  });
}

void rj_options_free(rj_options* options) { delete options; }

rj_status rj_options_set_create_if_missing(rj_options* options, int create_if_missing) {
  return set(options, [&](Options& o) { o.create_if_missing = create_if_missing != 0; });
}

rj_status rj_options_set_read_only(rj_options* options, int read_only) {
  return set(options, [&](Options& o) { o.read_only = read_only != 0; });
}

rj_status rj_options_set_max_json_depth(rj_options* options, size_t depth) {
  return set(options, [&](Options& o) {
    o.max_json_depth.reset();
    if (depth != 0) o.max_json_depth = depth;
  });
}

rj_status rj_options_set_durability(rj_options* options, rj_durability durability) {
  return set(options, [&](Options& o) {
    switch (raw_value(durability)) {
      case RJ_DURABILITY_FULL: o.durability = Durability::Full; return;
      case RJ_DURABILITY_NORMAL: o.durability = Durability::Normal; return;
    }
    throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not a durability", raw_value(durability)));
  });
}

rj_status rj_options_set_max_payload_bytes(rj_options* options, size_t bytes) {
  return set(options, [&](Options& o) { o.max_payload_bytes = bytes; });
}

rj_status rj_options_set_max_kind_bytes(rj_options* options, size_t bytes) {
  return set(options, [&](Options& o) { o.max_kind_bytes = bytes; });
}

rj_status rj_options_set_busy_timeout_ms(rj_options* options, int64_t milliseconds) {
  return set(options, [&](Options& o) {
    if (milliseconds < 0) throw Error(ErrorCode::InvalidArgument, "busy timeout is negative");
    o.busy_timeout = std::chrono::milliseconds(milliseconds);
  });
}

rj_status rj_options_set_clock(rj_options* options, rj_clock_fn clock, void* user) {
  return set(options, [&](Options& o) {
    o.clock = nullptr;
    if (clock != nullptr) o.clock = [clock, user] { return static_cast<std::int64_t>(clock(user)); };
  });
}

rj_status rj_options_set_id_generator(rj_options* options, rj_id_fn generate, void* user) {
  return set(options, [&](Options& o) {
    o.id_generator = nullptr;
    if (generate == nullptr) return;
    o.id_generator = [generate, user] {
      std::string id(kIdBuffer, '\0');
      const int rc = generate(user, id.data(), id.size());
      if (rc != 0) throw Aborted(fmt::format("the id generator failed (it returned {})", rc));
      const std::size_t length = id.find('\0');
      if (length == std::string::npos) {
        throw Error(ErrorCode::InvalidArgument, "the id generator wrote no NUL-terminated id");
      }
      id.resize(length);
      return id;
    };
  });
}

rj_status rj_options_set_vfs(rj_options* options, const char* vfs) {
  return set(options, [&](Options& o) { o.vfs = vfs ? vfs : ""; });
}

rj_status rj_options_set_driver(rj_options* options, const char* host, int64_t pid, int64_t start_time,
                                const char* boot_id) {
  return set(options, [&](Options& o) {
    o.driver = Driver{require_text(host, "host"), pid, start_time, require_text(boot_id, "boot_id")};
  });
}

rj_status rj_options_set_lease_ttl_ms(rj_options* options, int64_t milliseconds) {
  return set(options, [&](Options& o) {
    if (milliseconds <= 0) throw Error(ErrorCode::InvalidArgument, "lease ttl must be positive");
    o.lease_ttl = std::chrono::milliseconds(milliseconds);
  });
}

rj_status rj_open(const char* path, const rj_options* options, rj_journal** out) {
  clear(out);
  return guard([&] {
    require(out, "out");
    const std::string where = require_text(path, "path");
    Journal journal = Journal::open(where, options ? options->options : Options{});
    *out = new rj_journal{std::move(journal), where};
  });
}

void rj_close(rj_journal* journal) { delete journal; }

const char* rj_journal_path(const rj_journal* journal) { return journal ? journal->path.c_str() : nullptr; }

int rj_journal_read_only(const rj_journal* journal) { return journal && journal->journal.read_only() ? 1 : 0; }

size_t rj_journal_max_json_depth(const rj_journal* journal) {
  return journal ? journal->journal.max_json_depth() : 0;
}

}  // extern "C"
