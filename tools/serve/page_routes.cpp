// page_routes.cpp — the pages and the files they load.
//
// Every page is the same HTML shell (assets/index.html). The shell's script
// reads the URL, fetches the page's JSON twin (/api + the page's path) and
// builds the page with text nodes (assets/dom.js). A run page for a run
// that does not exist is the shell with status 404, so the status tells the
// truth and the page explains.
//
// The runs page, the one most opened, carries its twin's first answer
// instead of fetching it: the /api/runs body for the page's own filters, in
// a <script type="application/json"> data block that the browser never runs
// (the CSP needs no exception) and the script reads with JSON.parse. It is
// the only data ever written into HTML, and it is JSON escaped for HTML
// (json_for_html: no '<', '>' or '&' in it), so no text in the journal can
// end the block or become markup. That saves the round trip that used to
// follow the script's loading (docs/serve.md, "Speed").
#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "embedded_files.hpp"
#include "http_support.hpp"
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

// The parameters of a runs page that its script passes on to /api/runs:
// the filters and cursors, when not empty (an empty form field means "any").
constexpr const char* kRunsPageToApi[] = {"status", "session", "since", "until", "q", "order", "limit", "after",
                                          "before"};

// The runs page: the shell with the /api/runs body for its parameters
// before </body>; without it when that body is an error, so the script
// fetches it and shows the error as on any other page.
void send_runs_page(ServeContext& ctx, const httplib::Request& req, httplib::Response& res) {
  httplib::Request api;
  nlohmann::json key = nlohmann::json::object();
  for (const char* name : kRunsPageToApi) {
    const auto it = req.params.find(name);
    if (it == req.params.end() || it->second.empty()) continue;
    api.params.emplace(name, it->second);
    key[name] = it->second;
  }
  std::shared_ptr<const std::string> body;
  try {
    body = runs_body(ctx, api, "runs page " + dump(key));
  } catch (const ApiError&) {
  } catch (const Error&) {
  }
  if (!body) return send_asset(req, res, shell(), "no-cache");
  static const std::string_view html = shell().bytes;
  static const std::size_t end = std::min(html.rfind("</body>"), html.size());
  std::string page;
  page.reserve(html.size() + body->size() + body->size() / 8 + 64);
  page.append(html.substr(0, end));
  page += "<script type=\"application/json\" id=\"runs-data\">";
  page += json_for_html(*body);
  page += "</script>\n";
  page.append(html.substr(end));
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
