// capi.hpp — what the C API's source files share: the C handles' layouts
// (opaque to C callers), the boundary guard that turns every exception into
// a status, and text-to-JSON conversion.
//
// The C API wraps the public C++ API only (runjournal/*.hpp): nothing here
// reaches into the library's private headers, so the C API keeps every
// guarantee the C++ API states and cannot break one the C++ API keeps.
#pragma once

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <runjournal/journal.hpp>
#include <runjournal/json.hpp>
#include <runjournal/runjournal.h>

struct rj_options {
  runjournal::Options options;
};

struct rj_journal {
  runjournal::Journal journal;
  std::string path;
};

// Values carry their JSON columns already as text, so the const char*
// accessors only hand out pointers (no allocation after construction).
struct rj_run {
  explicit rj_run(runjournal::Run value);
  runjournal::Run run;
  std::optional<std::string> inputs, outputs, metadata, checkpoint;
};

struct rj_event {
  explicit rj_event(runjournal::Event value);
  runjournal::Event event;
  std::string payload;
};

struct rj_checkpoint {
  explicit rj_checkpoint(runjournal::Checkpoint value);
  runjournal::Checkpoint checkpoint;
  std::string state, payload;
};

struct rj_run_list {
  std::vector<rj_run> runs;
};

struct rj_event_list {
  std::vector<rj_event> events;
};

struct rj_recovered_list {
  struct Item {
    rj_run run;
    std::optional<rj_checkpoint> checkpoint;
    std::int64_t silent_ms;
    std::string why;
  };
  std::vector<Item> items;
};

struct rj_verify_report {
  runjournal::VerifyReport report;
};

struct rj_sql_result {
  runjournal::SqlResult result;
};

// A chunk of rj_append_batch_chunked being filled by the caller's source.
struct rj_chunk {
  const rj_journal* journal;
  std::vector<runjournal::NewEvent>* events;
  std::size_t first;  // batch index of the chunk's first event
  std::optional<runjournal::Error> error;  // the first event rj_chunk_add refused
};

namespace runjournal::capi {

// Thrown where a caller's callback asked to abort; becomes RJ_ABORTED.
class Aborted : public std::exception {
 public:
  explicit Aborted(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// The status of a library error code. Codes this version does not know
// (a newer library's) become RJ_ERROR, which the message still explains.
rj_status status_of(ErrorCode code) noexcept;

// Records a failure for the calling thread (rj_last_error_*) and returns
// `status`. Never throws: out of memory while copying the message leaves a
// fixed one.
rj_status fail(rj_status status, std::string_view message, std::int64_t batch_index = -1) noexcept;

// Runs `fn` and returns RJ_OK, or the status of whatever it threw. Every C
// entry point that can fail is one call of this: no exception crosses it.
template <class Fn>
rj_status guard(Fn&& fn) noexcept {
  try {
    fn();
    return RJ_OK;
  } catch (const Error& e) {
    const std::optional<std::size_t> index = e.batch_index();
    return fail(status_of(e.code()), e.what(), index ? static_cast<std::int64_t>(*index) : -1);
  } catch (const Aborted& e) {
    return fail(RJ_ABORTED, e.what());
  } catch (const std::bad_alloc&) {
    return fail(RJ_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(RJ_ERROR, e.what());
  } catch (...) {
    return fail(RJ_ERROR, "an unknown exception reached the C API");
  }
}

// Throws Error(InvalidArgument) naming `what` when `value` is NULL.
template <class T>
T* require(T* value, const char* what) {
  if (value == nullptr) throw Error(ErrorCode::InvalidArgument, std::string(what) + " is NULL");
  return value;
}
std::string require_text(const char* text, const char* what);

// Parses JSON text for `journal` (NULL text: `if_null`) with the library's
// own parser and the journal's max_json_depth: no recursion, so no text
// can overflow the stack. Throws Error(InvalidArgument) naming `what`.
nlohmann::json parse_json(const rj_journal& journal, const char* text, const char* what,
                          nlohmann::json if_null = nullptr);

// Options of an append from their C form (NULL: none).
AppendOptions append_options(const rj_append_options* options);

// The fields of a caller-filled struct that fit in its struct_size are
// read; the rest keep their defaults. Throws for NULL or a struct_size too
// small to hold even struct_size.
template <class T>
T read_struct(const T* given, const char* what) {
  require(given, what);
  if (given->struct_size < sizeof(std::size_t)) {
    throw Error(ErrorCode::InvalidArgument, std::string(what) + ": struct_size is not set");
  }
  T copy{};
  const std::size_t n = given->struct_size < sizeof(T) ? given->struct_size : sizeof(T);
  std::memcpy(static_cast<void*>(&copy), static_cast<const void*>(given), n);
  return copy;
}

// Writes the fields of a library-filled struct that fit in the caller's
// struct_size (0 or too small: nothing).
template <class T>
void write_struct(T* out, const T& value) {
  if (out == nullptr || out->struct_size < sizeof(std::size_t)) return;
  const std::size_t n = out->struct_size < sizeof(T) ? out->struct_size : sizeof(T);
  T copy = value;
  copy.struct_size = out->struct_size;
  std::memcpy(static_cast<void*>(out), static_cast<const void*>(&copy), n);
}

// The value a C caller passed for an enum, read as the int it is. A C
// caller may pass any int; in C++ loading an out-of-range value through
// the enum type is undefined, so the bytes are copied instead.
template <class Enum>
int raw_value(const Enum& value) noexcept {
  static_assert(sizeof(Enum) == sizeof(int));
  int raw = 0;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

// Run statuses between their C and C++ forms; an unknown C value (a raw
// int, see raw_value) throws Error(InvalidArgument).
rj_run_status c_status(RunStatus status) noexcept;
RunStatus cpp_status(int status);

// A NewRun from its C form, its JSON parsed for `journal`.
NewRun new_run(const rj_journal& journal, const rj_new_run* run);

// Lists of C values, taking the C++ values.
rj_run_list* run_list(std::vector<Run>&& runs);
rj_event_list* event_list(std::vector<Event>&& events);

// A C progress callback as a C++ Progress (empty for NULL).
Progress progress_of(rj_progress_fn progress, void* user);

// Copies into a newly allocated C string (for char** results).
char* copy_string(const std::string& text);

// Sets *out to NULL first, so a failing call leaves nothing to free.
template <class T>
void clear(T** out) {
  if (out != nullptr) *out = nullptr;
}

}  // namespace runjournal::capi
