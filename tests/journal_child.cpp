// runjournal-test-child: a separate process for the multi-process and crash
// tests. Tests exec it (never fork without exec: a forked child would share
// the parent's SQLite state).
//
//   append DB RUN COUNT [full|normal]   create RUN if needed, then append COUNT
//                                       events one by one; print "ACK run seq
//                                       position" after each commit returns
//   read DB SECONDS                     read runs and events in a loop
//   create-exclusive DB SESSION RUN     create RUN exclusively in SESSION;
//                                       print "WON" or "ALREADY_RUNNING"
//   drive DB SESSION RUN                reserve RUN in SESSION (it drives it),
//                                       start it, save checkpoint cp-1 with
//                                       state {"step":1}, print "READY" (or
//                                       "ALREADY_RUNNING"), then sleep until
//                                       killed (at most a minute)
//   mixed DB PREFIX SEED OPS [full|normal]
//                                       OPS random operations on runs named
//                                       PREFIX-…: appends with idempotency
//                                       keys, batches (some large), create_run,
//                                       rebuild, import. Prints "BEGIN op"
//                                       before each and, after it returns,
//                                       "ACK run seq position" for every
//                                       event it committed ("IMPORTED run n"
//                                       after an import)
//   keyed-batches DB SEED FIRST COUNT [full|normal]
//                                       batches FIRST … FIRST+COUNT-1 over the
//                                       runs kb-0, kb-1, kb-2 (created when
//                                       missing), every event with an
//                                       idempotency key "b<op>.<i>/<size>";
//                                       batch op's content depends on SEED and
//                                       op alone, so a batch sent again after
//                                       a kill is the same batch. Prints
//                                       "BEGIN op", then "ACK run seq
//                                       position" per event and "DONE op"
//                                       after it returned
//   slow-read DB SECONDS HOLD_MS        hold a read snapshot open for HOLD_MS,
//                                       again and again; print "HELD n"
//   runs DB                             open DB read-only and print "RUN id
//                                       status event_count" per run, then
//                                       "EVENTS n" (the read-only tests run
//                                       it as another user)
//
// Exit: 0 done, 3 a runjournal::Error (its code name on stderr).
#include <chrono>
#include <cstdio>
#include <thread>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>

#include <runjournal/journal.hpp>

namespace {

using runjournal::Journal;

int append(const std::string& db, const std::string& run_id, long count, const std::string& durability) {
  runjournal::Options options;
  options.durability = durability == "normal" ? runjournal::Durability::Normal : runjournal::Durability::Full;
  Journal journal = Journal::open(db, options);
  if (!journal.run(run_id)) {
    journal.create_run({.session_id = "s-" + run_id, .prompt = "child", .run_id = run_id});
  }
  for (long i = 0; i < count; ++i) {
    const runjournal::Event e = journal.append(run_id, "tool_called", {{"i", i}});
    std::printf("ACK %s %lld %lld\n", e.run_id.c_str(), static_cast<long long>(e.seq),
                static_cast<long long>(e.position));
    std::fflush(stdout);
  }
  return 0;
}

int read(const std::string& db, double seconds) {
  Journal journal = Journal::open(db, {.read_only = true});
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  long reads = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (const runjournal::Run& run : journal.runs({}, {.limit = 1000})) {
      const auto events = journal.events(run.run_id);
      for (std::size_t i = 0; i < events.size(); ++i) {
        if (events[i].seq != static_cast<std::int64_t>(i) + 1) {
          std::fprintf(stderr, "reader saw a seq gap in %s\n", run.run_id.c_str());
          return 4;
        }
      }
      ++reads;
    }
  }
  std::printf("READS %ld\n", reads);
  return 0;
}

int create_exclusive(const std::string& db, const std::string& session, const std::string& run_id) {
  Journal journal = Journal::open(db);
  try {
    journal.create_run({.session_id = session, .run_id = run_id, .exclusive = true});
    std::printf("WON\n");
  } catch (const runjournal::Error& e) {
    if (e.code() != runjournal::ErrorCode::AlreadyRunning) throw;
    std::printf("ALREADY_RUNNING\n");
  }
  return 0;
}

void print_ack(const runjournal::Event& e) {
  std::printf("ACK %s %lld %lld\n", e.run_id.c_str(), static_cast<long long>(e.seq),
              static_cast<long long>(e.position));
}

