"""A Python host of runjournal, run against an installed copy of the
package (tools/check_install.sh) and against the build tree (pytest
test_consumer). The part between the markers is the README's Python
snippet, verbatim (ctest readme_snippets checks it); the rest checks what
it promises.

    python3 consumer.py JOURNAL
"""

import os
import sys

import runjournal
from runjournal import RunStatus


def example(path):
    # ---- README: Python ----
    with runjournal.Journal.open(path, durability="full") as journal:
        run = journal.create_run("s1", "fix tests")
        journal.append(run.run_id, "tool_called", {"tool_name": "search"})
        journal.append(run.run_id, "run_completed", {"result_text": "done"})
        now = journal.run(run.run_id)  # now.status == RunStatus.COMPLETED
        trail = list(journal.events(run.run_id))
    # ---- end ----

    ok = (
        now.status is RunStatus.COMPLETED
        and now.result_text == "done"
        and len(trail) == 3
        and trail[1].kind == "tool_called"
        and trail[1].payload == {"tool_name": "search"}
    )
    print(
        f"runjournal {runjournal.version()} (Python, C ABI {runjournal.abi_version()}, from {runjournal.__file__}): "
        f"run {run.run_id} is {now.status} after {len(trail)} events: {'ok' if ok else 'WRONG'}"
    )
    return ok


def main():
    if len(sys.argv) != 2:
        print("usage: consumer.py JOURNAL", file=sys.stderr)
        return 2
    path = sys.argv[1]
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
    try:
        return 0 if example(path) else 1
    except runjournal.Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
