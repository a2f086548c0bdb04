// runs_page_html.cpp — the runs page's first screen, as runs_page.js draws
// it (see the header). Each function below names the function of the
// page's script it stands for; a change to one is a change to both, which
// the browser test catches ("the server draws the runs page as its script
// does …").
#include "runs_page_html.hpp"

#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace runjournal::serve {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kStatuses[] = {"created",     "planning",  "executing", "verifying",
                                     "interrupted", "completed", "failed",    "cancelled"};
// runs_page.js FILTERS: the parameters a link to another page keeps.
constexpr const char* kFilters[] = {"status", "session", "since", "until", "q", "order", "limit"};

bool is_status(std::string_view status) {
  for (const char* s : kStatuses) {
    if (status == s) return true;
  }
  return false;
}

bool terminal(std::string_view status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

// A string member, or "" when it is missing or null (JavaScript's
// String(x ?? '') for the fields the page shows).
std::string text_of(const nlohmann::json& run, const char* key) {
  const auto it = run.find(key);
  if (it == run.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string get(const std::map<std::string, std::string>& params, const char* name) {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

// Number.prototype.toFixed for 1 <= v < 2^53 (durations of a second and
// more): the nearest decimal, and of two equally near (an exact binary tie,
// 1.125 to 2 places) the larger. fmt rounds such a tie to even, so it is
// caught first.
std::string js_fixed(double v, int digits) {
  // Every digit: a double of at least 1 has at most 52 after the point.
  const std::string exact = fmt::format("{:.60f}", v);
  const std::size_t point = exact.find('.');
  const std::size_t cut = point + 1 + static_cast<std::size_t>(digits);
  const bool tie = exact[cut] == '5' && exact.find_first_not_of('0', cut + 1) == std::string::npos;
  if (!tie) return fmt::format("{:.{}f}", v, digits);
  std::string up = exact.substr(0, cut);
  for (std::size_t i = up.size(); i-- > 0;) {  // add one in the last place
    if (up[i] == '.') continue;
    if (up[i] != '9') {
      ++up[i];
      return up;
    }
    up[i] = '0';
  }
  return "1" + up;
}

std::string pad2(std::int64_t n) {
  return fmt::format("{:02d}", n);
}

// h(tag, attributes, …children) for attributes in the order given: the
// script's h() sets them in its object's order (an empty string is kept,
// a missing one left out).
void open_tag(std::string& out, std::string_view tag, const Pairs& attributes = {}) {
  out += '<';
  out += tag;
  for (const auto& [name, value] : attributes) {
    out += ' ';
    out += name;
    out += "=\"";
    out += html_text(value);
    out += '"';
  }
  out += '>';
}

void close_tag(std::string& out, std::string_view tag) {
  out += "</";
  out += tag;
  out += '>';
}

void element(std::string& out, std::string_view tag, const Pairs& attributes, std::string_view text) {
  open_tag(out, tag, attributes);
  out += html_text(text);
  close_tag(out, tag);
}

// runs_page.js row(run, now).
void row(std::string& out, const nlohmann::json& run, std::int64_t now_ms) {
  const std::string run_id = text_of(run, "run_id");
  const std::string status = text_of(run, "status");
  const std::string session = text_of(run, "session_id");
  const std::string prompt = text_of(run, "prompt");
  const auto number = [&run](const char* key) -> std::optional<std::int64_t> {
    const auto it = run.find(key);
    if (it == run.end() || !it->is_number()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  const std::int64_t created = number("created_at_ms").value_or(0);
  const std::optional<std::int64_t> finished = number("finished_at_ms");

  open_tag(out, "tr", {{"data-run-id", run_id}, {"class", terminal(status) ? "" : "is-live"}});
  // format.js statusBadge(status, reason)
  open_tag(out, "td");
  Pairs badge = {{"class", "status status-" + (is_status(status) ? status : std::string("unknown"))}};
  if (const std::string reason = text_of(run, "status_reason"); !reason.empty()) badge.emplace_back("title", reason);
  element(out, "span", badge, status);
  close_tag(out, "td");
  open_tag(out, "td", {{"class", "mono"}});
  element(out, "a", {{"href", "/runs/" + encode_uri_component(run_id)}, {"class", "run-link"}}, clip_text(run_id, 48));
  close_tag(out, "td");
  open_tag(out, "td");
  element(out, "a", {{"href", page_url("/runs", {{"session", session}})}, {"class", "session-link"}},
          clip_text(session, 32));
  close_tag(out, "td");
  element(out, "td", {{"class", "prompt"}, {"title", clip_text(prompt, 2000)}}, clip_text(prompt, 120));
  element(out, "td", {{"class", "nowrap"}}, time_text(created));
  element(out, "td",
          {{"class", "nowrap num duration"},
           {"data-created", std::to_string(created)},
           {"data-finished", finished ? std::to_string(*finished) : std::string()}},
          duration_text((finished ? *finished : now_ms) - created));
  element(out, "td", {{"class", "num"}}, std::to_string(number("event_count").value_or(0)));
  close_tag(out, "tr");
}

// runs_page.js filterForm(params).
void filter_form(std::string& out, const std::map<std::string, std::string>& params) {
  open_tag(out, "form", {{"class", "filters"}, {"method", "get"}, {"action", "/runs"}});
  open_tag(out, "select", {{"name", "status"}});
  element(out, "option", {{"value", ""}}, "any status");
  for (const char* s : kStatuses) {
    Pairs option = {{"value", s}};
    if (get(params, "status") == s) option.emplace_back("selected", "");
    element(out, "option", option, s);
  }
  close_tag(out, "select");
  const auto input = [&](const char* name, const char* placeholder, int size) {
    open_tag(out, "input",
             {{"name", name},
              {"value", get(params, name)},
              {"placeholder", placeholder},
              {"size", std::to_string(size)},
              {"autocomplete", "off"},
              {"spellcheck", "false"}});
  };
  input("session", "session", 14);
  input("since", "since: 1h, 2025-01-31", 16);
  input("until", "until", 12);
  input("q", "text in prompt, run id, session", 26);
  const bool oldest = get(params, "order") == "oldest";
  open_tag(out, "select", {{"name", "order"}});
  Pairs newest_option = {{"value", "newest"}};
  if (!oldest) newest_option.emplace_back("selected", "");
  element(out, "option", newest_option, "newest first");
  Pairs oldest_option = {{"value", "oldest"}};
  if (oldest) oldest_option.emplace_back("selected", "");
  element(out, "option", oldest_option, "oldest first");
  close_tag(out, "select");
  if (const std::string limit = get(params, "limit"); !limit.empty()) {
    open_tag(out, "input", {{"type", "hidden"}, {"name", "limit"}, {"value", limit}});
  }
  element(out, "button", {{"type", "submit"}}, "Filter");
  element(out, "a", {{"href", "/runs"}, {"class", "clear"}}, "clear");
  close_tag(out, "form");
}

// runs_page.js pager(params, body).
void pager(std::string& out, const std::map<std::string, std::string>& params, const nlohmann::json& body) {
  Pairs base;
  for (const char* name : kFilters) {
    if (const std::string value = get(params, name); !value.empty()) base.emplace_back(name, value);
  }
  const bool newest = body.value("order", std::string()) == "newest";
  const auto cursor = [&body](const char* key) {
    const auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto with = [&base](const char* name, const std::string& value) {
    Pairs pairs = base;
    pairs.emplace_back(name, value);
    return pairs;
  };
  open_tag(out, "nav", {{"class", "pager"}});
  if (const std::string before = cursor("prev_before"); !before.empty()) {
    element(out, "a", {{"href", page_url("/runs", with("before", before))}, {"class", "prev"}},
            newest ? "\u2190 newer" : "\u2190 older");
  }
  if (!get(params, "after").empty() || !get(params, "before").empty()) {
    element(out, "a", {{"href", page_url("/runs", base)}, {"class", "first"}}, newest ? "newest" : "oldest");
  }
  if (const std::string after = cursor("next_after"); !after.empty()) {
    element(out, "a", {{"href", page_url("/runs", with("after", after))}, {"class", "next"}},
            newest ? "older \u2192" : "newer \u2192");
  }
  close_tag(out, "nav");
}

// UTF-8 `text` percent-encoded, every byte but ASCII letters, digits and
// those in `unreserved` as %XX; a space as '+' where `space_plus`.
void percent_encode(std::string& out, std::string_view text, std::string_view unreserved, bool space_plus) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        unreserved.find(ch) != std::string_view::npos) {
      out += ch;
    } else if (c == ' ' && space_plus) {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
}

}  // namespace

std::string html_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string encode_uri_component(std::string_view text) {
  std::string out;
  percent_encode(out, text, "-_.!~*'()", false);
  return out;
}

std::string page_url(std::string_view path, const Pairs& pairs) {
  // URLSearchParams' serializer (application/x-www-form-urlencoded).
  std::string query;
  for (const auto& [name, value] : pairs) {
    if (value.empty()) continue;
    if (!query.empty()) query += '&';
    percent_encode(query, name, "*-._", true);
    query += '=';
    percent_encode(query, value, "*-._", true);
  }
  std::string url(path);
  if (!query.empty()) url += "?" + query;
  return url;
}

std::string time_text(std::int64_t ms) {
  std::int64_t seconds = ms / 1000;
  std::int64_t milli = ms % 1000;
  if (milli < 0) {
    milli += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}.{:03d}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
}

std::string duration_text(std::int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + " ms";
  const double s = static_cast<double>(ms) / 1000;
  if (s < 60) return js_fixed(s, s < 10 ? 2 : 1) + " s";
  const std::int64_t m = ms / 60000;
  if (m < 60) return std::to_string(m) + " m " + pad2((ms / 1000) % 60) + " s";
  const std::int64_t hours = m / 60;
  if (hours < 48) return std::to_string(hours) + " h " + pad2(m % 60) + " m";
  return std::to_string(hours / 24) + " d " + std::to_string(hours % 24) + " h";
}

std::string clip_text(std::string_view text, std::size_t max) {
  // UTF-16 units, as JavaScript's length counts: two for a character past
  // U+FFFF (a four-byte UTF-8 sequence), one for any other.
  const auto units = [](unsigned char lead) -> std::size_t { return lead >= 0xF0 ? 2 : 1; };
  std::size_t total = 0;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if ((b & 0xC0) != 0x80) total += units(b);
  }
  if (total <= max) return std::string(text);
  std::size_t kept = 0;
  std::size_t end = 0;
  std::string half;  // the script keeps half of a pair cut at max - 1, shown as U+FFFD
  while (end < text.size()) {
    const auto lead = static_cast<unsigned char>(text[end]);
    if (kept + units(lead) > max - 1) {
      if (kept < max - 1) half = "\uFFFD";
      break;
    }
    kept += units(lead);
    ++end;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  }
  return std::string(text.substr(0, end)) + half + "\u2026";
}

std::string runs_main_html(const nlohmann::json& body, const std::map<std::string, std::string>& params,
                           std::int64_t now_ms) {
  const nlohmann::json& runs = body.at("runs");
  std::string out;
  out.reserve(runs.size() * 900 + 2048);
  // runs_page.js runsPage(): h1 with the count, the form, the notice, the
  // table, the pager's slot.
  out += "<h1>Runs ";
  const std::size_t n = runs.size();
  element(out, "span", {{"class", "muted"}}, n == 0 ? std::string("no runs match")
                                                    : std::to_string(n) + (n == 1 ? " run" : " runs"));
  out += "</h1>";
  filter_form(out, params);
  open_tag(out, "p", {{"class", "notice"}, {"aria-live", "polite"}});
  close_tag(out, "p");
  out += "<table class=\"runs\"><thead><tr>";
  for (const char* column : {"status", "run", "session", "prompt", "created (UTC)", "duration", "events"}) {
    element(out, "th", {}, column);
  }
  out += "</tr></thead><tbody>";
  for (const nlohmann::json& run : runs) row(out, run, now_ms);
  out += "</tbody></table><div>";
  pager(out, params, body);
  out += "</div>";
  return out;
}

}  // namespace runjournal::serve
