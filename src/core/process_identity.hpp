// process_identity.hpp — reading a process's identity from /proc (Linux).
//
// The public side is runjournal/driver.hpp (this_process_driver,
// process_driver); the parsing is exposed here so that it can be tested on
// made-up text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runjournal::detail {

// Field 22 (starttime) of a /proc/PID/stat line; std::nullopt when the text
// is not such a line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
std::optional<std::int64_t> parse_stat_start_time(std::string_view stat_line);

// The start time of process `pid` on this machine now; std::nullopt when no
// such process exists.
std::optional<std::int64_t> process_start_time(std::int64_t pid);

// This boot's id (/proc/sys/kernel/random/boot_id, without the newline);
// empty when it cannot be read.
std::string boot_id();

// gethostname(); empty when it fails.
std::string host_name();

}  // namespace runjournal::detail