void begin(const char* op) {
  std::printf("BEGIN %s\n", op);
  std::fflush(stdout);
}

int mixed(const std::string& db, const std::string& prefix, unsigned seed, long ops, const std::string& durability) {
  runjournal::Options options;
  options.durability = durability == "normal" ? runjournal::Durability::Normal : runjournal::Durability::Full;
  Journal journal = Journal::open(db, options);
  std::mt19937 rng(seed);
  std::vector<std::string> runs;
  long made = 0;
  const auto new_id = [&] { return prefix + "-" + std::to_string(made++); };
  const auto some_run = [&] { return runs[rng() % runs.size()]; };
  const auto create = [&] {
    begin("create");
    const runjournal::Run run = journal.create_run({.session_id = prefix, .prompt = "child", .run_id = new_id()});
    runs.push_back(run.run_id);
    std::printf("ACK %s 1 %lld\n", run.run_id.c_str(), static_cast<long long>(run.first_position));
  };
  create();
  for (long op = 0; op < ops; ++op) {
    const auto choice = static_cast<unsigned>(rng() % 20);
    if (choice < 9) {
      begin("append");
      const std::string key = prefix + "-k" + std::to_string(op);
      print_ack(journal.append(some_run(), "tool_called", {{"op", op}}, {.idempotency_key = key}));
    } else if (choice < 14) {
      begin("batch");
      // Mostly small batches; now and then a large one, so kills land inside.
      const std::size_t size = rng() % 4 == 0 ? 200 + rng() % 400 : 2 + rng() % 10;
      std::vector<runjournal::NewEvent> batch;
      if (rng() % 3 == 0) {
        const std::string id = new_id();
        batch.push_back({id, "run_created", {{"session_id", prefix}}});
        runs.push_back(id);
      }
      for (std::size_t i = batch.size(); i < size; ++i) {
        batch.push_back({some_run(), i % 7 == 0 ? "step_started" : "token", {{"op", op}, {"i", i}}});
      }
      try {
        for (const auto& e : journal.append_batch(batch)) print_ack(e);
      } catch (...) {
        if (batch.front().kind == "run_created") runs.pop_back();
        throw;
      }
    } else if (choice < 16) {
      create();
    } else if (choice < 18) {
      begin("rebuild");
      journal.rebuild();
      std::printf("REBUILT\n");
    } else {
      begin("import");
      runjournal::RunRecord record;
      record.run.run_id = new_id();
      const std::int64_t n = 3 + static_cast<std::int64_t>(rng() % 30);
      for (std::int64_t seq = 1; seq <= n; ++seq) {
        nlohmann::json payload = seq == 1 ? nlohmann::json{{"session_id", prefix}} : nlohmann::json{{"seq", seq}};
        record.events.push_back({.position = 0, .run_id = record.run.run_id, .seq = seq, .ts_ms = 1000 + seq,
                                 .kind = seq == 1 ? "run_created" : "tool_called", .payload = std::move(payload)});
      }
      std::istringstream in(runjournal::record_to_line(record) + "\n");
      journal.import_records(in);
      runs.push_back(record.run.run_id);
      std::printf("IMPORTED %s %lld\n", record.run.run_id.c_str(), static_cast<long long>(n));
      for (const auto& e : journal.events(record.run.run_id)) print_ack(e);
    }
    std::fflush(stdout);
  }
  return 0;
}

int keyed_batches(const std::string& db, unsigned seed, long first, long count, const std::string& durability) {
  runjournal::Options options;
  options.durability = durability == "normal" ? runjournal::Durability::Normal : runjournal::Durability::Full;
  Journal journal = Journal::open(db, options);
  const std::vector<std::string> runs = {"kb-0", "kb-1", "kb-2"};
  for (const std::string& id : runs) {
    if (journal.run(id)) continue;  // made by an earlier child
    const runjournal::Run run = journal.create_run({.session_id = "kb", .prompt = "child", .run_id = id});
    std::printf("ACK %s 1 %lld\n", run.run_id.c_str(), static_cast<long long>(run.first_position));
  }
  for (long op = first; op < first + count; ++op) {
    // The batch is a function of (seed, op): a retry after a kill sends the
    // same events with the same keys, which an idempotent retry needs.
    std::mt19937 rng(seed ^ static_cast<unsigned>(op * 2654435761u));
    const std::size_t size = rng() % 5 == 0 ? 100 + rng() % 300 : 1 + rng() % 12;
    const std::string pad(rng() % 4 == 0 ? std::size_t{1500} : std::size_t{8}, 'x');
    std::vector<runjournal::NewEvent> batch;
    for (std::size_t i = 0; i < size; ++i) {
      runjournal::NewEvent e{runs[rng() % runs.size()], "tool_called", {{"op", op}, {"i", i}, {"pad", pad}}, {}};
      e.options.idempotency_key = "b" + std::to_string(op) + "." + std::to_string(i) + "/" + std::to_string(size);
      batch.push_back(std::move(e));
    }
    std::printf("BEGIN %ld\n", op);
    std::fflush(stdout);
    for (const auto& e : journal.append_batch(batch)) print_ack(e);
    std::printf("DONE %ld\n", op);
    std::fflush(stdout);
  }
  return 0;
}

