#include "text_format.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace runjournal::cli {
namespace {

// The last column is never squeezed below this many code points.
constexpr std::size_t kMinFitWidth = 16;

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence `text` starts with (a byte
// of 0x80 or more): 2 to 4, or 0 when it is not one (a stray continuation,
// an overlong form, a surrogate, past U+10FFFF, cut short).
std::size_t utf8_sequence_length(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  std::uint32_t code = 0;
  std::uint32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code = lead & 0x1Fu, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code = lead & 0x0Fu, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code = lead & 0x07u, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[k]);
    if (!is_continuation(next)) return 0;
    code = (code << 6) | (next & 0x3Fu);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

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
    const std::size_t length = utf8_sequence_length(text.substr(i));
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

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return !is_continuation(static_cast<unsigned char>(c));
  }));
}

std::string truncate(std::string_view text, std::size_t max_width) {
  if (display_width(text) <= max_width) {
    return std::string(text);
  }
  if (max_width == 0) {
    return {};
  }
  // Keep max_width - 1 code points, then the ellipsis.
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < text.size()) {
    if (!is_continuation(static_cast<unsigned char>(text[end]))) {
      if (kept == max_width - 1) {
        break;
      }
      ++kept;
    }
    ++end;
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
                        const std::vector<std::string>& row) {
  const std::size_t last = columns.size() - 1;
  std::string line;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) {
      line += "  ";
    }
    const std::string cell = truncate(row[i], widths[i]);
    if (i == last && columns[i].align == Align::Left) {
      line += cell;
    } else {
      line += pad(cell, widths[i], columns[i].align);
    }
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
  for (const std::vector<std::string>& row : cells) out += format_line(columns, widths, row);
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
    out_ << format_line(columns_, widths_, shown_cells(columns_, row));
    return;
  }
  buffered_.push_back(shown_cells(columns_, row));
  if (buffered_.size() > measured_rows_) flush_buffered();
}

void TableStream::finish() {
  if (columns_.empty() || !widths_.empty()) return;
  flush_buffered();
}

void TableStream::flush_buffered() {
  widths_ = layout(columns_, buffered_, fit_width_);
  for (const std::vector<std::string>& row : buffered_) out_ << format_line(columns_, widths_, row);
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
