// pg_journal_test.cpp — the Journal API end to end on PostgreSQL: a
// journal in a scratch schema of the fixture's server, opened by URI.
// Each case would fail if the backend lost the property it names: the
// append rules, listing, reads, follow, recovery, stats, the SQL gate,
// prune, import from SQLite, and commit order under many writers.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <runjournal/journal.hpp>

#include "pg_test_support.hpp"

using runjournal::AppendOptions;
using runjournal::ErrorCode;
using runjournal::Event;
using runjournal::Journal;
using runjournal::NewEvent;
using runjournal::NewRun;
using runjournal::Options;
using runjournal::Page;
using runjournal::RunFilter;
using runjournal::RunOrder;
using runjournal::RunStatus;
using rjpg_test::code_of;
using rjpg_test::ScratchSchema;

namespace {

NewRun new_run(const std::string& id, const std::string& session = "s1", const std::string& prompt = "p") {
  NewRun run;
  run.run_id = id;
  run.session_id = session;
  run.prompt = prompt;
  return run;
}

std::filesystem::path scratch_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / rjpg_test::unique_name(name);
}

}  // namespace

TEST_CASE("a URI opens a journal on PostgreSQL: create_run, append, batch, reads") {
  ScratchSchema schema;
  Journal journal = Journal::open(schema.uri());
  CHECK(journal.path().string() == schema.uri());
  const auto run = journal.create_run(new_run("r1"));
  CHECK(run.status == RunStatus::Created);
  const Event e2 = journal.append("r1", "note", {{"text", "hello"}, {"n", 2}});
  CHECK(e2.seq == 2);
  const auto batch = journal.append_batch({NewEvent{"r1", "note", {{"i", 1}}, {}}, NewEvent{"r1", "note", {{"i", 2}}, {}}});
  REQUIRE(batch.size() == 2);
  CHECK(batch[0].seq == 3);
  CHECK(batch[1].position == batch[0].position + 1);
  const auto events = journal.events("r1");
  REQUIRE(events.size() == 4);
  CHECK(events[1].payload == nlohmann::json({{"text", "hello"}, {"n", 2}}));
  CHECK(journal.events_after(e2.position, 10).size() == 2);
  CHECK(journal.last_position() == batch[1].position);
  CHECK(journal.run("r1")->event_count == 4);
  CHECK(journal.run("r1")->last_seq == 4);
  CHECK_FALSE(journal.run("nope"));
  CHECK(journal.verify().problems.empty());
}

TEST_CASE("the append rules hold on PostgreSQL: idempotency, expected_seq, AlreadyExists, exclusive sessions") {
  ScratchSchema schema;
  Journal journal = Journal::open(schema.uri());
  journal.create_run(new_run("r1"));
  AppendOptions keyed;
  keyed.idempotency_key = "k1";
  const Event first = journal.append("r1", "step", {{"a", 1}}, keyed);
  const Event again = journal.append("r1", "step", {{"a", 1}}, keyed);
  CHECK(again.position == first.position);
  CHECK(journal.events("r1").size() == 2);

  AppendOptions stale;
  stale.expected_seq = 1;
  CHECK(code_of([&] { journal.append("r1", "step", {}, stale); }) == ErrorCode::Conflict);
  AppendOptions current;
  current.expected_seq = 2;
  CHECK(journal.append("r1", "step", {}, current).seq == 3);

  CHECK(code_of([&] { journal.create_run(new_run("r1")); }) == ErrorCode::AlreadyExists);
  NewRun exclusive = new_run("r2");
  exclusive.exclusive = true;
  CHECK(code_of([&] { journal.create_run(exclusive); }) == ErrorCode::AlreadyRunning);
  CHECK_FALSE(journal.run("r2"));
  CHECK(code_of([&] { journal.append("r1", "", {}); }) == ErrorCode::InvalidArgument);
  CHECK(code_of([&] { journal.append("ghost", "step", {}); }) == ErrorCode::NotFound);
  // Refused appends handed their positions back: the next one follows on.
  const Event last = journal.append("r1", "step", {});
  CHECK(last.position == 4);
  CHECK(last.seq == 4);
  CHECK(journal.events_after(0, 100).size() == 4);
}

