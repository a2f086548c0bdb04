// convert.cpp — the C API's inputs into their C++ forms: JSON text, append
// options and new runs. Every refusal is Error(InvalidArgument) naming the
// argument, so a C caller learns which one was wrong. JSON text goes
// through the library's own parser (runjournal::parse_json), the one the
// command line uses, so text from C meets exactly the limits text from the
// command line meets.
#include <runjournal/json.hpp>

#include "capi.hpp"

namespace runjournal::capi {

nlohmann::json parse_json(const rj_journal& journal, const char* text, const char* what, nlohmann::json if_null) {
  if (text == nullptr) return if_null;
  return runjournal::parse_json(text, journal.journal.max_json_depth(), what);
}

AppendOptions append_options(const rj_append_options* options) {
  AppendOptions out;
  if (options == nullptr) return out;
  const rj_append_options given = read_struct(options, "append options");
  if (given.has_expected_seq) out.expected_seq = given.expected_seq;
  if (given.idempotency_key) out.idempotency_key = given.idempotency_key;
  return out;
}

Progress progress_of(rj_progress_fn progress, void* user) {
  if (progress == nullptr) return {};
  return [progress, user](std::int64_t done, std::int64_t total) { progress(user, done, total); };
}

NewRun new_run(const rj_journal& journal, const rj_new_run* run) {
  const rj_new_run given = read_struct(run, "run");
  NewRun out;
  out.session_id = require_text(given.session_id, "session_id");
  if (given.prompt) out.prompt = given.prompt;
  if (given.run_id) out.run_id = std::string(given.run_id);
  out.inputs = parse_json(journal, given.inputs_json, "inputs");
  out.metadata = parse_json(journal, given.metadata_json, "metadata");
  out.exclusive = given.exclusive != 0;
  if (given.agent_spec_digest) out.agent_spec_digest = given.agent_spec_digest;
  if (given.git_sha) out.git_sha = given.git_sha;
  return out;
}

}  // namespace runjournal::capi
