"""The Journal API: writing, reading, iterators, lifecycle, data movement,
and the typed values."""

import io
import json
import threading
import time

import pytest

import runjournal
from runjournal import Event, NewEvent, Outcome, Run, RunStatus


def test_versions_name_the_library_its_abi_and_sqlite():
    assert runjournal.abi_version() == runjournal.ABI_VERSION == 1
    assert len(runjournal.version().split(".")) == 3
    assert runjournal.__version__ == runjournal.version()
    assert runjournal.sqlite_version().startswith("3.")


def test_a_run_and_its_events_read_back_as_typed_objects(journal):
    run = journal.create_run("s1", "fix tests", inputs={"question": "What is 2+2?"}, metadata=[1, 2],
                             agent_spec_digest="spec_digest_123", git_sha="git_sha_abc")
    assert (run.agent_spec_digest, run.git_sha, run.final_state_digest) == ("spec_digest_123", "git_sha_abc", None)
    assert isinstance(run, Run)
    assert run.status is RunStatus.CREATED and run.status == "created"
    assert run.inputs == {"question": "What is 2+2?"}
    assert run.metadata == [1, 2]
    assert run.outputs is None and run.finished_at_ms is None
    assert run.driver is not None and run.driver.pid > 0
    event = journal.append(run.run_id, "tool_called", {"tool_name": "search", "args": {"limit": 10, "q": "é"}})
    assert isinstance(event, Event)
    assert (event.seq, event.position, event.kind) == (2, 2, "tool_called")
    assert event.payload == {"tool_name": "search", "args": {"limit": 10, "q": "é"}}
    journal.append(run.run_id, "run_completed",
                   {"result_text": "done", "outputs": {"answer": 4}, "final_state_digest": "sha256:f00"})
    now = journal.run(run.run_id)
    assert now.status is RunStatus.COMPLETED and now.status.is_terminal
    assert (now.result_text, now.outputs, now.event_count) == ("done", {"answer": 4}, 3)
    assert now.finished_at_ms is not None
    assert now.final_state_digest == "sha256:f00"
    assert [e.kind for e in journal.events(run.run_id)] == ["run_created", "tool_called", "run_completed"]
    assert journal.run("nope") is None


def test_runs_and_events_carry_the_column_names_as_attributes(journal):
    run = journal.create_run("s1")
    journal.append(run.run_id, "tool_called")
    for table, cls in (("runs", Run), ("events", Event)):
        columns = journal.sql(f"SELECT name FROM pragma_table_info('{table}') ORDER BY cid").rows
        names = {name for (name,) in columns}
        # Every column the C API hands out is an attribute under its name.
        assert names & set(cls._fields) == set(cls._fields) - {"driver"}, (table, set(cls._fields) - names)


def test_append_with_expected_seq_and_an_idempotency_key(journal):
    run = journal.create_run("s1", run_id="r1")
    journal.append("r1", "step_started", expected_seq=1)
    with pytest.raises(runjournal.Conflict):
        journal.append("r1", "step_started", expected_seq=1)
    first = journal.append("r1", "tool_called", {"try": 1}, idempotency_key="k1")
    retry = journal.append("r1", "tool_called", {"try": 1}, idempotency_key="k1")
    assert retry == first and retry.idempotency_key == "k1"
    assert journal.last_position() == 3
    assert run.run_id == "r1"


def test_a_batch_is_all_or_nothing_and_names_its_bad_event(journal):
    journal.create_run("s", run_id="r1")
    written = journal.append_batch([
        NewEvent("r2", "run_created", {"session_id": "s2"}),
        ("r1", "tool_called", {"n": 1}),
        NewEvent("r2", "step_started", expected_seq=1, idempotency_key="k"),
    ])
    assert [(e.run_id, e.seq) for e in written] == [("r2", 1), ("r1", 2), ("r2", 2)]
    with pytest.raises(runjournal.NotFound) as refused:
        journal.append_batch([NewEvent("r1", "a"), NewEvent("nope", "b")])
    assert refused.value.batch_index == 1
    assert journal.last_position() == 4
    chunked = journal.append_batch_chunked([[NewEvent("r1", "a")], [NewEvent("r1", "b"), NewEvent("r2", "c")]])
    assert [e.kind for e in chunked] == ["a", "b", "c"]
    with pytest.raises(runjournal.NotFound) as refused:
        journal.append_batch_chunked([[NewEvent("r1", "a")], [NewEvent("nope", "b")]])
    assert refused.value.batch_index == 1

    def chunks():
        yield [NewEvent("r1", "a")]
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        journal.append_batch_chunked(chunks())
    assert journal.last_position() == 7


