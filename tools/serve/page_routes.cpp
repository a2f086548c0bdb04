// page_routes.cpp — the pages and the files they load.
//
// Every page is the same HTML shell (assets/index.html): no data is ever
// written into HTML on the server, so there is no server-side escaping to
// get wrong. The shell's script reads the URL, fetches the page's JSON twin
// (/api + the page's path) and builds the page with text nodes
// (assets/dom.js). A run page for a run that does not exist is the shell
// with status 404, so the status tells the truth and the page explains.
#include <string>

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

}  // namespace

void add_page_routes(httplib::Server& server, ServeContext& ctx) {
  // Pages revalidate every time (cheap: a 304), so a page never runs a
  // script older than the binary serving it.
  const auto page = guarded([](const httplib::Request& req, httplib::Response& res) {
    Params params(req, {"status", "session", "since", "until", "q", "limit", "after", "before", "order",
                        "include_interrupted"});
    send_asset(req, res, shell(), "no-cache");
  });
  for (const char* path : {"/", "/runs", "/recovery", "/stats"}) server.Get(path, page);
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
