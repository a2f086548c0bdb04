// convert.cpp — the C API's inputs into their C++ forms: JSON text, append
// options and new runs. Every refusal is Error(InvalidArgument) naming the
// argument, so a C caller learns which one was wrong.
#include <fmt/format.h>

#include "capi.hpp"

namespace runjournal::capi {
namespace {

// Depth of the deepest array or object in `text`, counting only brackets
// outside strings; stops counting past `limit`. nlohmann's parser itself is
// iterative, but dump() and comparisons recurse, so a payload nested a
// million deep must never become a json value.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

nlohmann::json parse_json(const char* text, const char* what, nlohmann::json if_null) {
  if (text == nullptr) return if_null;
  const std::string_view view(text);
  if (nesting_depth(view, kMaxJsonDepth) > kMaxJsonDepth) {
    throw Error(ErrorCode::InvalidArgument, fmt::format("{} nests deeper than {} levels", what, kMaxJsonDepth));
  }
  try {
    return nlohmann::json::parse(view);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorCode::InvalidArgument, fmt::format("{} is not valid JSON: {}", what, e.what()));
  }
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

NewRun new_run(const rj_new_run* run) {
  const rj_new_run given = read_struct(run, "run");
  NewRun out;
  out.session_id = require_text(given.session_id, "session_id");
  if (given.prompt) out.prompt = given.prompt;
  if (given.run_id) out.run_id = std::string(given.run_id);
  out.inputs = parse_json(given.inputs_json, "inputs");
  out.metadata = parse_json(given.metadata_json, "metadata");
  out.exclusive = given.exclusive != 0;
  return out;
}

}  // namespace runjournal::capi
