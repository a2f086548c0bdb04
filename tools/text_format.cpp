#include "text_format.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <cstring>

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "char_width.hpp"

namespace runjournal::cli {
namespace {

// The last column is never squeezed below this many code points.
constexpr std::size_t kMinFitWidth = 16;

std::string pad(const std::string& cell, std::size_t width, Align align) {
  std::size_t have = display_width(cell);
  std::string fill(width > have ? width - have : 0, ' ');
  return align == Align::Left ? cell + fill : fill + cell;
}

}  // namespace

std::string format_time_ms(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> when{milliseconds{ms}};
  const sys_days day = floor<days>(when);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{when - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

std::string format_time(std::int64_t ms, TimeStyle style, std::int64_t now_ms) {
  if (style == TimeStyle::Utc) return format_time_ms(ms);
  if (style == TimeStyle::Local) {
    const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm local{};
    if (::localtime_r(&seconds, &local) == nullptr) return format_time_ms(ms);
    const long offset_min = local.tm_gmtoff / 60;
    const long abs_min = offset_min < 0 ? -offset_min : offset_min;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}{:02}:{:02}", local.tm_year + 1900, local.tm_mon + 1,
                       local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, ((ms % 1000) + 1000) % 1000,
                       offset_min < 0 ? '-' : '+', abs_min / 60, abs_min % 60);
  }
  const std::int64_t ago = now_ms - ms;
  const std::int64_t span = ago < 0 ? -ago : ago;
  std::string amount;
  if (span < 1000) {
    return ago < 0 ? "in <1s" : "just now";
  } else if (span < 60'000) {
    amount = fmt::format("{}s", span / 1000);
  } else if (span < 3'600'000) {
    amount = fmt::format("{}m", span / 60'000);
  } else if (span < 86'400'000) {
    amount = fmt::format("{}h", span / 3'600'000);
  } else {
    amount = fmt::format("{}d", span / 86'400'000);
  }
  return ago < 0 ? "in " + amount : amount + " ago";
}

std::string format_duration_ms(std::int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{}.{}s", ms / 1000, (ms % 1000) / 100);
  if (ms < 3'600'000) return fmt::format("{}m{:02}s", ms / 60'000, (ms / 1000) % 60);
  if (ms < 86'400'000) return fmt::format("{}h{:02}m", ms / 3'600'000, (ms / 60'000) % 60);
  return fmt::format("{}d{:02}h", ms / 86'400'000, (ms / 3'600'000) % 24);
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool colour_on_stdout() {
  if (::isatty(STDOUT_FILENO) != 1) return false;
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

std::string paint_status(const std::string& shown) {
  const char* code = nullptr;
  if (shown == "completed") {
    code = "32";
  } else if (shown == "failed") {
    code = "31";
  } else if (shown == "cancelled") {
    code = "33";
  } else if (shown == "interrupted") {
    code = "35";
  } else if (shown == "executing" || shown == "planning" || shown == "verifying") {
    code = "36";
  }
  return code == nullptr ? shown : fmt::format("\x1b[{}m{}\x1b[0m", code, shown);
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte == '\n') {
        out += "\\n";
      } else if (byte == '\t') {
        out += "\\t";
      } else if (byte == '\r') {
        out += "\\r";
      } else if (byte < 0x20 || byte == 0x7F) {
        out += fmt::format("\\x{:02x}", byte);
      } else {
        out += static_cast<char>(byte);
      }
      ++i;
      continue;
    }
    const Utf8Step step = utf8_step(text, i);
    const std::size_t length = step.valid ? step.length : 0;
    if (length == 0) {
      // Not UTF-8: shown as the byte it is, never passed to the terminal.
      out += fmt::format("\\x{:02x}", byte);
      ++i;
    } else if (length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      // C1 controls (U+0080..U+009F): some terminals obey them as escapes.
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[i + 1]));
      i += 2;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::size_t display_width(std::string_view text) { return text_cells(text); }

std::string truncate(std::string_view text, std::size_t max_width) {
  if (display_width(text) <= max_width) {
    return std::string(text);
  }
  if (max_width == 0) {
    return {};
  }
  // Keep what fits in max_width - 1 cells, then the ellipsis (one cell). A
  // wide character that would straddle the limit goes too, and so do the
  // zero-width marks that belong to the last one kept.
  std::size_t end = 0;
  std::size_t cells = 0;
  CellCounter counter;
  for (std::size_t pos = 0; pos < text.size(); pos = end) {
    const Utf8Step step = utf8_step(text, pos);
    cells += static_cast<std::size_t>(counter.add(step));
    if (cells > max_width - 1) break;
    end = pos + step.length;
  }
  return std::string(text.substr(0, end)) + "…";
}

namespace {

// A row's cells as a table shows them: printable, cut to the column's
// max_width.
std::vector<std::string> shown_cells(const std::vector<Column>& columns, const std::vector<std::string>& row) {
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::string cell = printable(i < row.size() ? row[i] : std::string());
    if (columns[i].max_width > 0) {
      cell = truncate(cell, columns[i].max_width);
    }
    shown.push_back(std::move(cell));
  }
  return shown;
}

std::vector<std::string> header_cells(const std::vector<Column>& columns) {
  std::vector<std::string> header;
  for (const Column& column : columns) header.push_back(column.header);
  return header;
}

// Each column as wide as its widest cell; on a terminal (fit_width > 0)
// the last column gives way so that a row fits one line.
std::vector<std::size_t> layout(const std::vector<Column>& columns, const std::vector<std::vector<std::string>>& cells,
                                std::size_t fit_width) {
  std::vector<std::size_t> widths(columns.size(), 0);
  for (const std::vector<std::string>& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }
  const std::size_t last = columns.size() - 1;
  if (fit_width > 0) {
    std::size_t used = 0;
    for (std::size_t i = 0; i < last; ++i) {
      used += widths[i] + 2;
    }
    const std::size_t room = std::max<std::size_t>(fit_width > used ? fit_width - used : 0, kMinFitWidth);
    widths[last] = std::min(widths[last], room);
  }
  return widths;
}

// One line of the table: cells cut to their column's width, padded, two
// spaces apart, no trailing blanks.
std::string format_line(const std::vector<Column>& columns, const std::vector<std::size_t>& widths,
                        const std::vector<std::string>& row, bool header) {
  const std::size_t last = columns.size() - 1;
  std::string line;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) {
      line += "  ";
    }
    // A column that is never cut (ids) overflows its width instead, when a
    // stream's later row is wider than the rows that set the layout.
    const bool keep_whole = columns[i].max_width == 0 && i != last;
    const std::string cell = keep_whole ? row[i] : truncate(row[i], widths[i]);
    const std::size_t have = display_width(cell);
    const std::string fill(i == last && columns[i].align == Align::Left ? 0 : widths[i] > have ? widths[i] - have : 0,
                           ' ');
    const std::string shown = !header && columns[i].paint != nullptr && !cell.empty() ? columns[i].paint(cell) : cell;
    line += columns[i].align == Align::Left ? shown + fill : fill + shown;
  }
  // An empty last cell would leave the separator behind: no trailing blanks.
  line.erase(line.find_last_not_of(' ') + 1);
  line += '\n';
  return line;
}

}  // namespace

std::string render_table(const std::vector<Column>& columns,
                         const std::vector<std::vector<std::string>>& rows, std::size_t fit_width) {
  if (columns.empty()) {
    return {};
  }
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size() + 1);
  cells.push_back(header_cells(columns));
  for (const std::vector<std::string>& row : rows) cells.push_back(shown_cells(columns, row));
  const std::vector<std::size_t> widths = layout(columns, cells, fit_width);
  std::string out;
  for (std::size_t r = 0; r < cells.size(); ++r) out += format_line(columns, widths, cells[r], r == 0);
  return out;
}

TableStream::TableStream(std::vector<Column> columns, std::size_t fit_width, std::ostream& out,
                         std::size_t measured_rows)
    : columns_(std::move(columns)), fit_width_(fit_width), out_(out), measured_rows_(measured_rows) {
  buffered_.push_back(header_cells(columns_));
}

void TableStream::add(const std::vector<std::string>& row) {
  if (columns_.empty()) return;
  if (!widths_.empty()) {
    out_ << format_line(columns_, widths_, shown_cells(columns_, row), false);
    return;
  }
  buffered_.push_back(shown_cells(columns_, row));
  if (buffered_.size() > measured_rows_) flush_buffered();
}

bool TableStream::holding_rows() const { return widths_.empty() && buffered_.size() > 1; }

void TableStream::finish() {
  if (columns_.empty() || !widths_.empty()) return;
  flush_buffered();
}

void TableStream::flush_buffered() {
  widths_ = layout(columns_, buffered_, fit_width_);
  for (std::size_t r = 0; r < buffered_.size(); ++r) out_ << format_line(columns_, widths_, buffered_[r], r == 0);
  buffered_.clear();
}

std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t key_width = 0;
  for (const auto& [key, value] : fields) {
    key_width = std::max(key_width, display_width(key) + 1);  // with the colon
  }
  std::string out;
  for (const auto& [key, value] : fields) {
    if (value.empty()) {
      out += key + ":\n";  // no trailing blanks
      continue;
    }
    out += pad(key + ":", key_width, Align::Left);
    out += ' ';
    out += printable(value);
    out += '\n';
  }
  return out;
}

std::size_t terminal_width() {
  if (::isatty(STDOUT_FILENO) != 1) {
    return 0;
  }
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) {
    return 0;
  }
  return size.ws_col;
}

}  // namespace runjournal::cli
