// listen_address.cpp — parsing --listen and checking Host headers
// (listen_address.hpp says why the check exists).
#include "listen_address.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <arpa/inet.h>

namespace runjournal::serve {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_ipv6(std::string_view host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(host).c_str(), &addr) == 1;
}

}  // namespace

ListenAddress parse_listen(std::string_view text) {
  ListenAddress address;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("an IPv6 address is written [ADDRESS]:PORT");
    }
    address.host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(address.host)) throw std::invalid_argument("'" + address.host + "' is not an IPv6 address");
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) throw std::invalid_argument("expected HOST:PORT, such as 127.0.0.1:8080");
    address.host = std::string(text.substr(0, colon));
    if (address.host.find(':') != std::string::npos) {
      throw std::invalid_argument("an IPv6 address is written [ADDRESS]:PORT");
    }
    port_text = text.substr(colon + 1);
  }
  if (address.host.empty()) throw std::invalid_argument("the host is empty (127.0.0.1 is the loopback address)");
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    throw std::invalid_argument("the port must be a number from 0 to 65535, not '" + std::string(port_text) + "'");
  }
  address.port = port;
  return address;
}

bool is_loopback(std::string_view host) {
  const std::string name = lower(host);
  if (name == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, name.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, name.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool is_wildcard(std::string_view host) {
  in_addr v4{};
  const std::string name(host);
  if (inet_pton(AF_INET, name.c_str(), &v4) == 1) return v4.s_addr == htonl(INADDR_ANY);
  in6_addr v6{};
  if (inet_pton(AF_INET6, name.c_str(), &v6) == 1) return IN6_IS_ADDR_UNSPECIFIED(&v6);
  return false;
}

std::string authority(std::string_view host, int port) {
  const std::string name = is_ipv6(host) ? "[" + std::string(host) + "]" : std::string(host);
  return name + ":" + std::to_string(port);
}

std::vector<std::string> allowed_hosts(std::string_view host, int port, const std::vector<std::string>& extra) {
  if (is_wildcard(host)) return {};
  std::vector<std::string> names = {lower(host)};
  if (is_loopback(host)) {
    // A loopback server is the same server under each loopback name.
    names.insert(names.end(), {"127.0.0.1", "localhost", "::1"});
  }
  names.insert(names.end(), extra.begin(), extra.end());
  std::vector<std::string> allowed;
  for (const std::string& name : names) {
    allowed.push_back(lower(authority(name, port)));
    // Port 80 is the one a browser leaves out of Host.
    if (port == 80) allowed.push_back(lower(is_ipv6(name) ? "[" + name + "]" : name));
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  return allowed;
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  return std::find(allowed.begin(), allowed.end(), lower(host_header)) != allowed.end();
}

}  // namespace runjournal::serve
