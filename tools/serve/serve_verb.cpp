// serve_verb.cpp — `runjournal serve DB [--listen ADDR] [--token T]`: the
// web view (server.hpp) as a verb of the command line.
//
// It prints the URL to open and serves until SIGINT or SIGTERM. Signals are
// blocked in every thread and taken by sigwait() here, so a Ctrl-C stops
// the server in an orderly way (streams end, connections close) instead of
// killing it mid-write. SIGPIPE is ignored: a client that hung up must fail
// one write, not end the process.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "serve/listen_address.hpp"
#include "serve/server.hpp"
#include "verbs.hpp"

namespace runjournal::cli {
namespace {

struct ServeArgs {
  std::string db;
  std::string listen = "127.0.0.1:8080";
  std::optional<std::string> token;
  std::vector<std::string> allow_hosts;
};

int serve(const ServeArgs& args) {
  serve::ListenAddress address;
  try {
    address = serve::parse_listen(args.listen);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("--listen {}: {}", args.listen, e.what()));
  }
  // As every reading verb: a missing file is an error, and none is made.
  if (!std::filesystem::exists(args.db)) throw CliError(fmt::format("no journal at {}", args.db));

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts: all inherit it
  std::signal(SIGPIPE, SIG_IGN);

  serve::ServerConfig config;
  config.journal = args.db;
  config.host = address.host;
  config.port = address.port;
  config.token = args.token;
  config.allow_hosts = args.allow_hosts;
  std::unique_ptr<serve::Server> server;
  try {
    server = std::make_unique<serve::Server>(config);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const Error*>(&e) != nullptr) throw;
    throw CliError(e.what());
  }
  std::string url = server->url();
  if (args.token) url += "?token=" + *args.token;
  std::cout << fmt::format("runjournal serve: {} (read-only view of {}; Ctrl-C stops)", url, args.db) << std::endl;

  std::thread serving([&] {
    server->run();
    kill(getpid(), SIGTERM);  // ended by itself: wake the sigwait below
  });
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server->stop();
  serving.join();
  return kExitOk;
}

}  // namespace

void add_serve_verb(CLI::App& app, std::vector<Verb>& verbs) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a read-only web view of the journal: runs, timelines, live");
  cmd->add_option("DB", args->db, "the journal file")->required();
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0: any free)");
  cmd->add_option("--token", args->token,
                  "require this token (16+ of A-Z a-z 0-9 - _ . ~); needed off loopback");
  cmd->add_option("--allow-host", args->allow_hosts, "also answer this Host name (a proxy's), repeatable");
  cmd->footer(examples({"runjournal serve agent.journal",
                        "runjournal serve agent.journal --listen 127.0.0.1:0    # any free port",
                        "runjournal serve agent.journal --listen 0.0.0.0:8080 --token \"$(openssl rand -hex 16)\""}));
  verbs.push_back({cmd, [args] { return serve(*args); }});
}

}  // namespace runjournal::cli
