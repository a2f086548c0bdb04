// pg_hosts_test.cpp — what sharing one PostgreSQL journal between hosts
// needs beyond one host's contract: recovery by several hosts at once
// (each cut-off run claimed by exactly one), and followers woken by
// LISTEN/NOTIFY as soon as a commit lands, polling when the listening
// connection is lost or cannot be opened, and listening again once it can.
// Hosts are processes posing under their own host names and boot ids
// (Options::driver), each with its own connections.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <runjournal/journal.hpp>

#include "pg_test_support.hpp"

using nlohmann::json;
using runjournal::Driver;
using runjournal::Event;
using runjournal::Journal;
using runjournal::Options;
using runjournal::RecoveredRun;
using runjournal::RunStatus;
using rjpg_test::ScratchSchema;

namespace {

using Clock = std::chrono::steady_clock;

// Whether `done()` holds within `limit`, asked every 10 ms.
template <typename F>
bool wait_until(const F& done, std::chrono::seconds limit = std::chrono::seconds(20)) {
  const Clock::time_point deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

// A login role of its own for one test, allowed to read the journal in
// `schema`; its sessions are told apart from every other suite's on the
// shared server by its name. Dropped at the end, its sessions ended.
class ScratchRole {
 public:
  explicit ScratchRole(const ScratchSchema& schema) : name_(rjpg_test::unique_name("rjt_role")) {
    // One implicit transaction: the role exists with its grants, or not at all.
    admin().exec("CREATE ROLE " + name_ + " LOGIN; GRANT USAGE ON SCHEMA " + schema.name() + " TO " + name_ +
                 "; GRANT SELECT ON ALL TABLES IN SCHEMA " + schema.name() + " TO " + name_);
    uri_ = rjpg_test::with_parameter(schema.uri(), "user", name_);  // libpq: the last user= wins
  }
  ScratchRole(const ScratchRole&) = delete;
  ScratchRole& operator=(const ScratchRole&) = delete;
  ~ScratchRole() {
    // A destructor's catch: a test that broke the server has failed already.
    try {
      admin().exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + name_ +
                   "'; DROP OWNED BY " + name_ + "; DROP ROLE " + name_);
    } catch (const std::exception&) {
    }
  }

  // The schema's URI, connecting as this role.
  const std::string& uri() const { return uri_; }
  // At most `n` sessions of this role at once from now on (-1: no limit);
  // sessions already open stay.
  void limit_connections(int n) const {
    admin().exec("ALTER ROLE " + name_ + " CONNECTION LIMIT " + std::to_string(n));
  }
  // This role's sessions on the server now.
  std::int64_t sessions() const {
    const runjournal::pg::Result r =
        admin().exec("SELECT count(*) AS n FROM pg_stat_activity WHERE usename = '" + name_ + "'");
    return r.int64(0, r.column("n"));
  }
  // The server pids of this role's sessions whose last statement was a
  // LISTEN (a follower's listener: pg_backend.cpp).
  std::vector<std::int64_t> listeners() const {
    const runjournal::pg::Result r = admin().exec(
        "SELECT pid FROM pg_stat_activity WHERE usename = '" + name_ + "' AND query LIKE 'LISTEN %' ORDER BY pid");
    std::vector<std::int64_t> pids;
    for (int i = 0; i < r.rows(); ++i) pids.push_back(r.int64(i, r.column("pid")));
    return pids;
  }

 private:
  static runjournal::pg::Connection admin() { return runjournal::pg::Connection::connect(rjpg_test::server_uri()); }

  std::string name_;
  std::string uri_;
};

// Journal::follow() on a thread of its own from `after`, every event's
// position stored in `seen`; stopped and joined when it goes, on every way
// out of a test (keep_going is asked at least every `poll`).
class Follower {
 public:
  Follower(const Journal& journal, std::int64_t after, std::chrono::milliseconds poll)
      : thread_([this, &journal, after, poll](const std::stop_token& stop) {
          try {
            journal.follow(after, [this](const Event& e) {
              seen = e.position;
              return true;
            }, [&stop] { return !stop.stop_requested(); }, poll);
          } catch (const std::exception& e) {
            error_ = e.what();
          }
        }) {}

  // Whether the event at `position` is delivered within the deadline.
  bool delivers(std::int64_t position) const {
    return wait_until([&] { return seen.load() >= position; }) && seen.load() == position;
  }
  // Stops following; what follow() threw, or "".
  std::string finish() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    return error_;
  }

  std::atomic<std::int64_t> seen{0};

 private:
  std::string error_;
  std::jthread thread_;  // last: started once the rest is
};