TEST_CASE("runs() pages both ways and filters by status, session, created window and text") {
  ScratchSchema schema;
  std::int64_t now = 1'000'000;
  Options options;
  options.clock = [&] { return now; };
  Journal journal = Journal::open(schema.uri(), options);
  for (int i = 0; i < 10; ++i) {
    now = 1'000'000 + i * 1000;
    journal.create_run(new_run("run" + std::to_string(i), i % 2 == 0 ? "even" : "odd",
                               i == 7 ? "Find the MOON_50%" : "plain"));
  }
  journal.finish("run3", {});
  Page page;
  page.limit = 4;
  auto first = journal.runs({}, page);
  REQUIRE(first.size() == 4);
  CHECK(first[0].run_id == "run0");
  page.after_run_id = first.back().run_id;
  auto second = journal.runs({}, page);
  REQUIRE(second.size() == 4);
  CHECK(second[0].run_id == "run4");
  Page back;
  back.limit = 2;
  back.before_run_id = "run4";
  auto before = journal.runs({}, back);
  REQUIRE(before.size() == 2);
  CHECK(before[0].run_id == "run2");
  CHECK(before[1].run_id == "run3");
  Page newest;
  newest.order = RunOrder::NewestFirst;
  newest.limit = 3;
  auto latest = journal.runs({}, newest);
  REQUIRE(latest.size() == 3);
  CHECK(latest[0].run_id == "run9");

  RunFilter odd;
  odd.session_id = "odd";
  CHECK(journal.runs(odd).size() == 5);
  RunFilter completed;
  completed.status = RunStatus::Completed;
  REQUIRE(journal.runs(completed).size() == 1);
  CHECK(journal.runs(completed)[0].run_id == "run3");
  RunFilter window;
  window.created_since_ms = 1'002'000;
  window.created_until_ms = 1'005'000;
  CHECK(journal.runs(window).size() == 3);
  RunFilter text;
  text.text = "moon_50%";  // ASCII letters without case; % and _ literally
  REQUIRE(journal.runs(text).size() == 1);
  CHECK(journal.runs(text)[0].run_id == "run7");
  text.text = "moon_5%";
  CHECK(journal.runs(text).empty());

  Page both;
  both.after_run_id = "run1";
  both.before_run_id = "run2";
  CHECK(code_of([&] { journal.runs({}, both); }) == ErrorCode::InvalidArgument);
  RunFilter reversed;
  reversed.created_since_ms = 5;
  reversed.created_until_ms = 4;
  CHECK(code_of([&] { journal.runs(reversed); }) == ErrorCode::InvalidArgument);
  Page missing;
  missing.after_run_id = "nope";
  CHECK(code_of([&] { journal.runs({}, missing); }) == ErrorCode::NotFound);
}

TEST_CASE("opening refuses what is not a journal, a missing one without create, and a newer one") {
  ScratchSchema schema;
  {
    Options no_create;
    no_create.create_if_missing = false;
    CHECK(code_of([&] { Journal::open(schema.uri(), no_create); }) == ErrorCode::NotFound);
    Options read_only;
    read_only.read_only = true;
    CHECK(code_of([&] { Journal::open(schema.uri(), read_only); }) == ErrorCode::NotFound);
  }
  ScratchSchema foreign;
  foreign.connect().exec("CREATE TABLE customers (id BIGINT PRIMARY KEY)");
  CHECK(code_of([&] { Journal::open(foreign.uri()); }) == ErrorCode::NotAJournal);

  { Journal::open(schema.uri()).create_run(new_run("r1")); }
  schema.connect().exec("UPDATE journal_meta SET compatible_version = 99, projector_version = 99");
  CHECK(code_of([&] { Journal::open(schema.uri()); }) == ErrorCode::SchemaTooNew);
  Options read_only;
  read_only.read_only = true;
  CHECK(code_of([&] { Journal::open(schema.uri(), read_only); }) == ErrorCode::SchemaTooNew);

  const std::string unreachable = "postgresql://runjournal@/runjournal?host=/nonexistent-socket-dir&connect_timeout=2";
  const auto code = code_of([&] { Journal::open(unreachable); });
  CHECK((code == ErrorCode::Io || code == ErrorCode::TimedOut));
}