int slow_read(const std::string& db, double seconds, long hold_ms) {
  SQLite::Database reader(db, SQLite::OPEN_READONLY, 10'000);
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  long held = 0;
  while (std::chrono::steady_clock::now() < until) {
    reader.exec("BEGIN");
    const std::int64_t before = reader.execAndGet("SELECT count(*) FROM events").getInt64();
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    const std::int64_t after = reader.execAndGet("SELECT count(*) FROM events").getInt64();
    reader.exec("COMMIT");
    if (before != after) {
      std::fprintf(stderr, "a read snapshot moved: %lld then %lld\n", static_cast<long long>(before),
                   static_cast<long long>(after));
      return 4;
    }
    ++held;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::printf("HELD %ld\n", held);
  return 0;
}

int drive(const std::string& db, const std::string& session, const std::string& run_id) {
  Journal journal = Journal::open(db);
  try {
    journal.reserve({.session_id = session, .prompt = "driven by a child", .run_id = run_id});
  } catch (const runjournal::Error& e) {
    if (e.code() != runjournal::ErrorCode::AlreadyRunning) throw;
    std::printf("ALREADY_RUNNING\n");
    return 0;
  }
  journal.append(run_id, "run_started");
  journal.save_checkpoint(run_id, "cp-1", {{"step", 1}});
  std::printf("READY\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::minutes(1));  // the test kills it long before
  return 0;
}

int list_runs(const std::string& db) {
  Journal journal = Journal::open(db, {.read_only = true});
  for (const runjournal::Run& run : journal.runs({}, {.limit = SIZE_MAX})) {
    std::printf("RUN %s %s %lld\n", run.run_id.c_str(), std::string(runjournal::to_string(run.status)).c_str(),
                static_cast<long long>(run.event_count));
  }
  std::printf("EVENTS %zu\n", journal.events_after(0, SIZE_MAX).size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() >= 4 && args[0] == "append") {
      return append(args[1], args[2], std::stol(args[3]), args.size() > 4 ? args[4] : "full");
    }
    if (args.size() == 3 && args[0] == "read") return read(args[1], std::stod(args[2]));
    if (args.size() == 2 && args[0] == "runs") return list_runs(args[1]);
    if (args.size() == 4 && args[0] == "create-exclusive") return create_exclusive(args[1], args[2], args[3]);
    if (args.size() == 4 && args[0] == "drive") return drive(args[1], args[2], args[3]);
    if (args.size() >= 5 && args[0] == "mixed") {
      return mixed(args[1], args[2], static_cast<unsigned>(std::stoul(args[3])), std::stol(args[4]),
                   args.size() > 5 ? args[5] : "full");
    }
    if (args.size() >= 5 && args[0] == "keyed-batches") {
      return keyed_batches(args[1], static_cast<unsigned>(std::stoul(args[2])), std::stol(args[3]),
                           std::stol(args[4]), args.size() > 5 ? args[5] : "full");
    }
    if (args.size() == 4 && args[0] == "slow-read") return slow_read(args[1], std::stod(args[2]), std::stol(args[3]));
  } catch (const runjournal::Error& e) {
    std::fprintf(stderr, "%s: %s\n", std::string(runjournal::to_string(e.code())).c_str(), e.what());
    return 3;
  } catch (const std::exception& e) {  // SQLiteCpp, in slow-read
    std::fprintf(stderr, "exception: %s\n", e.what());
    return 5;
  }
  std::fprintf(stderr, "usage: see tests/journal_child.cpp\n");
  return 2;
}
