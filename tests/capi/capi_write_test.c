/* capi_write_test.c — create_run, append, batches and chunked batches:
 * what each writes, and that every refusal writes nothing. */
#include "capi_check.h"

static void create_run_stores_every_field_and_returns_the_run(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_new_run spec = {.struct_size = sizeof spec,
                     .session_id = "s1",
                     .prompt = "fix tests",
                     .run_id = "r1",
                     .inputs_json = "{\"question\": \"What is 2+2?\"}",
                     .metadata_json = "[1, 2]",
                     .agent_spec_digest = "spec_digest_123",
                     .git_sha = "git_sha_abc"};
  rj_run* run = NULL;
  CHECK_OK(rj_create_run(journal, &spec, &run));
  CHECK_STR(rj_run_id(run), "r1");
  CHECK_STR(rj_run_session_id(run), "s1");
  CHECK_STR(rj_run_prompt(run), "fix tests");
  CHECK(rj_run_get_status(run) == RJ_RUN_CREATED);
  CHECK_STR(rj_run_inputs_json(run), "{\"question\":\"What is 2+2?\"}");
  CHECK_STR(rj_run_metadata_json(run), "[1,2]");
  CHECK(rj_run_outputs_json(run) == NULL);
  CHECK(rj_run_event_count(run) == 1);
  CHECK(rj_run_last_seq(run) == 1);
  CHECK(rj_run_first_position(run) == 1);
  CHECK_STR(rj_run_agent_spec_digest(run), "spec_digest_123");
  CHECK_STR(rj_run_git_sha(run), "git_sha_abc");
  CHECK(rj_run_final_state_digest(run) == NULL);
  rj_run_free(run);
  /* out may be NULL; prompt NULL means "". */
  rj_new_run bare = {.struct_size = sizeof bare, .session_id = "s2", .run_id = "r2"};
  CHECK_OK(rj_create_run(journal, &bare, NULL));
  CHECK_OK(rj_get_run(journal, "r2", &run));
  CHECK_STR(rj_run_prompt(run), "");
  CHECK(rj_run_inputs_json(run) == NULL);
  CHECK(rj_run_agent_spec_digest(run) == NULL);
  CHECK(rj_run_git_sha(run) == NULL);
  rj_run_free(run);
  rj_close(journal);
}

static void create_run_refusals_write_nothing(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run* first = capi_create(journal, "s1", "r1");
  rj_run_free(first);
  rj_run* run = (rj_run*)&run;
  rj_new_run spec = {.struct_size = sizeof spec, .session_id = "s1", .run_id = "r1"};
  CHECK_STATUS(RJ_ALREADY_EXISTS, rj_create_run(journal, &spec, &run));
  CHECK(run == NULL);
  spec.run_id = "r9";
  spec.exclusive = 1;
  CHECK_STATUS(RJ_ALREADY_RUNNING, rj_create_run(journal, &spec, &run));
  CHECK_MESSAGE("r1");
  spec.exclusive = 0;
  spec.inputs_json = "{not json";
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(journal, &spec, &run));
  CHECK_MESSAGE("inputs");
  spec.inputs_json = NULL;
  spec.metadata_json = "[";
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(journal, &spec, &run));
  CHECK_MESSAGE("metadata");
  spec.metadata_json = NULL;
  spec.session_id = NULL;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(journal, &spec, &run));
  CHECK_MESSAGE("session_id");
  spec.session_id = "";
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(journal, &spec, &run));
  spec.session_id = "s1";
  spec.struct_size = 0;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(journal, &spec, &run));
  CHECK_MESSAGE("struct_size");
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(journal, NULL, &run));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(NULL, &spec, &run));
  CHECK(capi_last_position(journal) == 1);
  rj_close(journal);
}

/* A caller compiled against an older, shorter rj_new_run (no `exclusive`)
 * still works: the library takes the default for what it did not pass. */
typedef struct old_new_run {
  size_t struct_size;
  const char* session_id;
  const char* prompt;
  const char* run_id;
} old_new_run;

static void a_shorter_struct_from_an_older_caller_means_defaults(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run* live = capi_create(journal, "s1", "r1");
  rj_run_free(live);
  old_new_run old = {sizeof old, "s1", "second", "r2"};
  rj_run* run = NULL;
  CHECK_OK(rj_create_run(journal, (const rj_new_run*)&old, &run));  /* not exclusive: r1 is live, no refusal */
  CHECK_STR(rj_run_prompt(run), "second");
  rj_run_free(run);
  rj_close(journal);
}