def test_iterators_page_through_events_in_order(journal):
    for run_id in ("a", "b"):
        journal.create_run("s", run_id=run_id)
    for i in range(10):
        journal.append("a" if i % 2 == 0 else "b", "tool_called", {"i": i})
    assert [e.seq for e in journal.events("a", page_size=2)] == list(range(1, 7))
    assert [e.seq for e in journal.events("a", from_seq=3, limit=2)] == [3, 4]
    assert [e.position for e in journal.scan(page_size=3)] == list(range(1, 13))
    assert [e.position for e in journal.scan(10)] == [11, 12]
    assert len(journal.events_after(5, 2)) == 2
    assert [r.event_count for r in journal.runs_as_of(3)] == [2, 1]
    assert [r.run_id for r in journal.runs(limit=1, after_run_id="a")] == ["b"]
    assert [r.run_id for r in journal.runs(status="executing", session_id="s")] == ["a", "b"]
    with pytest.raises(runjournal.NotFound):
        journal.runs(after_run_id="nope")


def test_follow_yields_events_as_they_land(journal):
    journal.create_run("s", run_id="r")

    def write():
        for i in range(3):
            time.sleep(0.03)
            journal.append("r", "tool_called", {"i": i})

    writer = threading.Thread(target=write)
    writer.start()
    seen = []
    for event in journal.follow(0, poll_ms=5, timeout=5):
        seen.append(event.seq)
        if len(seen) == 4:
            break
    writer.join()
    assert seen == [1, 2, 3, 4]
    started = time.monotonic()
    assert list(journal.follow(4, poll_ms=5, timeout=0.1)) == []
    assert time.monotonic() - started >= 0.1


def test_lifecycle_current_run_cancel_finish_and_reserve(journal):
    journal.create_run("s1", run_id="r1")
    journal.create_run("s1", run_id="r2")
    assert journal.current_run("s1").run_id == "r2"
    assert not journal.cancel_if_live("r1")
    assert journal.cancel_if_live("r2", "cancelled by host")
    assert journal.run("r2").status_reason == "cancelled by host"
    assert journal.finish("r1", Outcome.OK, result_text="done", outputs={"n": 1}).status is RunStatus.COMPLETED
    assert journal.current_run("s1") is None
    ran = journal.reserve("s2", "runner", run_id="r3")
    with pytest.raises(runjournal.AlreadyRunning, match="r3"):
        journal.reserve("s2")
    failed = journal.finish(ran.run_id, "error", message="network error")
    assert (failed.status, failed.error) == (RunStatus.FAILED, "network error")
    assert journal.reserve("s2", run_id="r4").run_id == "r4"
    assert journal.finish("r4", Outcome.CANCELLED).status is RunStatus.CANCELLED
    with pytest.raises(ValueError):
        journal.finish("r4", "maybe")


def test_checkpoints_interrupts_and_resumes(journal):
    journal.create_run("s", run_id="r")
    saved = journal.save_checkpoint("r", "cp-1", {"step": 1, "notes": ["a"]})
    assert saved.kind == "checkpoint_saved"
    checkpoint = journal.latest_checkpoint("r")
    assert (checkpoint.checkpoint_id, checkpoint.state) == ("cp-1", {"step": 1, "notes": ["a"]})
    assert checkpoint.payload["checkpoint_id"] == "cp-1"
    assert journal.run("r").checkpoint["state"] == {"step": 1, "notes": ["a"]}
    assert not journal.delete_checkpoint("r", "cp-9")
    assert journal.delete_checkpoint("r", "cp-1")
    assert journal.latest_checkpoint("r") is None
    interrupted = journal.interrupt_run("r", "host restarting")
    assert interrupted.status is RunStatus.INTERRUPTED
    assert journal.recover(include_interrupted=True) == []  # its driver, this process, is alive
    assert journal.resume_run("r", {"from": "cp-1"}).status is RunStatus.EXECUTING
    with pytest.raises(runjournal.Conflict):
        journal.interrupt_run("r", "stale", expected_seq=1)
    journal.heartbeat()


def test_sql_returns_typed_cells(journal):
    journal.create_run("s", run_id="r")
    journal.append("r", "tool_called", {"tool_name": "search"})
    result = journal.sql(
        "SELECT position, 0.5 AS half, kind, payload, x'0001' AS bytes, NULL AS absent FROM events WHERE seq = 2"
    )
    assert result.columns == ["position", "half", "kind", "payload", "bytes", "absent"]
    assert result.rows == [(2, 0.5, "tool_called", {"tool_name": "search"}, b"\x00\x01", None)]
    with pytest.raises(runjournal.InvalidArgument):
        journal.sql("DELETE FROM events")
    with pytest.raises(runjournal.InvalidArgument):
        journal.sql("SELECT seq FROM events ORDER BY seq", max_rows=1)


