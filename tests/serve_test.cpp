// serve_test: `runjournal serve`, the real binary on a free loopback port
// against a real journal, spoken to over HTTP: the JSON API, the Host and
// token checks, JSON errors for bad input, and hostile text that stays
// text. The pages and their files have serve_page_test, the event stream
// serve_stream_test.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>

#include "serve_support.hpp"
#include "serve/listen_address.hpp"

using namespace runjournal::test::serve;
using runjournal::Journal;
using runjournal::test::TempDir;

TEST_CASE("serve prints its URL, answers on loopback, and stops on SIGTERM with exit 0") {
  Fixture fx;
  Served s(fx.db);
  CHECK(s.first_line.find("read-only") != std::string::npos);
  const json server = get_json(s, "/api/server");
  CHECK(server["journal"] == fx.db.string());
  CHECK(server["open_streams"] == 0);
  CHECK(server["token_required"] == false);
  CHECK(server["read_only"] == true);
  const runjournal::test::Outcome outcome = s.stop();
  CHECK(outcome.exit_code == 0);
}

TEST_CASE("/api/runs lists newest first, filters, and pages both ways with its cursors") {
  Fixture fx;
  {
    Journal j = Journal::open(fx.db);
    for (int i = 0; i < 7; ++i) j.create_run({.session_id = "s-many", .prompt = "bulk", .run_id = "bulk-" + std::to_string(i)});
  }
  Served s(fx.db);
  const json all = get_json(s, "/api/runs");
  CHECK(all["order"] == "newest");
  CHECK(all["runs"].size() == 11);
  CHECK(all["runs"][0]["run_id"] == "bulk-6");
  CHECK(all["runs"][10]["run_id"] == "run-done");
  CHECK(all["position"].get<std::int64_t>() > 0);
  CHECK(all["next_after"].is_null());
  CHECK(all["prev_before"].is_null());
  // The list's runs are the whole runs less their JSON columns.
  const json full = get_json(s, "/api/runs?full=1");
  REQUIRE(full["runs"].size() == all["runs"].size());
  for (std::size_t i = 0; i < full["runs"].size(); ++i) {
    json whole = full["runs"][i];
    for (const char* column : {"inputs", "outputs", "metadata", "checkpoint"}) {
      CHECK(whole.contains(column));
      whole.erase(column);
    }
    CHECK(all["runs"][i] == whole);
  }
  CHECK(ids(get_json(s, "/api/runs?status=failed")["runs"]) == std::vector<std::string>{"run-failed"});
  CHECK(ids(get_json(s, "/api/runs?session=s-a&order=oldest")["runs"]) == std::vector<std::string>{"run-done", "run-failed"});
  CHECK(ids(get_json(s, "/api/runs?q=TESTS")["runs"]) == std::vector<std::string>{"run-live"});
  CHECK(get_json(s, "/api/runs?since=1h")["runs"].size() == 11);
  CHECK(get_json(s, "/api/runs?until=2000-01-01")["runs"].empty());
  CHECK(get_json(s, "/api/runs?since=0&until=99999999999999")["runs"].size() == 11);

  // Forward by next_after, then back by prev_before: the same runs.
  std::vector<std::string> forward, backward;
  json page = get_json(s, "/api/runs?limit=3&session=s-many");
  std::string last;
  for (;;) {
    for (const std::string& id : ids(page["runs"])) forward.push_back(id);
    if (page["next_after"].is_null()) break;
    last = page["next_after"].get<std::string>();
    page = get_json(s, "/api/runs?limit=3&session=s-many&after=" + last);
    CHECK(!page["prev_before"].is_null());
  }
  CHECK(forward == std::vector<std::string>{"bulk-6", "bulk-5", "bulk-4", "bulk-3", "bulk-2", "bulk-1", "bulk-0"});
  page = get_json(s, "/api/runs?limit=3&session=s-many&before=bulk-0");
  backward.insert(backward.begin(), "bulk-0");
  for (;;) {
    const std::vector<std::string> got = ids(page["runs"]);
    backward.insert(backward.begin(), got.begin(), got.end());
    CHECK(!page["next_after"].is_null());
    if (page["prev_before"].is_null()) break;
    page = get_json(s, "/api/runs?limit=3&session=s-many&before=" + page["prev_before"].get<std::string>());
  }
  CHECK(backward == forward);
}

