// server.cpp — the HTTP server around the routes: threads, timeouts, the
// checks every request passes before any route (method, Host, origin,
// token), and JSON bodies for the errors cpp-httplib answers itself.
#include "server.hpp"

#include <algorithm>

#include <sys/socket.h>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "http_support.hpp"
#include "listen_address.hpp"
#include "serve_context.hpp"
#include "served_journal.hpp"

namespace runjournal::serve {
namespace {

// Requests read no body (every route is a GET); a client that sends one
// anyway is cut off early.
constexpr std::size_t kMaxBodyBytes = 4096;
// Connections the kernel queues before the server accepts them.
constexpr int kListenBacklog = 1024;

bool equal_constant_time(std::string_view a, std::string_view b) {
  // The time depends on the lengths only, never on where they differ.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

// The value of cookie `name` in a Cookie header, or empty.
std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = std::min(header.find(';'), header.size());
    std::string_view pair = header.substr(0, end);
    header.remove_prefix(std::min(end + 1, header.size()));
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return {};
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return text;
}

std::string shown(const std::string& text) { return text.size() > 100 ? text.substr(0, 100) + "…" : text; }

}  // namespace

httplib::Server::Handler guarded(RouteHandler handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (const ApiError& e) {
      set_error(res, e.status(), e.code(), e.what());
    } catch (const Error& e) {
      set_error(res, status_for(e.code()), to_string(e.code()), e.what());
    } catch (const std::exception& e) {
      set_error(res, 500, "internal", e.what());
    }
  };
}

struct Server::Impl {
  ServeContext context;
  httplib::Server http;

  std::string cookie_name() const { return fmt::format("runjournal_token_{}", context.port); }

  // The checks before any route. Handled means `res` holds the refusal.
  httplib::Server::HandlerResponse check(const httplib::Request& req, httplib::Response& res) const {
    using Outcome = httplib::Server::HandlerResponse;
    if (req.method != "GET" && req.method != "HEAD") {
      res.set_header("Allow", "GET, HEAD");
      res.set_header("Connection", "close");  // its body, if any, was not read
      set_error(res, 405, "method_not_allowed", "runjournal serve is read-only: it answers GET and HEAD only");
      return Outcome::Handled;
    }
    const std::string host = req.get_header_value("Host");
    if (host.empty() || !host_allowed(host, context.allowed_hosts)) {
      set_error(res, 403, "forbidden_host",
                fmt::format("Host '{}' is not this server's address (expected {})", shown(host),
                            context.allowed_hosts.empty() ? "any" : context.allowed_hosts.front()));
      return Outcome::Handled;
    }
    // A browser names the page a request comes from. Another origin may
    // link to a page (a navigation), but not fetch from this one.
    if (req.has_header("Origin") && lower(req.get_header_value("Origin")) != "http://" + lower(host)) {
      set_error(res, 403, "cross_origin", "requests from another origin are refused");
      return Outcome::Handled;
    }
    const std::string site = req.get_header_value("Sec-Fetch-Site");
    if (!site.empty() && site != "same-origin" && site != "none" &&
        req.get_header_value("Sec-Fetch-Mode") != "navigate") {
      set_error(res, 403, "cross_origin", "requests from another site are refused");
      return Outcome::Handled;
    }
    if (context.config.token) {
      const std::string& token = *context.config.token;
      const std::string authorization = req.get_header_value("Authorization");
      const bool by_header = authorization.rfind("Bearer ", 0) == 0 &&
                             equal_constant_time(authorization.substr(7), token);
      const bool by_cookie = equal_constant_time(cookie_value(req.get_header_value("Cookie"), cookie_name()), token);
      const bool by_param = req.has_param("token") && equal_constant_time(req.get_param_value("token"), token);
      if (!by_header && !by_cookie && !by_param) {
        res.set_header("WWW-Authenticate", "Bearer");
        set_error(res, 401, "unauthorized",
                  "this server needs its token: open the URL it printed, or send Authorization: Bearer TOKEN");
        return Outcome::Handled;
      }
      if (by_param && !by_cookie) {
        // The page's own requests (fetch, EventSource) then carry it.
        res.set_header("Set-Cookie", fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", cookie_name(), token));
      }
    }
    return Outcome::Unhandled;
  }
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>()) {
  ServeContext& ctx = impl_->context;
  if (config.token) {
    const std::string& token = *config.token;
    const bool safe = std::all_of(token.begin(), token.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
             c == '.' || c == '~';
    });
    if (token.size() < 16 || !safe) {
      throw std::invalid_argument("--token must be at least 16 characters of A-Z a-z 0-9 - _ . ~ (openssl rand -hex 16)");
    }
  } else if (!is_loopback(config.host)) {
    throw std::invalid_argument(fmt::format(
        "--listen {} is reachable from other machines: give a --token as well (or listen on 127.0.0.1)",
        authority(config.host, config.port)));
  }
  ctx.config = std::move(config);
  ctx.journals = std::make_unique<ServedJournals>(ctx.config.journal, ctx.config.readers);