TEST_CASE("follow wakes on commits from another Journal, and stats say what PostgreSQL can") {
  ScratchSchema schema;
  Journal writer = Journal::open(schema.uri());
  writer.create_run(new_run("r1"));
  Options read_only;
  read_only.read_only = true;
  Journal reader = Journal::open(schema.uri(), read_only);
  std::vector<std::int64_t> seen;
  std::thread appender([&] {
    for (int i = 0; i < 20; ++i) {
      writer.append("r1", "tick", {{"i", i}});
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  reader.follow(
      0, [&](const Event& e) {
        seen.push_back(e.seq);
        return seen.size() < 21;
      },
      [&] { return std::chrono::steady_clock::now() < deadline; }, std::chrono::milliseconds(5));
  appender.join();
  REQUIRE(seen.size() == 21);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == static_cast<std::int64_t>(i + 1));

  const auto stats = reader.stats();
  CHECK(stats.events == 21);
  CHECK(stats.runs == 1);
  CHECK(stats.last_position == 21);
  CHECK(stats.file_bytes > 0);
  CHECK(stats.schema_version == 7);
  CHECK(stats.sqlite_version.rfind("PostgreSQL ", 0) == 0);
  CHECK(stats.path.find("postgresql://") == 0);
}

TEST_CASE("a password in the URI never shows in names and messages") {
  const std::string uri = "postgresql://alice:s3cret@/db?host=/nonexistent-socket-dir&connect_timeout=1";
  try {
    Journal::open(uri);
    FAIL("opened an unreachable server");
  } catch (const runjournal::Error& e) {
    CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
    CHECK(std::string(e.what()).find("alice:***@") != std::string::npos);
  }
}

TEST_CASE("sql reads the journal and refuses every hostile item") {
  ScratchSchema schema;
  Journal journal = Journal::open(schema.uri());
  journal.create_run(new_run("r1"));
  journal.append("r1", "tool", {{"tool_name", "search"}});
  const auto result = journal.sql("SELECT seq, kind, payload, payload->>'tool_name' AS tool FROM events ORDER BY position");
  REQUIRE(result.rows.size() == 2);
  CHECK(result.columns == std::vector<std::string>{"seq", "kind", "payload", "tool"});
  CHECK(result.rows[1][0].integer == 2);
  CHECK(result.rows[1][2].type == runjournal::SqlValue::Type::Json);
  CHECK(result.rows[1][2].json == nlohmann::json({{"tool_name", "search"}}));
  CHECK(result.rows[1][3].text == "search");
  CHECK(journal.sql("SELECT count(*) AS n FROM runs_readable").rows[0][0].integer == 1);

  const std::vector<std::string> refused = {
      "COPY events TO '/tmp/rj_copy_out'",
      "COPY (SELECT 1) TO PROGRAM 'true'",
      "SELECT lo_import('/etc/passwd')",
      "SELECT lo_create(0)",
      "SELECT pg_read_file('/etc/passwd')",
      "SELECT * FROM pg_ls_dir('.')",
      "SELECT set_config('statement_timeout', '0', true)",
      "SELECT pg_catalog.pg_sleep(1)",
      "SELECT \"pg_sleep\"(1)",
      "SELECT pg_advisory_lock(1)",
      "SELECT pg_notify('c', 'x')",
      "SELECT dblink('host=x', 'select 1')",
      "SELECT txid_current()",
      "SELECT pg_terminate_backend(1)",
      "SELECT pg_reload_conf()",
      "SELECT query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, '')",
      "SELECT ts_stat('select 1')",
      "DELETE FROM events",
      "INSERT INTO runs (run_id) VALUES ('x')",
      "DO $$ BEGIN PERFORM 1; END $$",
      "SET statement_timeout = 0",
      "LISTEN c",
      "VACUUM events",
      "BEGIN",
      "SELECT 1; DELETE FROM events",
      "/* comment */ CALL something()",
      // A backslash ends no standard literal: the call after it is seen.
      "SELECT name'\\' , pg_read_file('/etc/passwd') , ''",
      "SELECT U&\"pg_read_fil\\0065\"('/etc/passwd')",
      "SELECT $$x$$ || pg_read_file('/etc/passwd')",
  };
  for (const std::string& query : refused) {
    CAPTURE(query);
    const auto code = code_of([&] { journal.sql(query); });
    CHECK((code == ErrorCode::InvalidArgument || code == ErrorCode::ReadOnly));
  }
  // A write hidden in a WITH is refused by the read-only transaction.
  CHECK(code_of([&] { journal.sql("WITH d AS (DELETE FROM events RETURNING 1) SELECT * FROM d"); }) ==
        ErrorCode::ReadOnly);
  // A name inside a literal or comment is only text.
  CHECK(journal.sql("SELECT 'pg_read_file' AS t -- lo_import\n").rows[0][0].text == "pg_read_file");
  runjournal::SqlOptions quick;
  quick.timeout = std::chrono::milliseconds(200);
  CHECK(code_of([&] {
          journal.sql("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", quick);
        }) == ErrorCode::TimedOut);
  CHECK(journal.events("r1").size() == 2);
}

TEST_CASE("prune removes finished runs and recover finds cut-off ones, on PostgreSQL") {
  ScratchSchema schema;
  Options gone;
  gone.driver = runjournal::Driver{"host-that-left", 4242, 1, "boot-of-a-gone-host"};
  gone.lease_ttl = std::chrono::milliseconds(1);
  {
    Journal journal = Journal::open(schema.uri(), gone);
    journal.create_run(new_run("cut"));
    journal.append("cut", "run_started", {});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Journal journal = Journal::open(schema.uri());
  for (int i = 0; i < 5; ++i) {
    journal.create_run(new_run("done" + std::to_string(i), "s2"));
    journal.finish("done" + std::to_string(i), {});
  }
  const auto recovered = journal.recover();
  REQUIRE(recovered.size() == 1);
  CHECK(recovered[0].run.run_id == "cut");

  runjournal::PruneOptions prune;
  prune.finished_before_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count() + 60000;
  const auto report = journal.prune(prune);
  CHECK(report.runs == 5);
  CHECK(report.events == 10);
  CHECK(journal.runs().size() == 1);
  // Positions are never reused after prune: the newest left is 2, the
  // highest ever assigned 12.
  const Event next = journal.append("cut", "note", {});
  CHECK(next.position == 13);
}

TEST_CASE("export from SQLite and import into PostgreSQL move runs exactly, and back") {
  ScratchSchema schema;
  const std::filesystem::path file = scratch_file("rj_pg_export") += ".journal";
  std::string exported;
  {
    Journal sqlite = Journal::open(file);
    sqlite.create_run(new_run("a"));
    AppendOptions keyed;
    keyed.idempotency_key = "key-1";
    sqlite.append("a", "tool", {{"nested", {{"x", {1, 2.5, "three", nullptr}}}}, {"unicode", "h\u00e9llo"}}, keyed);
    sqlite.finish("a", {});
    sqlite.create_run(new_run("b", "s2"));
    std::ostringstream out;
    sqlite.records([&](const runjournal::RunRecord& record) { out << runjournal::record_to_line(record) << '\n'; });
    exported = out.str();
  }
  Journal pg = Journal::open(schema.uri());
  std::istringstream in(exported);
  const auto report = pg.import_records(in);
  CHECK(report.runs_imported == 2);
  CHECK(report.events_imported == 4);
  std::ostringstream again;
  pg.records([&](const runjournal::RunRecord& record) { again << runjournal::record_to_line(record) << '\n'; });
  CHECK(again.str() == exported);
  // And back into a fresh SQLite file.
  const std::filesystem::path back = scratch_file("rj_pg_back") += ".journal";
  {
    Journal sqlite = Journal::open(back);
    std::istringstream from_pg(again.str());
    CHECK(sqlite.import_records(from_pg).runs_imported == 2);
    std::ostringstream out;
    sqlite.records([&](const runjournal::RunRecord& record) { out << runjournal::record_to_line(record) << '\n'; });
    CHECK(out.str() == exported);
  }
  std::filesystem::remove(file);
  std::filesystem::remove(back);
}

namespace {

// Reads every event from position 0 on, the whole time writers write,
// until `expected` events are seen; checks each page continues the last
// position exactly (no gap, no reorder) and each run's seqs go 1, 2, 3 ….
struct Tailer {
  std::int64_t last = 0;
  std::map<std::string, std::int64_t> seq_of;
  std::int64_t gaps = 0, seq_breaks = 0;
  void read(const Journal& reader) {
    for (const Event& e : reader.events_after(last, 500)) {
      if (e.position != last + 1) ++gaps;
      std::int64_t& seq = seq_of[e.run_id];
      if (e.seq != seq + 1) ++seq_breaks;
      seq = e.seq;
      last = e.position;
    }
  }
};

}  // namespace

TEST_CASE("many threads through one Journal: group commit keeps positions gapless and seqs in order") {
  ScratchSchema schema;
  Journal journal = Journal::open(schema.uri());
  constexpr int kThreads = 8, kEach = 60;
  journal.create_run(new_run("shared"));
  for (int t = 0; t < kThreads; ++t) journal.create_run(new_run("own" + std::to_string(t)));
  Options read_only;
  read_only.read_only = true;
  Journal reader = Journal::open(schema.uri(), read_only);
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        journal.append(i % 2 == 0 ? "shared" : "own" + std::to_string(t), "tick", {{"t", t}, {"i", i}});
      }
      ++done;
    });
  }
  Tailer tail;
  const std::int64_t total = 1 + kThreads + kThreads * kEach;
  // Tails the whole time the writers write, then once more after the last.
  while (done < kThreads) tail.read(reader);
  for (auto& thread : threads) thread.join();
  tail.read(reader);
  CHECK(tail.last == total);
  CHECK(tail.gaps == 0);
  CHECK(tail.seq_breaks == 0);
  CHECK(journal.run("shared")->last_seq == 1 + kThreads * kEach / 2);
  CHECK(journal.verify().problems.empty());
}

