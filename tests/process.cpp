#include "process.hpp"

#include <cerrno>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace runjournal::test {
namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  }
};

std::string drain(int fd) {
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return data;
}

pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd, const std::vector<int>& close_fds) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  for (int fd : close_fds) posix_spawn_file_actions_addclose(&actions, fd);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

Outcome outcome_of(int status) {
  Outcome o;
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  return o;
}

}  // namespace

Outcome run_process(const std::vector<std::string>& argv, const std::string& input) {
  Pipe in, out, err;
  const pid_t pid = spawn(argv, in.fds[0], out.fds[1], err.fds[1],
                          {in.fds[1], out.fds[0], err.fds[0]});
  close(in.fds[0]);
  close(out.fds[1]);
  close(err.fds[1]);
  // Small inputs only (tests): written before reading, closed to signal EOF.
  if (!input.empty()) {
    const ssize_t ignored = write(in.fds[1], input.data(), input.size());
    (void)ignored;
  }
  close(in.fds[1]);
  // Read both streams without deadlocking on a full pipe.
  std::string out_data, err_data;
  pollfd fds[2] = {{out.fds[0], POLLIN, 0}, {err.fds[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out_data : err_data).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome o = outcome_of(status);
  o.out = std::move(out_data);
  o.err = std::move(err_data);
  return o;
}

Child start_process(const std::vector<std::string>& argv) {
  Pipe out;
  Child child;
  child.pid = spawn(argv, -1, out.fds[1], -1, {out.fds[0]});
  close(out.fds[1]);
  child.out_fd = out.fds[0];
  return child;
}

std::string read_line(const Child& child) {
  // A byte at a time: nothing past the newline is consumed, so
  // finish_process() still sees the rest.
  std::string line;
  char c = 0;
  for (;;) {
    const ssize_t n = read(child.out_fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') return line;
    line += c;
  }
}

Outcome finish_process(Child child) {
  std::string data = drain(child.out_fd);
  close(child.out_fd);
  int status = 0;
  waitpid(child.pid, &status, 0);
  Outcome o = outcome_of(status);
  o.out = std::move(data);
  return o;
}

}  // namespace runjournal::test