TEST_CASE("the runs list cuts long texts to 500 characters, at a character, and says so with an ellipsis") {
  TempDir dir;
  const std::filesystem::path db = dir.file("long.journal");
  std::string prompt;
  for (int i = 0; i < 400; ++i) prompt += "é\"";  // two characters, three bytes, one escaped
  {
    Journal j = Journal::open(db);
    j.create_run({.session_id = "s", .prompt = prompt, .run_id = "long"});
    j.append("long", "run_failed", {{"error", std::string(2000, 'x')}});
    std::string wide;  // 500 characters in 1,000 bytes: not cut
    for (int i = 0; i < 500; ++i) wide += "é";
    j.create_run({.session_id = "edge", .prompt = wide, .run_id = "wide"});
    j.create_run({.session_id = "edge2", .prompt = std::string(500, 'a'), .run_id = "fits"});
    j.create_run({.session_id = "edge3", .prompt = std::string(501, 'a'), .run_id = "over"});
  }
  Served s(db);
  const json edges = get_json(s, "/api/runs?limit=3")["runs"];
  REQUIRE(edges.size() == 3);
  CHECK(edges[0]["prompt"] == std::string(500, 'a') + "…");
  CHECK(edges[1]["prompt"] == std::string(500, 'a'));
  CHECK(edges[2]["prompt"].get<std::string>().size() == 1000);
  const json run = get_json(s, "/api/runs?session=s")["runs"][0];
  const std::string shown = run["prompt"];
  CHECK(shown.size() == 250 * 3 + std::string("…").size());
  CHECK(shown.substr(0, 6) == "é\"é\"");
  CHECK(shown.substr(shown.size() - 3) == "…");
  CHECK(run["error"].get<std::string>() == std::string(500, 'x') + "…");
  CHECK(get_json(s, "/api/runs/long")["run"]["prompt"] == prompt);  // whole on the run's own page
}

TEST_CASE("a reused /api/runs page is never one the journal has moved past") {
  Fixture fx;
  Served s(fx.db);
  const json before = get_json(s, "/api/runs?limit=2");
  CHECK(get_json(s, "/api/runs?limit=2") == before);  // the same, asked again
  Journal writer = Journal::open(fx.db);
  writer.create_run({.session_id = "s-new", .prompt = "new", .run_id = "run-new"});
  const json after = get_json(s, "/api/runs?limit=2");
  CHECK(after["runs"][0]["run_id"] == "run-new");
  CHECK(after["position"].get<std::int64_t>() == before["position"].get<std::int64_t>() + 1);
  writer.append("run-live", "run_completed");
  CHECK(get_json(s, "/api/runs?status=completed&limit=1")["runs"][0]["run_id"] == "run-live");
}

TEST_CASE("/api/runs/RUN and /api/events: the run, its driver, checkpoint and events") {
  Fixture fx;
  Served s(fx.db);
  const json live = get_json(s, "/api/runs/run-live");
  CHECK(live["run"]["status"] == "executing");
  CHECK(live["driver"]["alive"] == true);  // this test process drives it
  CHECK(live["checkpoint"]["checkpoint_id"] == "cp-1");
  CHECK(live["checkpoint"]["state"] == json({{"step", 2}}));
  CHECK(live["events"].size() == 3);
  CHECK(live["events"][2]["kind"] == "node_entered");
  CHECK(live["events_next_seq"].is_null());
  const json done = get_json(s, "/api/runs/run-done");
  CHECK(done["run"]["result_text"] == "docs written");
  CHECK(done["checkpoint"].is_null());
  const json page = get_json(s, "/api/events?run=run-done&from_seq=2&limit=2");
  REQUIRE(page["events"].size() == 2);
  CHECK(page["events"][0]["seq"] == 2);
  CHECK(page["next_from_seq"] == 4);
  CHECK(get_json(s, "/api/events?run=run-done&from_seq=4")["next_from_seq"].is_null());
  CHECK(get_json(s, "/api/runs/nope", 404)["error"]["code"] == "not_found");
  CHECK(get_json(s, "/api/events?run=nope", 404)["error"]["code"] == "not_found");
}

