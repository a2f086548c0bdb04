// The command line's text building blocks (tools/text_format.hpp,
// tools/char_width.hpp): cells as a terminal draws them, cutting, padding,
// times and durations for people.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "char_width.hpp"
#include "text_format.hpp"

using namespace runjournal::cli;

TEST_CASE("characters take the cells a terminal gives them") {
  CHECK(char_width('a') == 1);
  CHECK(char_width(0x00E9) == 1);   // é
  CHECK(char_width(0x0301) == 0);   // a combining acute accent
  CHECK(char_width(0x4E2D) == 2);   // 中
  CHECK(char_width(0xAC00) == 2);   // 가
  CHECK(char_width(0xFF21) == 2);   // Ａ, fullwidth
  CHECK(char_width(0x1F600) == 2);  // 😀
  CHECK(char_width(0x1F50D) == 2);  // 🔍
  CHECK(char_width(0x200D) == 0);   // zero-width joiner
  CHECK(char_width(0xFE0F) == 0);   // variation selector
  CHECK(char_width(0x3099) == 0);   // a combining mark inside a wide block
  CHECK(char_width(0x2603) == 1);   // ☃ is text by default
}

TEST_CASE("text_cells sums the cells, an emoji sequence counts as one glyph, stray bytes count one") {
  CHECK(text_cells("") == 0);
  CHECK(text_cells("abc") == 3);
  CHECK(text_cells("中文") == 4);
  CHECK(text_cells("e\xCC\x81") == 1);  // e + combining acute
  CHECK(text_cells("👨‍👩‍👧") == 2);     // a family: three emoji joined by ZWJs
  CHECK(text_cells("👍🏽") == 2);        // with a skin-tone modifier
  CHECK(text_cells("a\xff" "b") == 3);
}

TEST_CASE("truncate cuts to cells, never through a wide character, and ends in an ellipsis") {
  CHECK(truncate("abcdef", 4) == "abc…");
  CHECK(truncate("abc", 3) == "abc");
  CHECK(truncate("中文字符", 5) == "中文…");  // 4 cells + the ellipsis
  CHECK(truncate("中文字符", 4) == "中…");    // 中文 would take 4, leaving no room for …
  CHECK(display_width(truncate("查找文件 🔍 more", 7)) <= 7);
  CHECK(truncate("x", 0).empty());
}

TEST_CASE("tables pad by cells, so a column after wide text lines up; painted cells keep their width") {
  const std::vector<Column> columns = {{"A", Align::Left, 0}, {"B", Align::Right, 0}, {"C", Align::Left, 0}};
  const std::string table = render_table(columns, {{"中文", "1", "x"}, {"ab", "22", "y"}});
  CHECK(table == "A      B  C\n中文   1  x\nab    22  y\n");
  const std::vector<Column> painted = {{"S", Align::Left, 0, paint_status}, {"N", Align::Left, 0}};
  CHECK(render_table(painted, {{"failed", "1"}, {"created", "2"}}) ==
        "S        N\n\x1b[31mfailed\x1b[0m   1\ncreated  2\n");
}

TEST_CASE("times for people: relative to now, UTC, and durations") {
  const std::int64_t now = 1'735'689'600'000;
  CHECK(format_time(now - 500, TimeStyle::Relative, now) == "just now");
  CHECK(format_time(now - 45'000, TimeStyle::Relative, now) == "45s ago");
  CHECK(format_time(now - 3 * 60'000 - 5'000, TimeStyle::Relative, now) == "3m ago");
  CHECK(format_time(now - 2 * 3'600'000, TimeStyle::Relative, now) == "2h ago");
  CHECK(format_time(now - 3 * 86'400'000LL, TimeStyle::Relative, now) == "3d ago");
  CHECK(format_time(now + 5'000, TimeStyle::Relative, now) == "in 5s");
  CHECK(format_time(now, TimeStyle::Utc, 0) == "2025-01-01T00:00:00.000Z");
  CHECK(format_duration_ms(850) == "850ms");
  CHECK(format_duration_ms(12'345) == "12.3s");
  CHECK(format_duration_ms(245'000) == "4m05s");
  CHECK(format_duration_ms(7'380'000) == "2h03m");
  CHECK(format_duration_ms(3 * 86'400'000LL + 4 * 3'600'000LL) == "3d04h");
  CHECK(format_duration_ms(-5) == "0ms");
}
