// retention.cpp — Journal::prune(): removing whole finished runs, and the
// cut-off times people write for it.
//
// Why it is shaped this way:
// - Chunks: each write transaction removes at most runs_per_transaction
//   runs, so an appender waits for one chunk, never for the whole prune.
// - Archive before removal: a chunk's records are written to the archive and
//   flushed to disk (fdatasync) inside the transaction, before the COMMIT
//   that removes them. If the commit fails the archive is cut back to where
//   the chunk began, so it never holds a run twice.
// - Live runs are never candidates: the selection asks for completed,
//   failed or cancelled runs only, inside the same transaction that deletes.
//   A late event on a finished run is recorded by its own transaction, which
//   is either before this one (archived with the run) or after (its run is
//   then gone, and the append fails as for any unknown run).
// - Positions: journal_meta.last_position keeps the highest position ever
//   assigned and never goes back, so removing the newest runs does not let
//   their positions be handed out again. projected_position follows the
//   newest event left, which is what verify() and catch-up expect.
// - Space: the backend gives freed space back in bounded steps
//   (WriteSession::reclaim_some_space; SQLite's auto_vacuum is INCREMENTAL,
//   set when the file is made, so PRAGMA incremental_vacuum does it).
#include <runjournal/journal.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>

#include "core/backend.hpp"
#include "core/event_input.hpp"
#include "core/journal_impl.hpp"

namespace runjournal {
namespace {

// An append-only archive file that can be cut back to a known size.
class Archive {
 public:
  explicit Archive(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot open");
  }
  ~Archive() {
    if (fd_ >= 0) ::close(fd_);
  }
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  off_t size() {
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) fail("cannot seek in");
    return end;
  }
  void write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot write to");
      done += static_cast<std::size_t>(n);
    }
  }
  void sync() {
    if (::fdatasync(fd_) != 0) fail("cannot flush");
  }
  // Best effort: called while another failure is being reported.
  void cut_back(off_t size) noexcept { (void)::ftruncate(fd_, size); }

 private:
  [[noreturn]] void fail(const char* what) {
    throw Error(ErrorCode::Io, fmt::format("prune: {} the archive {}: {}", what, path_, std::strerror(errno)));
  }
  std::filesystem::path path_;
  int fd_ = -1;
};

[[noreturn]] void bad_cutoff(const std::string& text) {
  throw Error(ErrorCode::InvalidArgument,
              fmt::format("\"{}\" is not a time: write an ISO-8601 time (2025-01-31, 2025-01-31T12:00:00Z) "
                          "or an age (30d, 12h, 15m, 45s)",
                          text));
}

// Reads exactly `digits` decimal digits at `pos`.
bool read_number(const std::string& text, std::size_t& pos, std::size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const char c = text[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += digits;
  return true;
}

std::optional<std::int64_t> parse_age(const std::string& text, std::int64_t now_ms) {
  if (text.size() < 2) return std::nullopt;
  const std::string number = text.substr(0, text.size() - 1);
  if (!std::all_of(number.begin(), number.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      number.size() > 9) {
    return std::nullopt;
  }
  std::int64_t unit_ms = 0;
  switch (text.back()) {
    case 's': unit_ms = 1000; break;
    case 'm': unit_ms = 60'000; break;
    case 'h': unit_ms = 3'600'000; break;
    case 'd': unit_ms = 86'400'000; break;
    case 'w': unit_ms = 7 * 86'400'000LL; break;
    default: return std::nullopt;
  }
  return now_ms - std::stoll(number) * unit_ms;
}

std::optional<std::int64_t> parse_iso(const std::string& text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (!read_number(text, pos, 4, y) || pos >= text.size() || text[pos++] != '-' || !read_number(text, pos, 2, mo) ||
      pos >= text.size() || text[pos++] != '-' || !read_number(text, pos, 2, d)) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  std::int64_t offset_ms = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') return std::nullopt;
    ++pos;
    if (!read_number(text, pos, 2, h) || pos >= text.size() || text[pos++] != ':' || !read_number(text, pos, 2, mi)) {
      return std::nullopt;
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!read_number(text, pos, 2, s)) return std::nullopt;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        int scale = 100;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          if (digits++ < 3) ms += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || s > 60) return std::nullopt;
    if (pos < text.size() && text[pos] == 'Z') {
      ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      const int sign = text[pos++] == '+' ? 1 : -1;
      int oh = 0, om = 0;
      if (!read_number(text, pos, 2, oh) || pos >= text.size() || text[pos++] != ':' || !read_number(text, pos, 2, om)) {
        return std::nullopt;
      }
      offset_ms = sign * (oh * 3'600'000LL + om * 60'000LL);
    }
    if (pos != text.size()) return std::nullopt;
  }
  const std::int64_t days_ms = duration_cast<milliseconds>(sys_days{date}.time_since_epoch()).count();
  return days_ms + h * 3'600'000LL + mi * 60'000LL + s * 1000LL + ms - offset_ms;
}

}  // namespace

