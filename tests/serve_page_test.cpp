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
    CHECK(page.rest == shell_html());  // data reaches the HTML only in the block
    const bool runs_page = path == "/" || path.rfind("/runs?", 0) == 0 || path == "/runs";
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
  // fetches the error and shows it.
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