TEST_CASE("/api/recovery, /api/sql and /api/stats answer as the library does") {
  Fixture fx;
  // A run whose driver has exited: a child process that is gone by now.
  {
    Journal j = Journal::open(fx.db);
    runjournal::Driver gone = runjournal::this_process_driver();
    gone.pid = 999'999'999;  // no such process
    j.append("run-cut", "run_created",
             {{"session_id", "s-x"}, {"prompt", "cut off"},
              {"driver", {{"host", gone.host}, {"pid", gone.pid}, {"start_time", 1}, {"boot_id", gone.boot_id}}}});
  }
  Served s(fx.db);
  const json recovery = get_json(s, "/api/recovery");
  REQUIRE(recovery["runs"].size() == 1);
  CHECK(recovery["runs"][0]["run"]["run_id"] == "run-cut");
  CHECK(!recovery["runs"][0]["why"].get<std::string>().empty());
  const json sql = get_json(s, "/api/sql?q=" + url_encode(
                                   "SELECT run_id, status FROM runs WHERE session_id = 's-a' ORDER BY first_position"));
  CHECK(sql["columns"] == json::array({"run_id", "status"}));
  CHECK(sql["rows"] == json::array({json::array({"run-done", "completed"}), json::array({"run-failed", "failed"})}));
  httplib::Client c = s.client();
  const httplib::Result csv = c.Get("/api/sql?q=SELECT%20run_id%20FROM%20runs%20ORDER%20BY%20first_position%20LIMIT%202&format=csv");
  REQUIRE(csv);
  CHECK(csv->get_header_value("Content-Type") == "text/csv; charset=utf-8");
  CHECK(csv->body == "run_id\r\nrun-done\r\nrun-live\r\n");
  const json stats = get_json(s, "/api/stats");
  CHECK(stats["runs"] == 5);
  CHECK(stats["runs_by_status"]["failed"] == 1);
  CHECK(stats["events"].get<std::int64_t>() == stats["last_position"].get<std::int64_t>());
}