static int failing_id(void* user, char* buffer, size_t capacity) {
  (void)user;
  (void)buffer;
  (void)capacity;
  return 3;
}
static int unterminated_id(void* user, char* buffer, size_t capacity) {
  (void)user;
  memset(buffer, 'x', capacity);
  return 0;
}

static void an_id_generator_that_fails_aborts_the_create(void) {
  rj_options* options = NULL;
  CHECK_OK(rj_options_new(&options));
  CHECK_OK(rj_options_set_id_generator(options, failing_id, NULL));
  rj_journal* journal = capi_open("j.journal", options);
  rj_new_run spec = {.struct_size = sizeof spec, .session_id = "s1"};
  CHECK_STATUS(RJ_ABORTED, rj_create_run(journal, &spec, NULL));
  CHECK_MESSAGE("id generator");
  rj_close(journal);
  CHECK_OK(rj_options_set_id_generator(options, unterminated_id, NULL));
  journal = capi_open("k.journal", options);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_create_run(journal, &spec, NULL));
  /* Back to the default generator: "run-" + a UUID. */
  CHECK_OK(rj_options_set_id_generator(options, NULL, NULL));
  CHECK_OK(rj_options_set_clock(options, NULL, NULL));
  rj_close(journal);
  journal = capi_open("l.journal", options);
  rj_run* run = NULL;
  CHECK_OK(rj_create_run(journal, &spec, &run));
  CHECK(strncmp(rj_run_id(run), "run-", 4) == 0 && strlen(rj_run_id(run)) == 40);
  rj_run_free(run);
  rj_close(journal);
  rj_options_free(options);
}

static void append_assigns_seq_and_position_and_keeps_the_payload(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_event* event = NULL;
  CHECK_OK(rj_append(journal, "r1", "tool_called", "{\"tool_name\": \"search\", \"n\": [1, 2.5, null]}", NULL,
                     &event));
  CHECK(rj_event_seq(event) == 2);
  CHECK(rj_event_position(event) == 2);
  CHECK_STR(rj_event_run_id(event), "r1");
  CHECK_STR(rj_event_kind(event), "tool_called");
  CHECK_STR(rj_event_payload_json(event), "{\"n\":[1,2.5,null],\"tool_name\":\"search\"}");
  CHECK(rj_event_idempotency_key(event) == NULL);
  CHECK(rj_event_ts_ms(event) > 0);
  rj_event_free(event);
  /* A NULL payload is {}; out may be NULL. */
  CHECK_OK(rj_append(journal, "r1", "turn_started", NULL, NULL, NULL));
  CHECK_OK(rj_append(journal, "r1", "run_completed", "{\"result_text\": \"done\", \"final_state_digest\": \"sha256:f00\"}",
                     NULL, &event));
  CHECK(rj_event_seq(event) == 4);
  rj_event_free(event);
  rj_run* run = NULL;
  CHECK_OK(rj_get_run(journal, "r1", &run));
  CHECK(rj_run_get_status(run) == RJ_RUN_COMPLETED);
  CHECK_STR(rj_run_result_text(run), "done");
  CHECK_STR(rj_run_final_state_digest(run), "sha256:f00");
  rj_run_free(run);
  rj_close(journal);
}

static void expected_seq_and_idempotency_keys_guard_retries(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_append_options at1 = {.struct_size = sizeof at1, .has_expected_seq = 1, .expected_seq = 1};
  CHECK_OK(rj_append(journal, "r1", "step_started", NULL, &at1, NULL));
  CHECK_STATUS(RJ_CONFLICT, rj_append(journal, "r1", "step_started", NULL, &at1, NULL));
  rj_append_options keyed = {.struct_size = sizeof keyed, .idempotency_key = "k1"};
  rj_event* first = NULL;
  rj_event* retry = NULL;
  CHECK_OK(rj_append(journal, "r1", "tool_called", "{\"a\":1}", &keyed, &first));
  CHECK_OK(rj_append(journal, "r1", "tool_called", "{\"a\":1}", &keyed, &retry));
  CHECK(rj_event_position(first) == rj_event_position(retry));
  CHECK_STR(rj_event_idempotency_key(retry), "k1");
  /* The same key for another payload is not a retry: refused, naming it. */
  CHECK_STATUS(RJ_CONFLICT, rj_append(journal, "r1", "tool_called", "{\"a\":2}", &keyed, NULL));
  CHECK(capi_last_position(journal) == 3);
  rj_append_options unset = {0};
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "r1", "tool_called", NULL, &unset, NULL));
  rj_event_free(first);
  rj_event_free(retry);
  rj_close(journal);
}