def test_stats_rebuild_and_verify_report(journal):
    journal.create_run("s", run_id="r")
    journal.append("r", "tool_called")
    stats = journal.stats()
    assert (stats["runs"], stats["events"], stats["runs_by_status"]["created"]) == (1, 2, 0)
    calls = []
    assert journal.rebuild(lambda done, total: calls.append((done, total))) == (2, 1)
    assert calls and all(done <= total for done, total in calls)
    report = journal.verify()
    assert report.ok and (report.events_checked, report.runs_checked) == (2, 1)

    def broken_progress(done, total):
        raise KeyError("progress broke")

    with pytest.raises(KeyError, match="progress broke"):
        journal.rebuild(broken_progress)
    assert journal.verify().ok


def test_export_import_and_prune_move_whole_runs(journal, tmp_path):
    journal.create_run("s", run_id="done")
    journal.finish("done", Outcome.OK, result_text="ok")
    journal.create_run("s2", run_id="live")
    out = io.StringIO()
    journal.export(out)
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["run"]["run_id"] for line in lines] == ["done", "live"]
    with open(tmp_path / "one.jsonl", "w", encoding="utf-8") as f:
        journal.export(f, run_id="done")
    with pytest.raises(runjournal.NotFound):
        journal.export(io.StringIO(), run_id="nope")

    def failing_write(line):
        raise OSError("disk full")

    class Failing:
        write = staticmethod(failing_write)

    with pytest.raises(OSError, match="disk full"):
        journal.export(Failing())

    with runjournal.Journal.open(tmp_path / "other.journal") as other:
        report = other.import_records(out.getvalue())
        assert report == (2, 0, 3)
        assert other.import_records(out.getvalue().encode()) == (0, 2, 0)
        with open(tmp_path / "one.jsonl", encoding="utf-8") as f:
            assert other.import_records(f).runs_skipped == 1
        with open(tmp_path / "one.jsonl", "rb") as f:
            assert other.import_records(f).runs_skipped == 1
        with pytest.raises(runjournal.InvalidArgument, match="line 1"):
            other.import_records('{"run": 1}\n')

    report = journal.prune(2**62, archive=tmp_path / "archive.jsonl")
    assert (report.runs, report.events) == (1, 2)
    assert journal.run("done") is None and journal.run("live") is not None
    assert '"done"' in (tmp_path / "archive.jsonl").read_text()
    assert runjournal.parse_cutoff("1d", 86_400_000) == 0
    with pytest.raises(runjournal.InvalidArgument):
        runjournal.parse_cutoff("someday", 0)


def test_hooks_pin_the_clock_and_the_ids(path):
    ticks = iter(range(1_700_000_000_000, 1_800_000_000_000))
    ids = iter(f"run-{i}" for i in range(1, 100))
    with runjournal.Journal.open(path, clock=lambda: next(ticks), id_generator=lambda: next(ids),
                                 durability="normal", max_kind_bytes=16, busy_timeout_ms=50,
                                 lease_ttl_ms=5000) as journal:
        run = journal.create_run("s")
        assert (run.run_id, run.created_at_ms) == ("run-1", 1_700_000_000_000)
        assert journal.append("run-1", "x").ts_ms == 1_700_000_000_001
        with pytest.raises(runjournal.InvalidArgument):
            journal.append("run-1", "longer_than_sixteen")


def test_an_id_generator_that_raises_fails_the_create_with_its_exception(path):
    def no_ids():
        raise LookupError("no ids today")

    with runjournal.Journal.open(path, id_generator=no_ids) as journal:
        with pytest.raises(LookupError, match="no ids today"):
            journal.create_run("s")
        assert journal.last_position() == 0


def test_a_driver_option_names_the_runs_driver(path):
    driver = runjournal.Driver("elsewhere", 4242, 17, "boot-x")
    with runjournal.Journal.open(path, driver=driver) as journal:
        assert journal.create_run("s").driver == driver


def test_the_context_manager_closes_and_a_closed_journal_refuses_calls(path):
    with runjournal.Journal.open(path) as journal:
        assert not journal.closed
        assert repr(journal).startswith("<runjournal.Journal")
    assert journal.closed
    journal.close()  # twice is harmless
    with pytest.raises(runjournal.Error, match="closed"):
        journal.create_run("s")
    with pytest.raises(ValueError):
        runjournal.Journal.open(path, durability="sometimes")
