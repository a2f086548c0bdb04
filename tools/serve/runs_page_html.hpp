// runs_page_html.hpp — the runs page's first screen, drawn by the server.
//
// The runs page is the one page most opened. Its HTML carries, inside
// <main>, the same elements, attributes and text that runs_page.js draws
// for its first /api/runs answer, so the browser paints the runs as soon as
// the HTML and the stylesheet are in, without waiting for the script; the
// script then takes those elements over and keeps them live. The browser
// test compares the two drawings of the same page element by element.
//
// Journal text reaches this HTML only through html_text() (every '&', '<',
// '>', '"' and '\'' as an entity, in text and in double-quoted attribute
// values alike) and, in links, through percent-encoding first: no prompt,
// session or run id can become markup (serve_page_test, the browser test).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace runjournal::serve {

// `text` with &, <, >, " and ' as entities: safe as element text and as a
// double-quoted attribute value.
std::string html_text(std::string_view text);

// JavaScript's encodeURIComponent of UTF-8 text.
std::string encode_uri_component(std::string_view text);

// `path`, then "?" and the pairs as URLSearchParams writes them
// (application/x-www-form-urlencoded), leaving out empty values: what
// api.js's apiURL(path, params) returns for the same pairs in this order.
std::string page_url(std::string_view path, const std::vector<std::pair<std::string, std::string>>& pairs);

// What format.js shows: time(ms) ("2025-01-31 12:00:00.250", UTC),
// duration(ms) ("850 ms", "12.4 s", "3 m 05 s", …), clip(text, max) (the
// first max UTF-16 units, an ellipsis ending a cut one).
std::string time_text(std::int64_t ms);
std::string duration_text(std::int64_t ms);
std::string clip_text(std::string_view text, std::size_t max);

// The inside of <main> for the runs page: `body` is its /api/runs answer,
// `params` the page's own query parameters, `now_ms` the time live runs'
// durations run to.
std::string runs_main_html(const nlohmann::json& body, const std::map<std::string, std::string>& params,
                           std::int64_t now_ms);

}  // namespace runjournal::serve