std::int64_t parse_cutoff(const std::string& text, std::int64_t now_ms) {
  if (auto age = parse_age(text, now_ms)) return *age;
  if (auto time = parse_iso(text)) return *time;
  bad_cutoff(text);
}

PruneReport Journal::prune(const PruneOptions& options, const Progress& progress) {
  if (!options.dry_run) impl_->writable("prune");  // a dry run reads only: a read-only journal may ask
  if (options.runs_per_transaction == 0) throw Error(ErrorCode::InvalidArgument, "prune: runs_per_transaction is 0");
  if (options.status && !is_terminal(*options.status)) {
    throw Error(ErrorCode::InvalidArgument,
                fmt::format("prune: status {} is live; only completed, failed or cancelled runs are pruned",
                            to_string(*options.status)));
  }
  if (options.session_id) detail::require_id(*options.session_id, "session id");
  const detail::Prunable which{options.finished_before_ms, options.status, options.session_id};
  const std::pair<std::int64_t, std::int64_t> counted = impl_->read(
      "counting runs to prune", [&](detail::ReadSession& s) { return s.runs().count_finished_before(which); });
  const std::int64_t total = counted.first;
  if (options.dry_run) return PruneReport{.runs = total, .events = counted.second, .pages_freed = 0};
  std::optional<Archive> archive;
  if (options.archive) archive.emplace(*options.archive);

  PruneReport report;
  bool more = true;
  while (more) {
    impl_->writable("prune").with_session("prune", [&](detail::WriteSession& session) {
      detail::EventStore& events = session.events();
      detail::RunStore& runs = session.runs();
      detail::Transaction txn(session);
      const std::vector<std::string> ids = runs.finished_before(which, options.runs_per_transaction);
      more = ids.size() == options.runs_per_transaction;
      if (ids.empty()) return;
      const off_t archive_start = archive ? archive->size() : 0;
      try {
        if (archive) {
          std::string chunk;
          for (const std::string& id : ids) {
            std::optional<Run> run = runs.load(id);
            if (!run) continue;
            chunk += record_to_line(RunRecord{std::move(*run), events.by_run(id, 1, SIZE_MAX)});
            chunk += '\n';
          }
          archive->write(chunk);
          archive->sync();
        }
        const detail::Meta meta = session.meta().load();
        const std::int64_t newest_before = events.max_position();
        std::int64_t removed_events = 0;
        for (const std::string& id : ids) {
          removed_events += events.remove_run(id);
          runs.remove(id);
        }
        const std::int64_t newest_after = events.max_position();
        session.meta().save_positions(std::max(meta.last_position, newest_before),
                                      std::min(meta.projected_position, newest_after));
        txn.commit();
        report.runs += static_cast<std::int64_t>(ids.size());
        report.events += removed_events;
      } catch (...) {
        if (archive) archive->cut_back(archive_start);
        throw;
      }
    });
    if (progress) {
      progress(report.runs, std::max<std::int64_t>(report.runs, total));
    }
  }

  // Give the space back, a bounded number of pages per transaction.
  for (;;) {
    bool freed_some = false;
    impl_->writable("prune").with_session("prune: giving space back", [&](detail::WriteSession& session) {
      const std::int64_t freed = session.reclaim_some_space();
      report.pages_freed += freed;
      freed_some = freed > 0;
    });
    if (!freed_some) break;
  }
  // Copies the shrunken file back from the WAL so the file system sees it.
  impl_->writable("prune").with_session("prune", [](detail::WriteSession& session) { session.finish_reclaiming(); });
  return report;
}

}  // namespace runjournal
