// serve_page_test: the pages of `runjournal serve` and the files they load,
// from the real binary over HTTP and from the embedded files themselves:
// every page is the one shell under the CSP; the shell loads one script,
// the bundle of the page's modules; the runs page carries its first
// /api/runs answer as a JSON data block that no text in the journal can
// break out of; assets revalidate by ETag.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "serve_support.hpp"
#include "serve/embedded_files.hpp"
#include "serve/http_support.hpp"
#include "serve/runs_page_html.hpp"

using namespace runjournal::test::serve;

namespace {

constexpr const char* kDataOpen = "<script type=\"application/json\" id=\"runs-data\">";

std::string shell_html() {
  const std::optional<runjournal::serve::Asset> index = runjournal::serve::find_asset("index.html");
  REQUIRE(index);
  return std::string(index->bytes);
}

// A runs page split into the shell around its data block and the block's
// text; `block` is nullopt when the page has none.
struct RunsPage {
  std::string rest;
  std::optional<std::string> block;
};

RunsPage split_runs_page(const std::string& html) {
  const std::size_t open = html.find(kDataOpen);
  if (open == std::string::npos) return {html, std::nullopt};
  const std::size_t start = open + std::string(kDataOpen).size();
  const std::size_t close = html.find("</script>\n", start);
  REQUIRE(close != std::string::npos);
  CHECK(html.find(kDataOpen, close) == std::string::npos);  // one block at most
  return {html.substr(0, open) + html.substr(close + std::string("</script>\n").size()),
          html.substr(start, close - start)};
}

std::string app_css() { return std::string(runjournal::serve::find_asset("app.css")->bytes); }

// A runs page with what the server drew put back as the shell has it: the
// inside of <main> as the shell's, the script's blocking="render" back, the
// nav link no longer marked, the title the shell's, the link to app.css in
// place of its text. `main` gets what was inside <main>.
std::string as_shell(std::string html, std::string* main = nullptr) {
  const std::string open = "<main id=\"main\">";
  const std::size_t from = html.find(open);
  const std::size_t to = html.find("</main>");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::size_t inner = from + open.size();
  if (main) *main = html.substr(inner, to - inner);
  html.replace(inner, to - inner, "<p class=\"muted\">Loading…</p>");
  const auto swap = [&html](const std::string& from_text, const std::string& to_text) {
    const std::size_t at = html.find(from_text);
    REQUIRE(at != std::string::npos);
    html.replace(at, from_text.size(), to_text);
  };
  swap("<script type=\"module\" src=\"/assets/bundle.js\">", "<script type=\"module\" src=\"/assets/bundle.js\" blocking=\"render\">");
  swap("id=\"nav-runs\" class=\"current\"", "id=\"nav-runs\"");
  swap("<title>runs \u00b7 runjournal</title>", "<title>runjournal</title>");
  swap("<style>" + app_css() + "</style>", "<link rel=\"stylesheet\" href=\"/assets/app.css\">");
  return html;
}

}  // namespace

TEST_CASE("every page is the HTML shell with the CSP; only the runs page adds data, as a JSON block") {
  Fixture fx;
  Served s(fx.db);
  httplib::Client c = s.client();
  for (const std::string path : {"/", "/runs", "/runs?status=failed", "/runs/run-live", "/runs/run-hostile",
                                 "/recovery", "/sql?q=SELECT%201", "/stats"}) {
    CAPTURE(path);
    const httplib::Result r = c.Get(path.c_str());
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
    const std::string csp = r->get_header_value("Content-Security-Policy");
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(r->get_header_value("X-Content-Type-Options") == "nosniff");
    const RunsPage page = split_runs_page(r->body);
    const bool runs_page = path == "/" || path.rfind("/runs?", 0) == 0 || path == "/runs";
    // Data reaches the HTML only in the block and, on the runs page, in
    // what the server draws inside <main> (the next cases).
    CHECK((runs_page ? as_shell(page.rest) : page.rest) == shell_html());
    CHECK(page.block.has_value() == runs_page);
    CHECK(r->get_header_value("Cache-Control") == (runs_page ? "no-store" : "no-cache"));
  }
  const httplib::Result missing = c.Get("/runs/no-such-run");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->body == shell_html());  // the page still explains itself
}