static void append_refuses_bad_input_with_a_typed_error(void) {
  rj_options* options = NULL;
  CHECK_OK(rj_options_new(&options));
  CHECK_OK(rj_options_set_max_payload_bytes(options, 64));
  rj_journal* journal = capi_open("j.journal", options);
  rj_options_free(options);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_event* event = (rj_event*)&event;
  CHECK_STATUS(RJ_NOT_FOUND, rj_append(journal, "nope", "tool_called", NULL, NULL, &event));
  CHECK(event == NULL);
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "r1", "tool_called", "[1]", NULL, NULL));
  CHECK_MESSAGE("not a JSON object");
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "r1", "tool_called", "{\"a\":", NULL, NULL));
  CHECK_MESSAGE("not valid JSON");
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "r1", "tool_called", "{\"a\":\"\xff\"}", NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "r1", "", NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "r1", NULL, NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, NULL, "tool_called", NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(NULL, "r1", "tool_called", NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT,
               rj_append(journal, "r1", "tool_called",
                         "{\"text\": \"a payload well over the sixty-four bytes this journal allows\"}", NULL, NULL));
  CHECK_MESSAGE("over the limit");
  CHECK_STATUS(RJ_ALREADY_EXISTS, rj_append(journal, "r1", "run_created", "{\"session_id\":\"s1\"}", NULL, NULL));
  /* Nesting past the journal's limit is refused while parsing, at the
   * first container too deep: the text never becomes a json value. */
  const size_t deep = rj_journal_max_json_depth(journal) + 1;
  char* nested = malloc(2 * deep + 16);
  strcpy(nested, "{\"a\":");
  size_t at = strlen(nested);
  for (size_t i = 0; i < deep; ++i) nested[at++] = '[';
  for (size_t i = 0; i < deep; ++i) nested[at++] = ']';
  nested[at++] = '}';
  nested[at] = '\0';
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append(journal, "r1", "tool_called", nested, NULL, NULL));
  CHECK_MESSAGE("nests deeper than the limit");
  free(nested);
  /* Brackets inside strings are not nesting. */
  CHECK_OK(rj_append(journal, "r1", "tool_called", "{\"s\":\"[[[[[[[[[[{{{{{{{{\\\"\"}", NULL, NULL));
  CHECK(capi_last_position(journal) == 2);
  rj_close(journal);
}

static void a_batch_is_all_or_nothing_and_names_its_bad_event(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  rj_new_event batch[3] = {
      {.struct_size = sizeof(rj_new_event), .run_id = "r2", .kind = "run_created",
       .payload_json = "{\"session_id\": \"s2\"}"},
      {.struct_size = sizeof(rj_new_event), .run_id = "r1", .kind = "tool_called", .idempotency_key = "t1"},
      {.struct_size = sizeof(rj_new_event), .run_id = "r2", .kind = "tool_called",
       .payload_json = "{\"x\": 1}", .has_expected_seq = 1, .expected_seq = 1},
  };
  rj_event_list* written = NULL;
  CHECK_OK(rj_append_batch(journal, batch, 3, &written));
  CHECK(rj_event_list_count(written) == 3);
  CHECK(rj_event_seq(rj_event_list_at(written, 2)) == 2);
  CHECK_STR(rj_event_idempotency_key(rj_event_list_at(written, 1)), "t1");
  CHECK(rj_event_list_at(written, 3) == NULL);
  rj_event_list_free(written);
  CHECK(capi_last_position(journal) == 4);

  /* Bad JSON in event 1: refused here, named by its index. */
  batch[0].run_id = "r1";
  batch[0].kind = "step_started";
  batch[0].payload_json = NULL;
  batch[1].idempotency_key = NULL;
  batch[1].payload_json = "{oops";
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch(journal, batch, 3, &written));
  CHECK(written == NULL);
  CHECK(rj_last_error_batch_index() == 1);
  CHECK_MESSAGE("event 1");
  /* An event the journal refuses (an unknown run), named by the library. */
  batch[1].payload_json = NULL;
  batch[2].run_id = "nope";
  batch[2].has_expected_seq = 0;
  CHECK_STATUS(RJ_NOT_FOUND, rj_append_batch(journal, batch, 3, NULL));
  CHECK(rj_last_error_batch_index() == 2);
  /* Elements must agree on their struct_size. */
  batch[2].run_id = "r1";
  batch[1].struct_size = 8;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch(journal, batch, 3, NULL));
  CHECK(rj_last_error_batch_index() == 1);
  batch[0].struct_size = 0;
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch(journal, batch, 3, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch(journal, NULL, 2, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch(NULL, batch, 3, NULL));
  CHECK(capi_last_position(journal) == 4);
  /* An empty batch writes nothing and returns an empty list. */
  CHECK_OK(rj_append_batch(journal, NULL, 0, &written));
  CHECK(rj_event_list_count(written) == 0);
  rj_event_list_free(written);
  rj_close(journal);
}

