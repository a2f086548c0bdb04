// page_routes.cpp — the pages and the files they load.
//
// Every page is the same HTML shell (assets/index.html). The shell's script
// reads the URL, fetches the page's JSON twin (/api + the page's path) and
// builds the page with text nodes (assets/dom.js). A run page for a run
// that does not exist is the shell with status 404, so the status tells the
// truth and the page explains.
//
// The runs page, the one most opened, is drawn by the server: its HTML
// holds, inside <main>, the first screen as runs_page.js would draw it
// (runs_page_html.cpp), so the browser paints the runs without waiting for
// the script, and the script takes those elements over. Journal text goes
// into that markup only as escaped text (html_text) or percent-encoded
// links. The page also carries its twin's answer, the /api/runs body for
// its filters, in a <script type="application/json"> data block that the
// browser never runs (the CSP needs no exception) and the script reads with
// JSON.parse for its live updates; it is JSON escaped for HTML
// (json_for_html: no '<', '>' or '&' in it), so no text in the journal can
// end the block or become markup (docs/serve.md, "Speed", "Security model").
#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "embedded_files.hpp"
#include "http_support.hpp"
#include "runs_page_html.hpp"
#include "serve_context.hpp"

namespace runjournal::serve {
namespace {

void send_asset(const httplib::Request& req, httplib::Response& res, const Asset& asset, const char* cache) {
  res.set_header("ETag", asset.etag);
  res.set_header("Cache-Control", cache);
  if (req.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  set_static_body(res, asset.bytes, std::string(asset.content_type));
}

const Asset& shell() {
  static const Asset page = *find_asset("index.html");
  return page;
}

constexpr const char* kMainOpen = "<main id=\"main\">";

// The parameters of a runs page that its script passes on to /api/runs:
// the filters and cursors, when not empty (an empty form field means "any").
constexpr const char* kRunsPageToApi[] = {"status", "session", "since", "until", "q", "order", "limit", "after",
                                          "before"};

// The runs page's HTML: the shell, with <main> holding the first screen as
// the server draws it (runs_page_html.cpp), the page's /api/runs body in a
// data block before </body>, its title and nav link as the script sets
// them, its script no longer blocking rendering, since the page is there
// without it, and app.css inline, so the first frame waits for no request
// after the HTML (the CSP allows that one text by its hash,
// security_headers()). The parts around the drawing are made once, from
// the shell and app.css alone, so nothing in the journal can be mistaken
// for what they change.
struct RunsShell {
  std::string before_main;      // up to and with <main id="main">
  std::string_view after_main;  // from </main> to </body>
  std::string_view end;         // </body> on
};

// `text` with `from` replaced by `to`; `from` must occur exactly once.
void replace_once(std::string& text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
    throw std::logic_error(fmt::format("index.html does not hold {} exactly once", from));
  }
  text.replace(at, from.size(), to);
}

const RunsShell& runs_shell() {
  static const RunsShell parts = [] {
    const std::string_view html = shell().bytes;
    const std::size_t main_open = html.find(kMainOpen);
    const std::size_t main_close = html.find("</main>");
    const std::size_t body_close = html.rfind("</body>");
    if (main_open == std::string_view::npos || main_close == std::string_view::npos ||
        body_close == std::string_view::npos || !(main_open < main_close && main_close < body_close)) {
      throw std::logic_error("index.html lacks <main id=\"main\">…</main> before </body>");
    }
    std::string before(html.substr(0, main_open + std::string_view(kMainOpen).size()));
    replace_once(before, " blocking=\"render\"", "");
    const std::string_view css = find_asset("app.css")->bytes;
    if (css.find("</") != std::string_view::npos) throw std::logic_error("app.css holds \"</\": it cannot be inline");
    replace_once(before, "<link rel=\"stylesheet\" href=\"/assets/app.css\">", fmt::format("<style>{}</style>", css));
    replace_once(before, "id=\"nav-runs\"", "id=\"nav-runs\" class=\"current\"");
    replace_once(before, "<title>runjournal</title>", "<title>runs \u00b7 runjournal</title>");  // as app.js names it
    return RunsShell{std::move(before), html.substr(main_close, body_close - main_close), html.substr(body_close)};
  }();
  return parts;
}

// The runs page: as above; the plain shell when the /api/runs body is an
// error, so the script fetches it and shows the error as on any other page.
void send_runs_page(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::map<std::string, std::string> params;
  for (const char* name : kRunsPageToApi) {
    const auto it = req.params.find(name);
    if (it != req.params.end() && !it->second.empty()) params.emplace(name, it->second);
  }
  httplib::Request api;
  api.params.insert(params.begin(), params.end());
  std::shared_ptr<const std::string> body;
  try {
    body = runs_body(ctx, api, "runs page " + dump(nlohmann::json(params)));
  } catch (const ApiError&) {
  } catch (const Error&) {
  }
  if (!body) return send_asset(req, res, shell(), "no-cache");
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::string drawn = runs_main_html(nlohmann::json::parse(*body), params, now_ms);
  const RunsShell& parts = runs_shell();
  std::string page;
  page.reserve(shell().bytes.size() + drawn.size() + body->size() + body->size() / 8 + 64);
  page.append(parts.before_main);
  page += drawn;
  page.append(parts.after_main);
  page += "<script type=\"application/json\" id=\"runs-data\">";
  page += json_for_html(*body);
  page += "</script>\n";
  page.append(parts.end);
  res.set_header("Cache-Control", "no-store");  // it holds journal data
  set_body(res, std::move(page), std::string(shell().content_type));
}

}  // namespace

void add_page_routes(httplib::Server& server, ServeContext& ctx) {
  // Pages revalidate every time (cheap: a 304), so a page never runs a
  // script older than the binary serving it.
  const auto page = guarded([](const httplib::Request& req, httplib::Response& res) {
    Params params(req, {"status", "session", "since", "until", "q", "limit", "after", "before", "order",
                        "include_interrupted"});
    send_asset(req, res, shell(), "no-cache");
  });
  const auto runs_page = guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
    Params params(req, {"status", "session", "since", "until", "q", "limit", "after", "before", "order",
                        "include_interrupted"});
    send_runs_page(ctx, req, res);
  });
  for (const char* path : {"/", "/runs"}) server.Get(path, runs_page);
  for (const char* path : {"/recovery", "/stats"}) server.Get(path, page);
  server.Get("/sql", guarded([](const httplib::Request& req, httplib::Response& res) {
               Params params(req, {"q"});
               send_asset(req, res, shell(), "no-cache");
             }));
  server.Get("/runs/(.+)", guarded([&ctx](const httplib::Request& req, httplib::Response& res) {
               Params params(req, {});
               const std::string run_id = req.matches[1];
               const bool exists = run_id.size() <= 1024 && ctx.journals->with([&](const Journal& journal) {
                 return journal.run(run_id).has_value();
               });
               if (exists) {
                 send_asset(req, res, shell(), "no-cache");
               } else {
                 res.status = 404;
                 res.set_header("Cache-Control", "no-store");
                 set_static_body(res, shell().bytes, std::string(shell().content_type));
               }
             }));
  server.Get("/assets/(.+)", guarded([](const httplib::Request& req, httplib::Response& res) {
               Params params(req, {});
               const std::optional<Asset> asset = find_asset(std::string(req.matches[1]));
               if (!asset || req.matches[1] == "index.html") throw ApiError(404, "not_found", "no such file");
               send_asset(req, res, *asset, "no-cache");
             }));
  server.Get("/favicon.ico", guarded([](const httplib::Request& req, httplib::Response& res) {
               send_asset(req, res, *find_asset("favicon.svg"), "max-age=86400");
             }));
}

}  // namespace runjournal::serve
