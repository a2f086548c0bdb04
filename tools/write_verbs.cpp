// write_verbs.cpp — init, start, append, complete, fail, cancel.
//
// Each verb is one library call (plus, for complete/fail/cancel, a read of the
// run first, to say when it was already finished). Every write is atomic in
// the library: a verb that exits non-zero has written nothing.

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <runjournal/json.hpp>

#include "cli_common.hpp"
#include "jsonl_batch.hpp"
#include "verbs.hpp"

namespace runjournal::cli {
namespace {

// What append, complete, fail and cancel print for the event they wrote.
void print_event(const Event& event, bool json) {
  if (json) {
    print_json(to_json(event));
  } else {
    std::cout << event.seq << ' ' << event.position << '\n';
  }
}

int init(const std::string& db) {
  bool existed = false;
  if (is_journal_uri(db)) {
    Journal journal = open_or_create(db, &existed);
  } else {
    std::error_code ec;
    // An empty file (what a fresh mkstemp() leaves) is initialised too.
    existed = std::filesystem::exists(db, ec) && std::filesystem::file_size(db, ec) > 0 && !ec;
    Journal journal = open_or_create(db);
  }
  std::cout << (existed ? "journal is ready: " : "created journal ") << display_location(db) << '\n';
  return kExitOk;
}

void add_init(CLI::App& app, std::vector<Verb>& verbs) {
  auto db = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("init", "Create a journal, or bring an existing one up to date");
  cmd->add_option("DB", *db, "journal file")->required();
  cmd->footer(examples({"runjournal init agent.journal"}));
  verbs.push_back({cmd, [db] { return init(*db); }});
}

struct StartArgs {
  std::string db, session, prompt, id, inputs;
  bool exclusive = false;
  bool json = false;
  std::int64_t driver_pid = 0;
  CLI::Option* id_option = nullptr;
  CLI::Option* inputs_option = nullptr;
  CLI::Option* driver_option = nullptr;
};

int start(const StartArgs& args) {
  NewRun new_run;
  new_run.session_id = args.session;
  new_run.prompt = args.prompt;
  if (args.id_option->count() > 0) {
    new_run.run_id = args.id;
  }
  // Input is read and checked before the journal is opened: bad input
  // leaves the file untouched (an open to write may migrate it).
  if (args.inputs_option->count() > 0) {
    new_run.inputs = read_json_argument(args.inputs, "--inputs");
  }
  new_run.exclusive = args.exclusive;
  Journal journal = open_existing(args.db, driver_pid_of(args.driver_option, args.driver_pid));
  const Run run = journal.create_run(new_run);
  if (args.json) {
    print_json(to_json(run));
  } else {
    std::cout << run.run_id << '\n';
  }
  return kExitOk;
}

void add_start(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<StartArgs>();
  CLI::App* cmd = app.add_subcommand("start", "Create a run (its run_created event); print its id");
  cmd->add_option("DB", args->db, "journal file")->required();
  cmd->add_option("--session", args->session, "the session the run belongs to")->required();
  cmd->add_option("--prompt", args->prompt, "what the run is asked to do");
  args->id_option = cmd->add_option("--id", args->id, "the run's id (default: run-<uuid v4>)");
  args->inputs_option =
      cmd->add_option("--inputs", args->inputs, "the run's inputs, any JSON (- for stdin, @FILE for a file)");
  cmd->add_flag("--exclusive", args->exclusive,
                "fail if the session has a run that is not completed, failed or cancelled");
  cmd->add_flag("--json", args->json, "print the whole run as JSON");
  args->driver_option = add_driver_pid(*cmd, args->driver_pid);
  cmd->footer(examples({
      "runjournal start agent.journal --session s1 --prompt 'fix the tests'",
      "runjournal start agent.journal --session s1 --driver-pid $$   # this shell drives it",
      R"(runjournal start agent.journal --session s1 --id r42 --inputs '{"repo":"x"}' --exclusive)",
  }));
  verbs.push_back({cmd, [args] { return start(*args); }});
}

struct AppendArgs {
  std::string db, run, kind, payload, jsonl, key;
  std::int64_t expect_seq = 0;
  std::int64_t driver_pid = 0;
  bool json = false;
  bool each = false;
  CLI::Option* driver_option = nullptr;
  CLI::Option* run_option = nullptr;
  CLI::Option* kind_option = nullptr;
  CLI::Option* payload_option = nullptr;
  CLI::Option* jsonl_option = nullptr;
  CLI::Option* expect_option = nullptr;
  CLI::Option* key_option = nullptr;
};

int append_one(const AppendArgs& args) {
  nlohmann::json payload = nlohmann::json::object();
  if (args.payload_option->count() > 0) {
    payload = read_json_argument(args.payload, "PAYLOAD");
  }
  Journal journal = open_existing(args.db, driver_pid_of(args.driver_option, args.driver_pid));
  AppendOptions options;
  if (args.expect_option->count() > 0) {
    options.expected_seq = args.expect_seq;
  }
  if (args.key_option->count() > 0) {
    options.idempotency_key = args.key;
  }
  print_event(journal.append(args.run, args.kind, payload, options), args.json);
  return kExitOk;
}

// `append --jsonl`: one batch, all or nothing, read and parsed on a thread
// of its own a chunk at a time while the journal writes the chunks before
// it (Journal::append_batch_chunked), so parsing overlaps writing.
class JsonlPipeline {
 public:
  explicit JsonlPipeline(std::istream& in) : producer_([this, &in] { produce(in); }) {}
  ~JsonlPipeline() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;  // the consumer is gone (done, or the batch failed)
    }
    cv_.notify_all();
    producer_.join();
  }
  JsonlPipeline(const JsonlPipeline&) = delete;
  JsonlPipeline& operator=(const JsonlPipeline&) = delete;

