// process.hpp — running a program as a child process in tests (posix_spawn:
// exec, never a bare fork), with its output captured. Every suite that
// starts a program (the command line, the test child, a server) starts it
// through spawn_process() here.
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
  long max_rss_kb = 0;  // the child's peak resident memory
};

// What the child's standard streams are: a descriptor of ours to become its
// stdin, stdout or stderr (-1: the child shares ours), and descriptors of
// ours the child must not keep (the other ends of its pipes).
struct Redirect {
  int in = -1;
  int out = -1;
  int err = -1;
  std::vector<int> close_in_child;
};

// Starts `argv` (argv[0] looked up on PATH) with `redirect` and `env`
// ("NAME=value" entries; nullptr: this process's environment). Throws
// std::runtime_error when it cannot be started.
pid_t spawn_process(const std::vector<std::string>& argv, const Redirect& redirect,
                    const std::vector<std::string>* env = nullptr);
// Waits for the child (through EINTR) and returns how it ended and its peak
// memory; out and err are left empty.
Outcome wait_process(pid_t pid);

// Runs `argv` to completion with `input` on its stdin, through pipes (small
// inputs: it is written before the output is read).
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
