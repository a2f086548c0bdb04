// char_width.hpp — how many terminal cells a character takes.
//
// Tables line up only if every cell is measured as the terminal draws it:
// CJK ideographs, Hangul, fullwidth forms and most emoji take two cells,
// combining marks, zero-width joiners and variation selectors none, the rest
// one. The ranges follow Unicode 15's East_Asian_Width (W and F) and its
// emoji presentation, the data terminals' own wcwidth() tables come from;
// they are compiled in, so no locale has to be set and every machine agrees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace runjournal::cli {

// 0, 1 or 2: the cells code point `c` takes on a terminal.
int char_width(std::uint32_t c);

// One step through UTF-8 text: the code point at `text[pos]` and the bytes
// it takes. A byte that starts no well-formed sequence is returned alone
// (code point = the byte, length 1), so a walk never stalls.
struct Utf8Step {
  std::uint32_t code = 0;
  std::size_t length = 1;
  bool valid = false;
};
Utf8Step utf8_step(std::string_view text, std::size_t pos);

// Counts cells character by character, as text_cells does.
class CellCounter {
 public:
  // The cells the character of `step` adds after those seen so far.
  int add(const Utf8Step& step);

 private:
  std::uint32_t previous_ = 0;
  int previous_width_ = 0;
};

// The cells `text` takes: the sum of char_width, except that a character
// joined to the one before by a zero-width joiner (an emoji ZWJ sequence
// such as a family) adds nothing, as terminals draw the sequence as one
// glyph. A byte that is not UTF-8 counts one.
std::size_t text_cells(std::string_view text);

}  // namespace runjournal::cli