/* An older caller's shorter batch element: the stride is its struct_size. */
typedef struct old_new_event {
  size_t struct_size;
  const char* run_id;
  const char* kind;
  const char* payload_json;
} old_new_event;

static void a_batch_of_shorter_elements_is_read_by_their_stride(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  old_new_event old[2] = {{sizeof(old_new_event), "r1", "step_started", NULL},
                          {sizeof(old_new_event), "r1", "tool_called", "{\"n\":2}"}};
  rj_event_list* written = NULL;
  CHECK_OK(rj_append_batch(journal, (const rj_new_event*)old, 2, &written));
  CHECK(rj_event_list_count(written) == 2);
  CHECK_STR(rj_event_payload_json(rj_event_list_at(written, 1)), "{\"n\":2}");
  rj_event_list_free(written);
  rj_close(journal);
}

typedef struct chunk_source {
  int calls;
  int chunks;      /* chunks to give before ending */
  int abort_at;    /* call that returns non-zero; 0: never */
  int bad_at;      /* call that adds an event with bad JSON; 0: never */
} chunk_source;

static int next_chunk(void* user, rj_chunk* chunk) {
  chunk_source* source = user;
  ++source->calls;
  if (source->calls == source->abort_at) return 5;
  if (source->calls > source->chunks) return 0;
  for (int i = 0; i < 2; ++i) {
    rj_new_event event = {.struct_size = sizeof event, .run_id = "r1", .kind = "tool_called"};
    if (source->calls == source->bad_at && i == 1) {
      event.payload_json = "{bad";
      CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_chunk_add(chunk, &event));
    } else {
      CHECK_OK(rj_chunk_add(chunk, &event));
    }
  }
  return 0;
}

static void a_chunked_batch_is_one_transaction_and_aborts_cleanly(void) {
  rj_journal* journal = capi_open("j.journal", NULL);
  rj_run_free(capi_create(journal, "s1", "r1"));
  chunk_source source = {.chunks = 3};
  rj_event_list* written = NULL;
  CHECK_OK(rj_append_batch_chunked(journal, next_chunk, &source, &written));
  CHECK(rj_event_list_count(written) == 6);
  CHECK(rj_event_seq(rj_event_list_at(written, 5)) == 7);
  rj_event_list_free(written);
  CHECK(capi_last_position(journal) == 7);

  chunk_source aborting = {.chunks = 3, .abort_at = 3};
  CHECK_STATUS(RJ_ABORTED, rj_append_batch_chunked(journal, next_chunk, &aborting, &written));
  CHECK(written == NULL);
  chunk_source bad = {.chunks = 3, .bad_at = 2};
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch_chunked(journal, next_chunk, &bad, NULL));
  CHECK(rj_last_error_batch_index() == 3);
  CHECK(capi_last_position(journal) == 7);
  rj_new_event event = {.struct_size = sizeof event, .run_id = "r1", .kind = "k"};
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_chunk_add(NULL, &event));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch_chunked(journal, NULL, NULL, NULL));
  CHECK_STATUS(RJ_INVALID_ARGUMENT, rj_append_batch_chunked(NULL, next_chunk, &source, NULL));
  rj_close(journal);
}

int main(void) {
  RUN_TEST(create_run_stores_every_field_and_returns_the_run);
  RUN_TEST(create_run_refusals_write_nothing);
  RUN_TEST(a_shorter_struct_from_an_older_caller_means_defaults);
  RUN_TEST(an_id_generator_that_fails_aborts_the_create);
  RUN_TEST(append_assigns_seq_and_position_and_keeps_the_payload);
  RUN_TEST(expected_seq_and_idempotency_keys_guard_retries);
  RUN_TEST(append_refuses_bad_input_with_a_typed_error);
  RUN_TEST(a_batch_is_all_or_nothing_and_names_its_bad_event);
  RUN_TEST(a_batch_of_shorter_elements_is_read_by_their_stride);
  RUN_TEST(a_chunked_batch_is_one_transaction_and_aborts_cleanly);
  return 0;
}
