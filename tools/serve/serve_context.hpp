// serve_context.hpp — what the routes of one Server share (server.cpp owns
// it; api_routes.cpp, event_stream.cpp and page_routes.cpp add routes).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>

#include <runjournal/journal.hpp>

#include "page_cache.hpp"
#include "served_journal.hpp"
#include "server.hpp"

namespace runjournal::serve {

struct ServeContext {
  ServerConfig config;
  int port = 0;
  std::vector<std::string> allowed_hosts;  // listen_address.hpp; empty: any
  // What requests and streams read through (served_journal.hpp).
  std::unique_ptr<ServedJournals> journals;
  PageCache runs_pages;  // /api/runs bodies (page_cache.hpp)
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open_streams{0};
};

using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&)>;

// Wraps a handler so that whatever it throws becomes a JSON error response
// (ApiError as it says, runjournal::Error by its code, anything else 500).
httplib::Server::Handler guarded(RouteHandler handler);

void add_api_routes(httplib::Server& server, ServeContext& context);
void add_stream_route(httplib::Server& server, ServeContext& context);
void add_page_routes(httplib::Server& server, ServeContext& context);

// The body /api/runs answers `req` with (api_routes.cpp), reused from
// context.runs_pages under `cache_key` while the journal has not moved;
// throws ApiError for bad parameters, as the route answers them.
std::shared_ptr<const std::string> runs_body(ServeContext& context, const httplib::Request& req,
                                             const std::string& cache_key);

}  // namespace runjournal::serve