// A journal in a schema of its own whose run "r" `writer` appends to,
// followed through `journal`: read-only, connecting as `role`.
struct FollowedAsRole {
  static Options read_only() {
    Options options;
    options.read_only = true;
    return options;
  }
  FollowedAsRole() { writer.create_run({.session_id = "s", .run_id = "r"}); }

  ScratchSchema schema;
  Journal writer = Journal::open(schema.uri());  // creates the tables role is granted
  ScratchRole role{schema};
  Journal journal = Journal::open(role.uri(), read_only());
};

// How often the followers of the listening tests poll: an event appended
// just after a delivery arrives at once when NOTIFY wakes the follower,
// only about a poll later when it polls.
constexpr std::chrono::milliseconds kPoll{3000};  // woken: under 1.5 s, a margin for a busy CI machine

// `e`, appended just now, is delivered at once: NOTIFY woke the follower.
void check_woken_by(Follower& follower, const Event& e) {
  const Clock::time_point committed = Clock::now();
  CHECK(follower.delivers(e.position));
  CHECK(Clock::now() - committed < kPoll / 2);
}

Options as_host(const std::string& host) {
  Driver driver = runjournal::this_process_driver();
  driver.host = host;
  driver.boot_id = "boot-of-" + host;
  Options options;
  options.driver = driver;
  return options;
}

// A run cut off while executing: its driver's host crashed, and no lease
// speaks for it.
void create_cut_off(Journal& journal, const std::string& run_id) {
  const json driver = {{"host", "host-gone"}, {"pid", 1}, {"start_time", 1}, {"boot_id", "boot-of-host-gone"}};
  journal.append(run_id, "run_created", {{"session_id", "s-" + run_id}, {"driver", driver}});
  journal.append(run_id, "run_started");  // cut off while executing
}

// Reads everything a pipe gives until EOF.
std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

