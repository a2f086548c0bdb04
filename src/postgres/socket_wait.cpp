// socket_wait.cpp — poll(2) with a steady-clock deadline.
#include "postgres/socket_wait.hpp"

#include <cerrno>

#include <poll.h>

namespace runjournal::pg::detail {

bool wait_socket(int fd, SocketEvent event, const Deadline& deadline) {
  if (fd < 0) return true;
  pollfd p{};
  p.fd = fd;
  p.events = event == SocketEvent::Readable   ? POLLIN
             : event == SocketEvent::Writable ? POLLOUT
                                              : static_cast<short>(POLLIN | POLLOUT);
  while (true) {
    int wait_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      // poll takes an int of milliseconds; a longer wait is taken in turns.
      wait_ms = left.count() > 60'000 ? 60'000 : static_cast<int>(left.count());
    }
    const int n = ::poll(&p, 1, wait_ms);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // the libpq call that follows reports it
    // n == 0: this turn's time is up; the loop decides whether the deadline is.
  }
}

}  // namespace runjournal::pg::detail