  // The next chunk, false at the end; rethrows the reader's error (a bad
  // line), which rolls the batch back. `bytes` becomes the input read up
  // to the chunk's end.
  bool next(std::vector<NewEvent>& chunk, std::int64_t& bytes) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return false;
    }
    chunk = std::move(ready_.front().events);
    bytes = ready_.front().bytes;
    ready_.pop_front();
    cv_.notify_all();
    return true;
  }

  // The input line of the batch's index-th event (it has been read).
  std::size_t line_of(std::size_t index) {
    std::lock_guard lock(mu_);
    return index < lines_.size() ? lines_[index] : 0;
  }

 private:
  static constexpr std::size_t kChunk = 4096;  // events per chunk
  static constexpr std::size_t kAhead = 4;     // chunks parsed ahead at most

  void produce(std::istream& in) {
    try {
      JsonlReader reader(in);
      std::vector<std::size_t> lines;
      for (;;) {
        std::vector<NewEvent> chunk;
        lines.clear();
        if (!reader.next(chunk, lines, kChunk)) break;
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return ready_.size() < kAhead || stopped_; });
        if (stopped_) return;
        ready_.push_back({std::move(chunk), reader.bytes()});
        lines_.insert(lines_.end(), lines.begin(), lines.end());
        cv_.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(mu_);
      error_ = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      finished_ = true;
    }
    cv_.notify_all();
  }

  struct Chunk {
    std::vector<NewEvent> events;
    std::int64_t bytes = 0;  // of input read up to its end
  };

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> ready_;
  std::vector<std::size_t> lines_;
  std::exception_ptr error_;
  bool finished_ = false;
  bool stopped_ = false;
  std::thread producer_;  // last: started once the rest is constructed
};

