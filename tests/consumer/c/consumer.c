/* A C host of runjournal, built against an installed copy with
 *   cc -std=c11 consumer.c $(pkg-config --cflags --libs runjournal-c)
 * (tools/check_install.sh) and in the build tree (ctest c_consumer). The
 * part between the markers is the README's C snippet, verbatim
 * (readme_snippets checks it); the rest checks what the snippet promises.
 *
 *   runjournal-c-consumer JOURNAL */
#include <stdio.h>
#include <string.h>

#include <runjournal/runjournal.h>

static int example(const char* path) {
  /* ---- README: C ---- */
  rj_journal* journal = NULL;
  if (rj_open(path, NULL, &journal) != RJ_OK) {
    fprintf(stderr, "error: %s\n", rj_last_error_message());
    return 1;
  }
  rj_new_run spec = {.struct_size = sizeof spec, .session_id = "s1", .prompt = "fix tests"};
  rj_run* run = NULL;
  rj_create_run(journal, &spec, &run);
  rj_append(journal, rj_run_id(run), "tool_called", "{\"tool_name\": \"search\"}", NULL, NULL);
  rj_append(journal, rj_run_id(run), "run_completed", "{\"result_text\": \"done\"}", NULL, NULL);
  rj_run* now = NULL;
  rj_get_run(journal, rj_run_id(run), &now); /* rj_run_get_status(now) == RJ_RUN_COMPLETED */
  rj_event_list* trail = NULL;
  rj_events(journal, rj_run_id(run), 1, SIZE_MAX, &trail);
  /* ---- end ---- */

  const rj_event* tool = rj_event_list_at(trail, 1);
  const int ok = now != NULL && rj_run_get_status(now) == RJ_RUN_COMPLETED &&
                 strcmp(rj_run_result_text(now), "done") == 0 && rj_event_list_count(trail) == 3 &&
                 strcmp(rj_event_kind(tool), "tool_called") == 0 &&
                 strcmp(rj_event_payload_json(tool), "{\"tool_name\":\"search\"}") == 0;
  printf("runjournal %s (C ABI %d): run %s is %s after %zu events: %s\n", rj_version(), rj_abi_version(),
         rj_run_id(run), now ? rj_run_status_name(rj_run_get_status(now)) : "missing", rj_event_list_count(trail),
         ok ? "ok" : "WRONG");
  rj_event_list_free(trail);
  rj_run_free(now);
  rj_run_free(run);
  rj_close(journal);
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s JOURNAL\n", argv[0]);
    return 2;
  }
  remove(argv[1]);
  return example(argv[1]);
}