  httplib::Server& http = impl_->http;
  const std::size_t threads = std::max<std::size_t>(ctx.config.threads, ctx.config.max_streams + 4);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_keep_alive_max_count(100'000);
  http.set_keep_alive_timeout(5);
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_payload_max_length(kMaxBodyBytes);
  http.set_tcp_nodelay(true);
  http.set_default_headers(security_headers());
  Impl* impl = impl_.get();
  http.set_pre_routing_handler(
      [impl](const httplib::Request& req, httplib::Response& res) { return impl->check(req, res); });
  // cpp-httplib answers some errors itself (no route, a request line past
  // 8 KiB, a malformed request) with an empty body: give them the JSON one.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!has_body(res)) {
      set_error(res, res.status, code_for_status(res.status), message_for_status(res.status));
    }
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    set_error(res, 500, "internal", "the request failed inside the server");
  });
  add_api_routes(http, ctx);
  add_stream_route(http, ctx);
  add_page_routes(http, ctx);

  // cpp-httplib 0.11 listens with a backlog of 5 (compiled into Debian's
  // library): 50 clients connecting at once overflow it, and the dropped
  // ones retry a second later. Linux lets a second listen() on the socket
  // raise it, so the socket is kept from the options callback, which sees
  // the listening socket before it binds.
  int listening = -1;
  http.set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);
    if (listening < 0) listening = sock;
  });
  const std::string& host = ctx.config.host;
  if (ctx.config.port == 0) {
    ctx.port = http.bind_to_any_port(host);
    if (ctx.port <= 0) throw std::runtime_error(fmt::format("cannot listen on {}: no free port", host));
  } else {
    if (!http.bind_to_port(host, ctx.config.port)) {
      throw std::runtime_error(fmt::format("cannot listen on {}: the address is in use or not this machine's",
                                           authority(host, ctx.config.port)));
    }
    ctx.port = ctx.config.port;
  }
  if (listening >= 0) ::listen(listening, kListenBacklog);
  http.set_socket_options(httplib::default_socket_options);
  ctx.allowed_hosts = allowed_hosts(host, ctx.port, ctx.config.allow_hosts);
}

Server::~Server() { stop(); }

int Server::port() const noexcept { return impl_->context.port; }

std::string Server::url() const {
  const std::string& host = impl_->context.config.host;
  // A wildcard address is not one to browse to; this machine's loopback is.
  const std::string shown = is_wildcard(host) ? "127.0.0.1" : host;
  return fmt::format("http://{}/", authority(shown, impl_->context.port));
}

void Server::run() { impl_->http.listen_after_bind(); }

void Server::stop() {
  impl_->context.stopping = true;
  impl_->http.stop();
}

}  // namespace runjournal::serve