TEST_CASE("hosts recovering at once from one journal: each cut-off run is claimed by exactly one") {
  ScratchSchema schema;
  constexpr int kRuns = 60, kHosts = 4;
  {
    Journal setup = Journal::open(schema.uri());
    for (int i = 0; i < kRuns; ++i) create_cut_off(setup, "cut-" + std::to_string(i));
    setup.create_run({.session_id = "done", .run_id = "done"});
    setup.append("done", "run_completed");
  }
  // Each host a process of its own, started together through a pipe that
  // opens when all are ready; each prints the runs it claimed.
  int go[2];
  REQUIRE(::pipe(go) == 0);
  struct Host {
    pid_t pid;
    int out;
  };
  std::vector<Host> hosts;
  for (int h = 0; h < kHosts; ++h) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(out[0]);
      ::close(go[1]);
      int status = 0;
      try {
        Journal journal = Journal::open(schema.uri(), as_host("host-" + std::to_string(h)));
        journal.recover();  // connected and ready
        char byte = 0;
        if (::read(go[0], &byte, 1) < 0) std::_Exit(2);
        std::string lines;
        for (const RecoveredRun& r : journal.claim_recovered()) lines += r.run.run_id + "\n";
        if (::write(out[1], lines.data(), lines.size()) != static_cast<ssize_t>(lines.size())) status = 2;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "host %d: %s\n", h, e.what());
        status = 1;
      }
      std::_Exit(status);
    }
    ::close(out[1]);
    hosts.push_back({pid, out[0]});
  }
  ::close(go[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::close(go[1]);  // every host's read returns now
  std::map<std::string, std::string> claimed_by;
  std::multiset<std::string> claims;
  for (int h = 0; h < kHosts; ++h) {
    std::istringstream lines(read_all(hosts[static_cast<std::size_t>(h)].out));
    ::close(hosts[static_cast<std::size_t>(h)].out);
    int status = 0;
    REQUIRE(::waitpid(hosts[static_cast<std::size_t>(h)].pid, &status, 0) > 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    for (std::string id; std::getline(lines, id);) {
      claims.insert(id);
      claimed_by[id] = "host-" + std::to_string(h);
    }
  }
  CHECK(claims.size() == static_cast<std::size_t>(kRuns));  // no run twice
  CHECK(claimed_by.size() == static_cast<std::size_t>(kRuns));  // every run once
  Journal check = Journal::open(schema.uri());
  std::map<std::string, int> resumes;
  check.follow(0, [&](const Event& e) {
    if (e.kind == "run_resumed") ++resumes[e.run_id];
    return e.position < check.last_position();
  });
  CHECK(resumes.size() == static_cast<std::size_t>(kRuns));
  for (const auto& entry : resumes) {
    const std::string& id = entry.first;
    CHECK(entry.second == 1);
    const auto run = check.run(id);
    REQUIRE(run);
    CHECK(run->status == RunStatus::Executing);
    CHECK(run->driver->host == claimed_by[id]);
  }
  CHECK(check.run("done")->status == RunStatus::Completed);
  CHECK(check.verify().problems.empty());
  // The claimants' leases are fresh: a host that looks now finds nothing.
  CHECK(Journal::open(schema.uri(), as_host("host-late")).claim_recovered().empty());
}

TEST_CASE("a follower wakes on NOTIFY as soon as a commit lands, long before its poll interval") {
  ScratchSchema schema;
  Journal writer = Journal::open(schema.uri());
  writer.create_run({.session_id = "s", .run_id = "r"});
  const std::int64_t start = writer.last_position();
  Options read_only;
  read_only.read_only = true;
  Journal follower = Journal::open(schema.uri(), read_only);
  std::atomic<std::int64_t> seen{0};
  std::atomic<bool> stop{false};
  // A poll of a minute: only a notification can deliver within the test.
  std::thread tail([&] {
    follower.follow(start, [&](const Event& e) {
      seen = e.position;
      return true;
    }, [&] { return !stop.load(); }, std::chrono::minutes(1));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the follower waits now
  std::vector<double> waits_ms;
  for (int i = 0; i < 5; ++i) {
    const Event e = writer.append("r", "tick", {{"i", i}});
    const Clock::time_point committed = Clock::now();
    while (seen.load() < e.position && Clock::now() - committed < std::chrono::seconds(20)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(seen.load() == e.position);
    waits_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - committed).count());
  }
  // Another journal's commits in the same database (another schema) are
  // not this follower's wake-ups: nothing is delivered for them.
  ScratchSchema other;
  Journal::open(other.uri()).create_run({.session_id = "s", .run_id = "elsewhere"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(seen.load() == writer.last_position());
  // Stopping needs one more wake-up: keep_going is asked after each.
  stop = true;
  writer.append("r", "tick", {{"last", true}});
  tail.join();
  MESSAGE("NOTIFY to delivery, ms: " << waits_ms[0] << " " << waits_ms[1] << " " << waits_ms[2]);
}

TEST_CASE("a follower whose listening connection is ended polls on, and listens again") {
  // The follower connects as a role of its own: its listener is told apart
  // from other suites' on the shared server, and only its own is ended.
  FollowedAsRole j;
  Follower follower(j.journal, j.writer.last_position(), kPoll);
  REQUIRE(wait_until([&] { return j.role.listeners().size() == 1; }));
  const std::int64_t first = j.role.listeners().front();
  check_woken_by(follower, j.writer.append("r", "tick", {{"heard", 0}}));
  runjournal::pg::Connection::connect(rjpg_test::server_uri())
      .exec("SELECT pg_terminate_backend(" + std::to_string(first) + ")");
  // Once its session is gone the follower has no listener for a while (it
  // sleeps a poll, then listens again): events still arrive, polled.
  CHECK(wait_until([&] { return j.role.listeners().empty(); }));
  CHECK(follower.delivers(j.writer.append("r", "tick", {{"polled", 0}}).position));
  // And it listens again, on a new session, whose NOTIFY wakes it.
  CHECK(wait_until([&] {
    const std::vector<std::int64_t> now = j.role.listeners();
    return now.size() == 1 && now.front() != first;
  }, std::chrono::seconds(10)));
  check_woken_by(follower, j.writer.append("r", "tick", {{"heard", 1}}));
  CHECK(follower.finish() == "");
}

TEST_CASE("a follower that cannot listen when it starts polls, and listens once it can") {
  FollowedAsRole j;
  // A read opens the journal's reading session, from now on its one
  // connection (open's inspecting one is closed): the listener would be a
  // second, and the role is allowed one.
  const std::int64_t start = j.journal.last_position();
  REQUIRE(wait_until([&] { return j.role.sessions() == 1; }));
  j.role.limit_connections(1);
  Follower follower(j.journal, start, kPoll);
  // Refused its listener, it polls: every event still arrives, unheard.
  // follow() opens the listener before it reads anything, so none is open
  // by the time an event is delivered unless it opened.
  for (int i = 0; i < 2; ++i) {
    const Event e = j.writer.append("r", "tick", {{"i", i}});
    CHECK(follower.delivers(e.position));
    CHECK(j.role.listeners().empty());
  }
  CHECK(j.role.sessions() == 1);
  // Allowed a second connection, it listens within about a poll: it tries
  // at the start of a wait, once a second has passed since its last try.
  j.role.limit_connections(-1);
  CHECK(wait_until([&] { return j.role.listeners().size() == 1; }, std::chrono::seconds(10)));
  // And its listener wakes it: each event arrives long before a poll would
  // have delivered it.
  for (int i = 0; i < 3; ++i) check_woken_by(follower, j.writer.append("r", "tick", {{"heard", i}}));
  CHECK(follower.finish() == "");
}
