// listen_address.hpp — where `runjournal serve` listens, and which Host
// headers it answers.
//
// The Host check is the defence against DNS rebinding: a hostile web page
// that makes its own name resolve to 127.0.0.1 can reach a loopback server
// from the victim's browser, but its requests carry its own name in Host.
// So a server on a loopback address answers only the names of that
// address; one on a specific other address only that address (and the names
// given with --allow-host); one on a wildcard address (0.0.0.0, ::) any
// name, which is safe only because a non-loopback server requires a token
// (server.hpp), and a rebinding page cannot know the token.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace runjournal::serve {

struct ListenAddress {
  std::string host;  // as given, IPv6 without brackets: "127.0.0.1", "::1", "localhost", "0.0.0.0"
  int port = 8080;   // 0: any free port, chosen when binding
};

// Parses "HOST:PORT" or "[IPV6]:PORT" (port 0 to 65535). Throws
// std::invalid_argument saying what is wrong.
ListenAddress parse_listen(std::string_view text);

// 127.0.0.0/8, ::1 and "localhost": reachable from this machine only.
bool is_loopback(std::string_view host);
// 0.0.0.0 and :: (every interface).
bool is_wildcard(std::string_view host);

// "127.0.0.1:8080", "[::1]:8080": the authority part of the server's URL.
std::string authority(std::string_view host, int port);

// The Host header values a server on `host`:`port` answers (lower case);
// empty means any (a wildcard address). `extra` are --allow-host names.
std::vector<std::string> allowed_hosts(std::string_view host, int port, const std::vector<std::string>& extra);

// True when `host_header` (as sent, any case) is one of `allowed`, or
// `allowed` is empty.
bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed);

}  // namespace runjournal::serve