TEST_CASE("the runs page's block is /api/runs for the page's filters, hostile text escaped, never markup") {
  Fixture fx;
  Served s(fx.db);
  httplib::Client c = s.client();
  // Empty form fields mean "any", as the page's script reads them; cursors
  // and the limit are passed on.
  const json all = get_json(s, "/api/runs");
  for (const auto& paths : std::vector<std::pair<std::string, std::string>>{
           {"/runs", "/api/runs"},
           {"/", "/api/runs"},
           {"/runs?status=&session=&since=&until=&q=&order=newest", "/api/runs?order=newest"},
           {"/runs?status=failed", "/api/runs?status=failed"},
           {"/runs?session=s-a&limit=1", "/api/runs?session=s-a&limit=1"},
           {"/runs?q=" + url_encode("<img"), "/api/runs?q=" + url_encode("<img")},
           {"/runs?order=oldest&after=run-done", "/api/runs?order=oldest&after=run-done"}}) {
    // Named copies, not structured bindings: CAPTURE's lambda cannot see a
    // binding under clang 14.
    const std::string& page_path = paths.first;
    const std::string& api_path = paths.second;
    CAPTURE(page_path);
    const httplib::Result r = c.Get(page_path.c_str());
    REQUIRE(r);
    CHECK(r->status == 200);
    const RunsPage page = split_runs_page(r->body);
    REQUIRE(page.block);
    for (const char markup : {'<', '>', '&'}) CHECK(page.block->find(markup) == std::string::npos);
    CHECK(json::parse(*page.block) == get_json(s, api_path));
  }
  // The hostile run is on the first page, its prompt byte for byte.
  const RunsPage first = split_runs_page(c.Get("/runs")->body);
  REQUIRE(first.block);
  const json body = json::parse(*first.block);
  CHECK(ids(body["runs"]) == ids(all["runs"]));
  CHECK(body["runs"][0]["run_id"] == "run-hostile");
  CHECK(body["runs"][0]["prompt"] == kHostile);
  CHECK(first.block->find("\\u003c/script\\u003e") != std::string::npos);
  // A page whose filters /api/runs refuses is the bare shell: its script
  // fetches the error and shows it (and nothing is drawn into it).
  for (const std::string path : {"/runs?status=nope", "/runs?limit=0", "/runs?since=yesterday-ish"}) {
    CAPTURE(path);
    const httplib::Result r = c.Get(path.c_str());
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == shell_html());
  }
  // A parameter no page knows is refused, as before.
  CHECK(get_json(s, "/runs?colour=red", 400)["error"]["code"] == "unknown_parameter");
}

TEST_CASE("the runs page draws its runs into <main>, journal text as text and never markup") {
  Fixture fx;
  Served s(fx.db);
  httplib::Client c = s.client();
  for (const std::string path : {"/runs", "/runs?session=s-c", "/runs?limit=1", "/runs?limit=1&after=run-hostile",
                                 "/runs?order=oldest&status=failed", "/runs?q=nothing-has-this"}) {
    CAPTURE(path);
    const httplib::Result r = c.Get(path.c_str());
    REQUIRE(r);
    const RunsPage page = split_runs_page(r->body);
    REQUIRE(page.block);
    const json body = json::parse(*page.block);
    std::string main;
    as_shell(page.rest, &main);
    // One row per run of the page, in its order.
    std::vector<std::string> drawn;
    const std::regex row("<tr data-run-id=\"([^\"]*)\"");
    for (std::sregex_iterator it(main.begin(), main.end(), row), end; it != end; ++it) drawn.push_back((*it)[1]);
    std::vector<std::string> expected;
    for (const json& run : body["runs"]) expected.push_back(runjournal::serve::html_text(run["run_id"].get<std::string>()));
    CHECK(drawn == expected);
    // Every tag in it is one the page's script makes: no journal text
    // became an element.
    const std::regex tag("<(/?)([A-Za-z][A-Za-z0-9]*)");
    for (std::sregex_iterator it(main.begin(), main.end(), tag), end; it != end; ++it) {
      const std::string name = (*it)[2];
      CAPTURE(name);
      CHECK(std::string(" h1 span form select option input button a p table thead tbody tr th td div nav ").find(" " + name + " ") != std::string::npos);
    }
    CHECK(main.find("<img") == std::string::npos);
    CHECK(main.find("<script") == std::string::npos);
  }
  // The hostile prompt: as escaped text in its cell and in its title.
  const RunsPage first = split_runs_page(c.Get("/runs?session=s-c")->body);
  std::string main;
  as_shell(first.rest, &main);
  const std::string escaped = runjournal::serve::html_text(kHostile);
  CHECK(main.find("<td class=\"prompt\" title=\"" + escaped + "\">" + escaped + "</td>") != std::string::npos);
  // The form shows the page's own filters, escaped as well.
  const std::string odd = "a \"quoted\" <session> & more";
  const RunsPage filtered = split_runs_page(c.Get(("/runs?session=" + url_encode(odd)).c_str())->body);
  as_shell(filtered.rest, &main);
  CHECK(main.find("<input name=\"session\" value=\"" + runjournal::serve::html_text(odd) + "\"") != std::string::npos);
  CHECK(main.find("no runs match") != std::string::npos);
}

