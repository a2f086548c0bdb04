#include "text_format.hpp"

#include <algorithm>
#include <chrono>

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace runjournal::cli {
namespace {

// The last column is never squeezed below this many code points.
constexpr std::size_t kMinFitWidth = 16;

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

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
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\t') {
      out += "\\t";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else if (byte == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      // C1 controls (U+0080..U+009F): some terminals obey them as escapes.
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      out += static_cast<char>(byte);
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

std::string render_table(const std::vector<Column>& columns,
                         const std::vector<std::vector<std::string>>& rows, std::size_t fit_width) {
  if (columns.empty()) {
    return {};
  }
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size() + 1);
  std::vector<std::string> header;
  for (const Column& column : columns) {
    header.push_back(column.header);
  }
  cells.push_back(std::move(header));
  for (const std::vector<std::string>& row : rows) {
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      std::string cell = printable(i < row.size() ? row[i] : std::string());
      if (columns[i].max_width > 0) {
        cell = truncate(cell, columns[i].max_width);
      }
      shown.push_back(std::move(cell));
    }
    cells.push_back(std::move(shown));
  }

  std::vector<std::size_t> widths(columns.size(), 0);
  for (const std::vector<std::string>& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  }

  // On a terminal, the last column gives way so that a row fits one line.
  const std::size_t last = columns.size() - 1;
  if (fit_width > 0) {
    std::size_t used = 0;
    for (std::size_t i = 0; i < last; ++i) {
      used += widths[i] + 2;
    }
    const std::size_t room =
        std::max<std::size_t>(fit_width > used ? fit_width - used : 0, kMinFitWidth);
    if (widths[last] > room) {
      for (std::size_t r = 1; r < cells.size(); ++r) {
        cells[r][last] = truncate(cells[r][last], room);
      }
      widths[last] = room;
    }
  }

  std::string out;
  for (const std::vector<std::string>& row : cells) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) {
        line += "  ";
      }
      if (i == last && columns[i].align == Align::Left) {
        line += row[i];
      } else {
        line += pad(row[i], widths[i], columns[i].align);
      }
    }
    // An empty last cell would leave the separator behind: no trailing blanks.
    line.erase(line.find_last_not_of(' ') + 1);
    out += line;
    out += '\n';
  }
  return out;
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
