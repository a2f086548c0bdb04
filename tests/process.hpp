// process.hpp — running a program as a child process in tests (posix_spawn:
// exec, never a bare fork), with its output captured.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace runjournal::test {

struct Outcome {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs `argv` to completion with `input` on its stdin.
Outcome run_process(const std::vector<std::string>& argv, const std::string& input = "");

// A child left running: stdout is read from `out_fd`.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
};
Child start_process(const std::vector<std::string>& argv);
// Reads everything the child writes until it exits; returns its outcome.
Outcome finish_process(Child child);
// Reads one line the child writes (without the newline); empty at EOF.
std::string read_line(const Child& child);

}  // namespace runjournal::test
