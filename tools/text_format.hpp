// text_format.hpp — building blocks of the command line's human output:
// readable times, safe single-line text, aligned tables and field lists.
//
// Everything here is a pure function from values to text (no I/O), so the
// shapes are easy to test. Widths are counted in terminal cells
// (char_width.hpp): a CJK character or an emoji takes two, a combining mark
// none, so tables of any script line up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runjournal::cli {

// Unix milliseconds as UTC ISO-8601 with milliseconds:
// 1700000000000 -> "2023-11-14T22:13:20.000Z".
std::string format_time_ms(std::int64_t ms);

// How a table shows a time: absolute in UTC, absolute in the local time
// zone (ISO-8601 with its offset: "2023-11-14T23:13:20.000+01:00"), or
// relative to now for a person at a terminal ("3m ago", "2h ago",
// "in 5s" for a time ahead of this clock).
enum class TimeStyle { Utc, Local, Relative };
std::string format_time(std::int64_t ms, TimeStyle style, std::int64_t now_ms);

// A duration for people: "850ms", "12.3s", "4m05s", "2h03m", "3d04h".
// Negative durations (a clock that stepped back) show as "0ms".
std::string format_duration_ms(std::int64_t ms);

// The current time in Unix milliseconds.
std::int64_t wall_clock_ms();

// Whether stdout is a terminal that takes colour: a terminal, NO_COLOR not
// set (https://no-color.org), TERM not "dumb".
bool colour_on_stdout();

// A run status wrapped in the ANSI colour of its kind: completed green,
// failed red, cancelled yellow, interrupted magenta, the live statuses
// cyan, created uncoloured.
std::string paint_status(const std::string& shown);

// `text` made safe for one line of a terminal: control characters become
// escapes ("\n", "\t", "\x1b", C1 controls as "\u009b"), and so do bytes
// that are not well-formed UTF-8 ("\xff"); everything else is kept.
std::string printable(std::string_view text);

// The terminal cells UTF-8 `text` takes (text_cells).
std::size_t display_width(std::string_view text);

// `text` cut to at most `max_width` cells, ending in "…" when cut.
std::string truncate(std::string_view text, std::size_t max_width);

enum class Align { Left, Right };

struct Column {
  std::string header;
  Align align = Align::Left;
  // Cells wider than this are truncated; 0 means never truncate (ids).
  std::size_t max_width = 0;
  // When set, each body cell's shown text is passed through it after it
  // was measured and cut (colour: escape codes take no cells).
  std::string (*paint)(const std::string& shown) = nullptr;
};

// Columns separated by two spaces, each as wide as its widest cell; a header
// line first. The last column is not padded, so no line has trailing blanks.
// Cells are passed through printable() and truncate(). With `fit_width` (a
// terminal's width), the last column is truncated further so that lines fit,
// but never below 16 cells.
std::string render_table(const std::vector<Column>& columns,
                         const std::vector<std::vector<std::string>>& rows,
                         std::size_t fit_width = 0);

// render_table for rows that arrive one by one (a query's result of any
// size): the widths come from the first `measured_rows` rows, which are
// held until then; every later row is printed at once, its cells cut to
// those widths. Memory stays bounded whatever the row count.
class TableStream {
 public:
  TableStream(std::vector<Column> columns, std::size_t fit_width, std::ostream& out,
              std::size_t measured_rows = 1000);
  void add(const std::vector<std::string>& row);
  // Prints what is still held (at least the header).
  void finish();
  // Whether rows are held, waiting for the layout to be fixed.
  bool holding_rows() const;

 private:
  void flush_buffered();

  std::vector<Column> columns_;
  std::size_t fit_width_;
  std::ostream& out_;
  std::size_t measured_rows_;
  std::vector<std::vector<std::string>> buffered_;  // the header first
  std::vector<std::size_t> widths_;                 // empty until the layout is fixed
};

// "key: value" lines with the values aligned in one column.
std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// The width of the terminal on stdout, or 0 when stdout is not a terminal.
std::size_t terminal_width();

}  // namespace runjournal::cli