TEST_CASE("the runs page's text is format.js's: times, durations, clipping, links") {
  using namespace runjournal::serve;
  CHECK(html_text("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  // encodeURIComponent and URLSearchParams, as the script's links use them.
  CHECK(encode_uri_component("run a/b?c=d&e") == "run%20a%2Fb%3Fc%3Dd%26e");
  CHECK(encode_uri_component("-_.!~*'()") == "-_.!~*'()");
  CHECK(encode_uri_component("\xc3\xbc") == "%C3%BC");
  CHECK(page_url("/runs", {{"session", "a b&c"}, {"q", ""}, {"after", "run/1"}}) == "/runs?session=a+b%26c&after=run%2F1");
  CHECK(page_url("/runs", {{"session", ""}}) == "/runs");
  CHECK(page_url("/runs", {{"q", "~!'()*"}}) == "/runs?q=%7E%21%27%28%29*");
  // new Date(ms).toISOString(), as "YYYY-MM-DD HH:MM:SS.mmm".
  CHECK(time_text(0) == "1970-01-01 00:00:00.000");
  CHECK(time_text(-1) == "1969-12-31 23:59:59.999");
  CHECK(time_text(1738324800250) == "2025-01-31 12:00:00.250");
  // duration(): toFixed rounds a tie up (1.125 -> 1.13), and a value just
  // under one down (1.005 is 1.00499…).
  CHECK(duration_text(-5) == "0 ms");
  CHECK(duration_text(999) == "999 ms");
  CHECK(duration_text(1125) == "1.13 s");
  CHECK(duration_text(1005) == "1.00 s");
  CHECK(duration_text(9999) == "10.00 s");
  CHECK(duration_text(10250) == "10.3 s");
  CHECK(duration_text(59999) == "60.0 s");
  CHECK(duration_text(65000) == "1 m 05 s");
  CHECK(duration_text(7200000) == "2 h 00 m");
  CHECK(duration_text(2 * 86400000LL + 3600000) == "2 d 1 h");
  // clip(): UTF-16 units, as JavaScript counts; a character cut in half
  // shows as U+FFFD, as the browser shows the half the script keeps.
  CHECK(clip_text("abc", 3) == "abc");
  CHECK(clip_text("abcd", 3) == "ab\u2026");
  CHECK(clip_text("a\U0001F600b", 4) == "a\U0001F600b");
  CHECK(clip_text("a\U0001F600bc", 4) == "a\U0001F600\u2026");
  CHECK(clip_text("a\U0001F600bc", 3) == "a\uFFFD\u2026");
  CHECK(clip_text("\u00fc\u00fc\u00fc", 2) == "\u00fc\u2026");
}

TEST_CASE("json_for_html: no '<', '>' or '&' survives, and JSON.parse gives back the same value") {
  const json value = {{"prompt", kHostile},
                      {"more", "</SCRIPT><!-- a && b --> <\\/script> \u2028 \u2029 é 💥"},
                      {"list", {1, "</script", nullptr}}};
  const std::string text = runjournal::serve::json_for_html(runjournal::serve::dump(value));
  for (const char markup : {'<', '>', '&'}) CHECK(text.find(markup) == std::string::npos);
  CHECK(json::parse(text) == value);
  CHECK(runjournal::serve::json_for_html("{\"a\":\"<&>\"}") == "{\"a\":\"\\u003c\\u0026\\u003e\"}");
}

TEST_CASE("the shell loads one script, the bundle; no file has inline script or style, or parses data as HTML") {
  const std::string html = shell_html();
  CHECK(std::regex_search(html, std::regex("<script(?![^>]*\\bsrc=)")) == false);
  CHECK(std::regex_search(html, std::regex("\\son[a-z]+\\s*=", std::regex::icase)) == false);
  CHECK(html.find("style=") == std::string::npos);
  CHECK(html.find("<script type=\"module\" src=\"/assets/bundle.js\" blocking=\"render\"></script>") != std::string::npos);
  std::smatch m;
  std::string rest = html;
  int script_tags = 0;
  while (std::regex_search(rest, m, std::regex("<script\\b"))) {
    ++script_tags;
    rest = m.suffix();
  }
  CHECK(script_tags == 1);
  std::vector<std::string> scripts;
  for (const runjournal::serve::EmbeddedFile& file : runjournal::serve::embedded_files()) {
    const std::string name(file.name);
    if (name.size() < 3 || name.substr(name.size() - 3) != ".js") continue;
    scripts.push_back(name);
    const std::string code(file.bytes);
    for (const char* sink : {".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                             "new Function", "DOMParser", "createContextualFragment"}) {
      CHECK_MESSAGE(code.find(sink) == std::string::npos, sink);
    }
    // Every module of the page is in it, once, each after what it imports.
    std::vector<std::size_t> at;
    for (const char* module : {"dom.js", "api.js", "format.js", "json_tree.js", "timeline.js", "runs_page.js",
                               "run_page.js", "other_pages.js", "app.js"}) {
      CAPTURE(module);
      const std::string marker = std::string("\n// ---- ") + module + "\n";
      const std::size_t pos = code.find(marker);
      REQUIRE(pos != std::string::npos);
      CHECK(code.find(marker, pos + 1) == std::string::npos);
      at.push_back(pos);
    }
    CHECK(at[0] < at[1]);  // dom.js before api.js (api imports dom)
    CHECK(at[1] < at[5]);  // api.js before runs_page.js
    CHECK(at[4] < at[6]);  // timeline.js before run_page.js
    CHECK(at[8] == *std::max_element(at.begin(), at.end()));  // the entry last
    CHECK(code.find("\nimport ") == std::string::npos);
    CHECK(code.find("\nexport ") == std::string::npos);
  }
  CHECK(scripts == std::vector<std::string>{"bundle.js"});
}

TEST_CASE("the runs page carries app.css inline, and the CSP allows that text by its hash and nothing else") {
  // The hash as any tool computes it: printf '' | openssl dgst -sha256 -binary | base64.
  CHECK(runjournal::serve::csp_hash_source("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
  CHECK(runjournal::serve::csp_hash_source("abc") == "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
  Fixture fx;
  Served s(fx.db);
  httplib::Client c = s.client();
  const std::string allowed = "style-src 'self' " + runjournal::serve::csp_hash_source(app_css()) + ";";
  for (const char* path : {"/runs", "/runs?status=failed", "/recovery", "/runs/run-live", "/api/runs"}) {
    CAPTURE(path);
    const httplib::Result r = c.Get(path);
    REQUIRE(r);
    CHECK(r->get_header_value("Content-Security-Policy").find(allowed) != std::string::npos);
    const bool runs_page = std::string(path).rfind("/runs", 0) == 0 && std::string(path).find("/runs/") != 0;
    if (std::string(path).rfind("/api/", 0) == 0) continue;
    // The runs page: the stylesheet's text, once, and no request for it.
    CHECK((r->body.find("<style>" + app_css() + "</style>") != std::string::npos) == runs_page);
    CHECK((r->body.find("<style") == r->body.rfind("<style")));
    CHECK((r->body.find("href=\"/assets/app.css\"") == std::string::npos) == runs_page);
  }
}

TEST_CASE("assets are served from the binary with their types and revalidate by ETag") {
  Fixture fx;
  Served s(fx.db);
  httplib::Client c = s.client();
  const httplib::Result js = c.Get("/assets/bundle.js");
  REQUIRE(js);
  CHECK(js->status == 200);
  CHECK(js->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(js->body == std::string(runjournal::serve::find_asset("bundle.js")->bytes));
  const std::string etag = js->get_header_value("ETag");
  REQUIRE(!etag.empty());
  const httplib::Result again = c.Get("/assets/bundle.js", {{"If-None-Match", etag}});
  REQUIRE(again);
  CHECK(again->status == 304);
  CHECK(again->body.empty());
  CHECK(c.Get("/assets/app.css")->get_header_value("Content-Type") == "text/css; charset=utf-8");
  // Sent as they are even to a client that takes brotli (the library would
  // spend 10-30 ms compressing each, on every request).
  c.set_decompress(false);
  for (const std::string path : {"/assets/bundle.js", "/runs", "/api/runs", "/api/sql?q=SELECT%201&format=csv"}) {
    CAPTURE(path);
    const httplib::Result r = c.Get(path.c_str(), {{"Accept-Encoding", "gzip, deflate, br"}});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(!r->has_header("Content-Encoding"));
  }
  // The modules are in the bundle, not served one by one.
  CHECK(get_json(s, "/assets/app.js", 404)["error"]["code"] == "not_found");
  CHECK(get_json(s, "/assets/nope.js", 404)["error"]["code"] == "not_found");
}