TEST_CASE("bad requests get a 4xx with a JSON error, never a crash") {
  Fixture fx;
  Served s(fx.db);
  const auto code = [&](const std::string& path, int status) {
    CAPTURE(path);
    return get_json(s, path, status)["error"]["code"].get<std::string>();
  };
  CHECK(code("/api/runs?limit=0", 400) == "bad_request");
  CHECK(code("/api/runs?limit=abc", 400) == "bad_request");
  CHECK(code("/api/runs?status=running", 400) == "bad_request");
  CHECK(code("/api/runs?since=yesterday", 400) == "bad_request");
  CHECK(code("/api/runs?since=2h&until=3h", 400) == "invalid_argument");  // the window ends before it starts
  CHECK(code("/api/runs?after=run-done&before=run-live", 400) == "invalid_argument");
  CHECK(code("/api/runs?after=no-such-run", 404) == "not_found");
  CHECK(code("/api/runs?order=sideways", 400) == "bad_request");
  CHECK(code("/api/runs?colour=red", 400) == "unknown_parameter");
  CHECK(code("/api/runs?limit=1&limit=2", 400) == "bad_request");
  CHECK(code("/api/runs?q=%C3%28", 400) == "bad_request");  // not UTF-8
  CHECK(code("/api/runs?q=" + std::string(2000, 'a'), 400) == "bad_request");
  CHECK(code("/api/stream?after=-1", 400) == "bad_request");
  CHECK(code("/api/sql", 400) == "bad_request");
  CHECK(code("/api/sql?q=DELETE%20FROM%20runs", 400) == "invalid_argument");
  CHECK(code("/api/sql?q=ATTACH%20'x'%20AS%20y", 400) == "invalid_argument");
  CHECK(code("/api/sql?q=SELEKT", 400) == "invalid_argument");
  CHECK(code("/api/nothing-here", 404) == "not_found");

  // A query string past 8 KiB, and a POST: refused before any route.
  const std::string huge = raw_request(
      s.port, "GET /api/runs?q=" + std::string(20'000, 'x') + " HTTP/1.1\r\nHost: " + s.host() + "\r\nConnection: close\r\n\r\n");
  CHECK(status_of(huge) == 414);
  CHECK(json::parse(body_of(huge))["error"]["code"] == "uri_too_long");
  httplib::Client c = s.client();
  const httplib::Result post = c.Post("/api/runs", "{}", "application/json");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "GET, HEAD");
  CHECK(json::parse(post->body)["error"]["code"] == "method_not_allowed");
  for (const char* method : {"PUT", "DELETE", "PATCH"}) {
    const std::string raw = raw_request(s.port, std::string(method) + " /api/runs/run-done HTTP/1.1\r\nHost: " + s.host() +
                                                    "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    CHECK(status_of(raw) == 405);
  }
  // Still serving after all of it.
  CHECK(get_json(s, "/api/runs")["runs"].size() == 4);
}

TEST_CASE("the Host header must name this server: DNS rebinding is refused") {
  Fixture fx;
  Served s(fx.db);
  const auto status = [&](const std::string& host_line) {
    return status_of(raw_request(s.port, "GET /api/runs HTTP/1.1\r\n" + host_line + "Connection: close\r\n\r\n"));
  };
  CHECK(status("Host: " + s.host() + "\r\n") == 200);
  CHECK(status("Host: localhost:" + std::to_string(s.port) + "\r\n") == 200);
  CHECK(status("Host: LOCALHOST:" + std::to_string(s.port) + "\r\n") == 200);
  CHECK(status("Host: evil.example:" + std::to_string(s.port) + "\r\n") == 403);
  CHECK(status("Host: 127.0.0.1:1\r\n") == 403);
  CHECK(status("") == 403);  // none at all
  const std::string raw = raw_request(s.port, "GET / HTTP/1.1\r\nHost: rebind.example\r\nConnection: close\r\n\r\n");
  CHECK(json::parse(body_of(raw))["error"]["code"] == "forbidden_host");
  CHECK(raw.find("Content-Security-Policy:") != std::string::npos);
  // A fetch from another origin is refused too; a link from one is not.
  httplib::Client c = s.client();
  CHECK(c.Get("/api/runs", {{"Origin", "http://evil.example"}})->status == 403);
  CHECK(c.Get("/api/runs", {{"Origin", "http://" + s.host()}})->status == 200);
  CHECK(c.Get("/api/runs", {{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Mode", "cors"}})->status == 403);
  CHECK(c.Get("/runs/run-done", {{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Mode", "navigate"}})->status == 200);
}

TEST_CASE("with a token every request needs it; the URL's token becomes a cookie") {
  Fixture fx;
  const std::string token = "0123456789abcdef-token";
  Served s(fx.db, {"--token", token});
  CHECK(s.first_line.find("?token=" + token) != std::string::npos);
  httplib::Client c = s.client();
  const httplib::Result none = c.Get("/api/runs");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(json::parse(none->body)["error"]["code"] == "unauthorized");
  CHECK(c.Get("/runs")->status == 401);
  CHECK(c.Get("/api/runs", {{"Authorization", "Bearer wrong-token-wrong-token"}})->status == 401);
  CHECK(c.Get("/api/runs", {{"Authorization", "Bearer " + token}})->status == 200);
  const httplib::Result by_url = c.Get(("/runs?token=" + token).c_str());
  REQUIRE(by_url);
  CHECK(by_url->status == 200);
  const std::string cookie = by_url->get_header_value("Set-Cookie");
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  const std::string pair = cookie.substr(0, cookie.find(';'));
  CHECK(c.Get("/api/runs", {{"Cookie", "other=1; " + pair}})->status == 200);
  CHECK(c.Get("/api/runs", {{"Cookie", pair + "x"}})->status == 401);
}

TEST_CASE("a non-loopback --listen needs a --token; a bad --listen is a usage error") {
  Fixture fx;
  const runjournal::test::Outcome open = runjournal::test::run_process(
      {RUNJOURNAL_CLI, "serve", fx.db.string(), "--listen", "0.0.0.0:0"});
  CHECK(open.exit_code == 2);
  CHECK(open.err.find("--token") != std::string::npos);
  CHECK(runjournal::test::run_process({RUNJOURNAL_CLI, "serve", fx.db.string(), "--listen", "nowhere"}).exit_code == 2);
  CHECK(runjournal::test::run_process({RUNJOURNAL_CLI, "serve", fx.db.string(), "--listen", "127.0.0.1:70000"}).exit_code == 2);
  CHECK(runjournal::test::run_process({RUNJOURNAL_CLI, "serve", fx.db.string(), "--token", "short"}).exit_code == 2);
  const runjournal::test::Outcome missing =
      runjournal::test::run_process({RUNJOURNAL_CLI, "serve", fx.dir.file("absent.journal").string()});
  CHECK(missing.exit_code == 1);
  CHECK(!std::filesystem::exists(fx.dir.file("absent.journal")));
}

TEST_CASE("listen addresses: loopback names, IPv6 brackets, and the Host names each answers") {
  using namespace runjournal::serve;
  CHECK(parse_listen("127.0.0.1:8080").host == "127.0.0.1");
  CHECK(parse_listen("[::1]:0").host == "::1");
  CHECK(parse_listen("[::1]:0").port == 0);
  CHECK_THROWS_AS(parse_listen("::1:80"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen(":80"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen("host:-1"), std::invalid_argument);
  CHECK(is_loopback("127.8.9.10"));
  CHECK(is_loopback("::1"));
  CHECK(is_loopback("localhost"));
  CHECK(!is_loopback("10.0.0.1"));
  CHECK(!is_loopback("0.0.0.0"));
  CHECK(is_wildcard("0.0.0.0"));
  CHECK(is_wildcard("::"));
  const std::vector<std::string> loop = allowed_hosts("127.0.0.1", 8080, {});
  CHECK(host_allowed("localhost:8080", loop));
  CHECK(host_allowed("[::1]:8080", loop));
  CHECK(!host_allowed("localhost", loop));
  CHECK(!host_allowed("example.com:8080", loop));
  CHECK(host_allowed("proxy.example:8080", allowed_hosts("127.0.0.1", 8080, {"proxy.example"})));
  CHECK(host_allowed("anything:1", allowed_hosts("0.0.0.0", 8080, {})));
  CHECK(host_allowed("localhost", allowed_hosts("127.0.0.1", 80, {})));
}

TEST_CASE("hostile prompts and payloads are data: JSON-escaped, byte for byte, never markup") {
  Fixture fx;
  Served s(fx.db);
  const json run = get_json(s, "/api/runs/run-hostile");
  CHECK(run["run"]["prompt"] == kHostile);
  CHECK(run["events"][1]["payload"]["html"] == kHostile);
  httplib::Client c = s.client();
  const httplib::Result raw = c.Get("/api/runs/run-hostile");
  REQUIRE(raw);
  CHECK(raw->get_header_value("X-Content-Type-Options") == "nosniff");
  const json found = get_json(s, "/api/runs?q=" + url_encode("<img"));
  CHECK(ids(found["runs"]) == std::vector<std::string>{"run-hostile"});
  // An error that quotes the request quotes it as JSON text.
  const json error = get_json(s, "/api/runs/" + url_encode("<script>x</script>"), 404);
  CHECK(error["error"]["message"] == "no run <script>x</script>");
}

TEST_CASE("no endpoint writes: the journal file is byte for byte the same after all of them") {
  Fixture fx;
  Served s(fx.db);
  // Let the server finish opening before taking the snapshot.
  get_json(s, "/api/server");
  const std::string before = runjournal::test::read_file(fx.db);
  for (const std::string path : {"/api/runs", "/api/runs/run-live", "/api/events?run=run-done", "/api/recovery",
                                 "/api/recovery?include_interrupted=1", "/api/stats", "/api/server",
                                 "/api/sql?q=SELECT%20count(*)%20FROM%20events"}) {
    get_json(s, path);
  }
  SseClient stream(s.port, s.host(), "/api/stream");
  REQUIRE(stream.status() == 200);
  REQUIRE(stream.next());
  stream.close_now();
  CHECK(s.stop().exit_code == 0);
  CHECK(runjournal::test::read_file(fx.db) == before);
}
