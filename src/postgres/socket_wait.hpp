// postgres/socket_wait.hpp — waiting on a libpq socket with a deadline.
//
// libpq's blocking calls wait without a limit; the layer sends and receives
// through its asynchronous calls instead and waits here, on poll(2), so
// every wait has an end the caller chose.
#pragma once

#include <chrono>
#include <optional>

namespace runjournal::pg::detail {

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

enum class SocketEvent { Readable, Writable, ReadableOrWritable };

// True when the socket is ready (or in error: the next libpq call tells
// which), false when the deadline passed first; no deadline waits for ever.
// A signal does not end the wait early. An invalid socket (-1) is "ready",
// so the libpq call that follows reports the broken connection.
bool wait_socket(int fd, SocketEvent event, const Deadline& deadline);

}  // namespace runjournal::pg::detail
