#include "process.hpp"

#include <cerrno>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/resource.h>
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

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const Redirect& redirect,
                    const std::vector<std::string>* env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (redirect.in >= 0) posix_spawn_file_actions_adddup2(&actions, redirect.in, STDIN_FILENO);
  if (redirect.out >= 0) posix_spawn_file_actions_adddup2(&actions, redirect.out, STDOUT_FILENO);
  if (redirect.err >= 0) posix_spawn_file_actions_adddup2(&actions, redirect.err, STDERR_FILENO);
  for (int fd : redirect.close_in_child) posix_spawn_file_actions_addclose(&actions, fd);
  // The originals of the redirected descriptors too: a daemon the child
  // starts (a database server) would otherwise keep our pipe open, and
  // reading the child's output would wait for that daemon to exit.
  for (int fd : {redirect.in, redirect.out, redirect.err}) {
    if (fd > STDERR_FILENO) posix_spawn_file_actions_addclose(&actions, fd);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env_pointers;
  if (env != nullptr) {
    for (const std::string& e : *env) env_pointers.push_back(const_cast<char*>(e.c_str()));
    env_pointers.push_back(nullptr);
  }
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env ? env_pointers.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

Outcome wait_process(pid_t pid) {
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) throw std::runtime_error("wait4 failed for pid " + std::to_string(pid));
  }
  Outcome o;
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  o.max_rss_kb = usage.ru_maxrss;
  return o;
}

Outcome run_process(const std::vector<std::string>& argv, const std::string& input) {
  Pipe in, out, err;
  const pid_t pid = spawn_process(argv, {.in = in.fds[0], .out = out.fds[1], .err = err.fds[1],
                                         .close_in_child = {in.fds[1], out.fds[0], err.fds[0]}});
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
  Outcome o = wait_process(pid);
  o.out = std::move(out_data);
  o.err = std::move(err_data);
  return o;
}

Child start_process(const std::vector<std::string>& argv) {
  Pipe out;
  Child child;
  child.pid = spawn_process(argv, {.out = out.fds[1], .close_in_child = {out.fds[0]}});
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
  Outcome o = wait_process(child.pid);
  o.out = std::move(data);
  return o;
}

}  // namespace runjournal::test
