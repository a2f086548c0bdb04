"""A host killed with SIGKILL mid-run, and recovered: a child Python
process drives a run (steps, a checkpoint) and says "ready"; the test kills
it with SIGKILL, reopens the journal, finds the run through recover() with
its checkpoint, resumes it and completes it."""

import signal
import subprocess
import sys
import textwrap

import runjournal
from runjournal import Outcome, RunStatus

CHILD = textwrap.dedent(
    """
    import sys, time
    import runjournal

    journal = runjournal.Journal.open(sys.argv[1])
    run = journal.create_run("agent", "long task", run_id="crash-run")
    journal.append(run.run_id, "run_started")
    for step in (1, 2, 3):
        journal.append(run.run_id, "step_started", {"step": step})
        journal.append(run.run_id, "tool_called", {"tool_name": "search"})
    journal.save_checkpoint(run.run_id, "cp-3", {"step": 3, "notes": ["a", "b"]})
    print("ready", flush=True)
    while True:  # mid-run when the kill comes
        time.sleep(0.01)
    """
)


def test_a_sigkilled_run_is_recovered_from_its_checkpoint_and_completed(path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    with runjournal.Journal.open(path) as journal:
        found = journal.recover()
        assert [r.run.run_id for r in found] == ["crash-run"]
        cut_off = found[0]
        assert cut_off.run.status is RunStatus.EXECUTING
        assert cut_off.run.event_count == 9
        assert "exited" in cut_off.why
        assert cut_off.checkpoint.checkpoint_id == "cp-3"
        assert cut_off.checkpoint.state == {"step": 3, "notes": ["a", "b"]}

        resumed = journal.resume_run("crash-run", {"from_checkpoint": "cp-3"})
        assert resumed.status is RunStatus.EXECUTING
        assert resumed.driver.pid != child.pid
        assert journal.recover(include_interrupted=True) == []
        journal.append("crash-run", "step_started", {"step": 4})
        done = journal.finish("crash-run", Outcome.OK, result_text="done after a crash")
        assert (done.status, done.event_count) == (RunStatus.COMPLETED, 12)
        assert journal.verify().ok
    with runjournal.Journal.open(path) as journal:
        assert journal.run("crash-run").result_text == "done after a crash"