// The size of the input when it is a regular file (for progress), else 0.
std::int64_t input_size(const std::string& name) {
  if (name == "-") return 0;
  std::error_code ec;
  const auto size = std::filesystem::file_size(name, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

std::vector<Event> append_jsonl(Journal& journal, std::istream& in, std::int64_t total_bytes) {
  JsonlPipeline pipeline(in);
  TerminalProgress progress("appending", "bytes");
  const Progress report = progress.callback();
  try {
    return journal.append_batch_chunked([&](std::vector<NewEvent>& chunk) {
      std::int64_t bytes = 0;
      const bool more = pipeline.next(chunk, bytes);
      if (more && report) report(bytes, std::max(bytes, total_bytes));
      return more;
    });
  } catch (const Error& e) {
    // The library says which event of the batch it refused; name its line.
    if (auto index = e.batch_index()) {
      if (const std::size_t line = pipeline.line_of(*index); line > 0) {
        throw Error(e.code(), fmt::format("line {}: batch not written: {}", line, e.what()));
      }
    }
    throw Error(e.code(), fmt::format("batch not written: {}", e.what()));
  }
}

// A batch prints one summary line by default (a 200,000-event batch is not
// 200,000 lines on a terminal); --each prints "seq position" per event,
// --json one event object per line (JSON Lines).
void print_batch(const std::vector<Event>& written, const AppendArgs& args) {
  if (args.json) {
    for (const Event& event : written) std::cout << to_json(event).dump() << '\n';
    return;
  }
  if (args.each) {
    for (const Event& event : written) print_event(event, false);
    return;
  }
  if (written.empty()) {
    std::cout << "appended 0 events\n";
    return;
  }
  std::set<std::string_view> runs;
  std::int64_t first = written.front().position, last = first;
  for (const Event& event : written) {
    runs.insert(event.run_id);
    first = std::min(first, event.position);
    last = std::max(last, event.position);
  }
  std::cout << fmt::format("appended {} event{} to {} run{} (positions {}..{})\n", written.size(),
                           written.size() == 1 ? "" : "s", runs.size(), runs.size() == 1 ? "" : "s", first, last);
}

int append_batch(const AppendArgs& args) {
  Journal journal = open_existing(args.db, driver_pid_of(args.driver_option, args.driver_pid));
  std::vector<Event> written;
  if (args.jsonl == "-") {
    written = append_jsonl(journal, std::cin, 0);
  } else {
    std::ifstream file(args.jsonl, std::ios::binary);
    if (!file) {
      throw CliError(fmt::format("cannot open {}: {}", args.jsonl, std::strerror(errno)));
    }
    written = append_jsonl(journal, file, input_size(args.jsonl));
  }
  print_batch(written, args);
  return kExitOk;
}

int append(const AppendArgs& args) {
  const bool batch = args.jsonl_option->count() > 0;
  // CLI11 refuses RUN/KIND together with --jsonl; this is the other half.
  if (!batch && (args.run_option->count() == 0 || args.kind_option->count() == 0)) {
    throw UsageError("append needs RUN and KIND, or --jsonl FILE (see runjournal append --help)");
  }
  if (!batch && args.each) throw UsageError("--each is for --jsonl batches (see runjournal append --help)");
  return batch ? append_batch(args) : append_one(args);
}

void add_append(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<AppendArgs>();
  CLI::App* cmd =
      app.add_subcommand("append", "Append an event to a run; print its seq and position");
  cmd->add_option("DB", args->db, "journal file")->required();
  args->run_option = cmd->add_option("RUN", args->run, "the run's id");
  args->kind_option =
      cmd->add_option("KIND", args->kind, "what happened: tool_called, step_started, …");
  args->payload_option = cmd->add_option(
      "PAYLOAD", args->payload, "a JSON object (default {}); - reads it from stdin, @FILE from a file");
  args->jsonl_option = cmd->add_option(
      "--jsonl", args->jsonl,
      "append a batch, all or nothing: one {\"run_id\",\"kind\",\"payload\"} object per line of "
      "FILE (- for stdin), optionally with \"idempotency_key\" and \"expected_seq\"");
  args->expect_option = cmd->add_option("--expect-seq", args->expect_seq,
                                        "the run's last seq you saw; fail if it has moved past it")
                            ->check(whole_number_check(0, "a seq"));
  args->key_option = cmd->add_option(
      "--key", args->key, "idempotency key: a retry with the same key returns the first event");
  cmd->add_flag("--json", args->json,
                "print the whole event as JSON (with --jsonl: one event object per line, JSON Lines)");
  cmd->add_flag("--each", args->each,
                "with --jsonl: print each event's seq and position, a line per event (default: one summary "
                "line; progress shows on a terminal)");
  args->driver_option = add_driver_pid(*cmd, args->driver_pid);
  for (CLI::Option* single : {args->run_option, args->kind_option, args->payload_option,
                              args->expect_option, args->key_option}) {
    args->jsonl_option->excludes(single);
  }
  cmd->footer(examples({
      R"(runjournal append agent.journal r42 tool_called '{"tool_name":"search"}')",
      "runjournal append agent.journal r42 step_started --expect-seq 3 --key step-4",
      "producer | runjournal append agent.journal --jsonl -",
      "runjournal append agent.journal r42 tool_result @result.json   # a payload too big for the command line",
      "runjournal append agent.journal r42 run_resumed --driver-pid $$   # resume it under this shell",
  }));
  verbs.push_back({cmd, [args] { return append(*args); }});
}

struct FinishArgs {
  std::string db, run, text, outputs;
  bool json = false;
  CLI::Option* text_option = nullptr;
  CLI::Option* outputs_option = nullptr;
};

// complete, fail and cancel append their terminal event. On a run that is
// already finished the event is still recorded (DESIGN.md: late events are
// recorded, the status is final) and a note says so. The note comes from a
// read just before the append: informational, not a guarantee under races.
int finish_run(const FinishArgs& args, const std::string& kind, const nlohmann::json& payload) {
  Journal journal = open_existing(args.db);
  const std::optional<Run> before = journal.run(args.run);
  const Event event = journal.append(args.run, kind, payload);
  if (before && is_terminal(before->status)) {
    const std::string_view status = to_string(before->status);
    print_note(fmt::format("run {} was already {}: the {} event is recorded, its status stays {}",
                           args.run, status, kind, status));
  }
  print_event(event, args.json);
  return kExitOk;
}

int complete(const FinishArgs& args) {
  nlohmann::json payload = nlohmann::json::object();
  if (args.text_option->count() > 0) {
    payload["result_text"] = args.text;
  }
  if (args.outputs_option->count() > 0) {
    payload["outputs"] = read_json_argument(args.outputs, "--outputs");
  }
  return finish_run(args, "run_completed", payload);
}

int fail(const FinishArgs& args) { return finish_run(args, "run_failed", {{"error", args.text}}); }

int cancel(const FinishArgs& args) {
  nlohmann::json payload = nlohmann::json::object();
  if (args.text_option->count() > 0) {
    payload["reason"] = args.text;
  }
  return finish_run(args, "run_cancelled", payload);
}

// The part of complete, fail and cancel that is the same: DB RUN [--json].
CLI::App* add_finish_command(CLI::App& app, const char* name, const char* description,
                             FinishArgs& args) {
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->add_option("DB", args.db, "journal file")->required();
  cmd->add_option("RUN", args.run, "the run's id")->required();
  cmd->add_flag("--json", args.json, "print the whole event as JSON");
  return cmd;
}

void add_complete(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<FinishArgs>();
  CLI::App* cmd = add_finish_command(
      app, "complete", "Mark a run completed (append run_completed); print seq and position",
      *args);
  args->text_option = cmd->add_option("--result", args->text, "the run's result text");
  args->outputs_option =
      cmd->add_option("--outputs", args->outputs, "the run's outputs, any JSON (- for stdin, @FILE for a file)");
  cmd->footer(examples({
      R"(runjournal complete agent.journal r42 --result 'tests pass' --outputs '{"files":2}')",
  }));
  verbs.push_back({cmd, [args] { return complete(*args); }});
}

void add_fail(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<FinishArgs>();
  CLI::App* cmd = add_finish_command(
      app, "fail", "Mark a run failed (append run_failed); print seq and position", *args);
  args->text_option = cmd->add_option("--error", args->text, "what went wrong")->required();
  cmd->footer(examples({"runjournal fail agent.journal r42 --error 'compiler crashed'"}));
  verbs.push_back({cmd, [args] { return fail(*args); }});
}

void add_cancel(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<FinishArgs>();
  CLI::App* cmd = add_finish_command(
      app, "cancel", "Cancel a run (append run_cancelled); print seq and position", *args);
  args->text_option = cmd->add_option("--reason", args->text, "why it was cancelled");
  cmd->footer(examples({"runjournal cancel agent.journal r42 --reason 'user pressed stop'"}));
  verbs.push_back({cmd, [args] { return cancel(*args); }});
}

}  // namespace

void add_write_verbs(CLI::App& app, std::vector<Verb>& verbs) {
  add_init(app, verbs);
  add_start(app, verbs);
  add_append(app, verbs);
  add_complete(app, verbs);
  add_fail(app, verbs);
  add_cancel(app, verbs);
}

}  // namespace runjournal::cli