TEST_CASE("several processes append at once while a reader tails: no gap, no reorder, seqs gapless") {
  ScratchSchema schema;
  { Journal::open(schema.uri()).create_run(new_run("shared")); }
  constexpr int kProcesses = 4, kEach = 40;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // A host of its own: its own Journal, writer and connection.
      int status = 0;
      try {
        Journal journal = Journal::open(schema.uri());
        const std::string own = "proc" + std::to_string(p);
        journal.create_run(new_run(own));
        for (int i = 0; i < kEach; ++i) {
          journal.append_batch({NewEvent{"shared", "tick", {{"p", p}, {"i", i}}, {}},
                                NewEvent{own, "tick", {{"i", i}}, {}}});
        }
      } catch (...) {
        status = 1;
      }
      std::_Exit(status);
    }
    children.push_back(pid);
  }
  Options read_only;
  read_only.read_only = true;
  Journal reader = Journal::open(schema.uri(), read_only);
  Tailer tail;
  int running = kProcesses;
  while (running > 0) {
    tail.read(reader);
    int status = 0;
    const pid_t ended = ::waitpid(-1, &status, WNOHANG);
    if (ended > 0) {
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
      --running;
    }
  }
  tail.read(reader);
  tail.read(reader);
  CHECK(tail.last == 1 + kProcesses * (1 + 2 * kEach));
  CHECK(tail.gaps == 0);
  CHECK(tail.seq_breaks == 0);
  CHECK(tail.seq_of["shared"] == 1 + kProcesses * kEach);
  Journal check = Journal::open(schema.uri());
  CHECK(check.run("shared")->last_seq == 1 + kProcesses * kEach);
  CHECK(check.verify().problems.empty());
}

TEST_CASE("a connection the server ends is Io once, then replaced; a retried key lands once") {
  ScratchSchema schema;
  const std::string app = rjpg_test::unique_name("rjt_app");
  const std::string uri = rjpg_test::with_parameter(schema.uri(), "application_name", app);
  Journal journal = Journal::open(uri);
  journal.create_run(new_run("r1"));
  CHECK(journal.events("r1").size() == 1);
  auto admin = runjournal::pg::Connection::connect(rjpg_test::server_uri());
  const auto terminated = admin.exec(
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
      "WHERE application_name = $1",
      {app});
  CHECK(terminated.int64(0, terminated.column("n")) == 2);  // the writer's and the reader's
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  AppendOptions keyed;
  keyed.idempotency_key = "after-restart";
  const auto lost = code_of([&] { journal.append("r1", "step", {}, keyed); });
  CHECK(lost == ErrorCode::Io);
  const Event retried = journal.append("r1", "step", {}, keyed);
  CHECK(journal.append("r1", "step", {}, keyed).position == retried.position);
  CHECK(code_of([&] { journal.events("r1"); }) == ErrorCode::Io);  // the reader finds its loss
  CHECK(journal.events("r1").size() == 2);
}
