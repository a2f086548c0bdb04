"""Every error type: each reachable status raised by a real failure, as
its runjournal.Error subclass, with its stable status name and code; and
every refused write wrote nothing."""

import sqlite3

import pytest

import runjournal
from runjournal import _runjournal


def test_the_hierarchy_has_a_class_per_status_under_error():
    expected = {
        runjournal.NotFound: "not_found",
        runjournal.Conflict: "conflict",
        runjournal.AlreadyRunning: "already_running",
        runjournal.AlreadyExists: "already_exists",
        runjournal.InvalidArgument: "invalid_argument",
        runjournal.Busy: "busy",
        runjournal.Corrupt: "corrupt",
        runjournal.SchemaTooNew: "schema_too_new",
        runjournal.NotAJournal: "not_a_journal",
        runjournal.Io: "io",
        runjournal.TimedOut: "timed_out",
        runjournal.ReadOnly: "read_only",
        runjournal.Aborted: "aborted",
        runjournal.NoMemory: "no_memory",
    }
    for cls, status in expected.items():
        assert issubclass(cls, runjournal.Error)
        assert cls.status == status == _runjournal.status_name(cls.code)
    assert len({cls.code for cls in expected}) == len(expected)
    assert issubclass(runjournal.InvalidArgument, ValueError)
    assert issubclass(runjournal.NotFound, LookupError)
    assert issubclass(runjournal.TimedOut, TimeoutError)
    assert issubclass(runjournal.NoMemory, MemoryError)


def raised(cls, call, *args, **kwargs):
    with pytest.raises(cls) as info:
        call(*args, **kwargs)
    error = info.value
    assert type(error) is cls
    assert error.status == cls.status and error.code == cls.code
    assert str(error)
    return error


def test_refused_writes_raise_their_class_and_write_nothing(journal):
    journal.create_run("s1", run_id="r1")
    raised(runjournal.NotFound, journal.append, "nope", "tool_called")
    raised(runjournal.AlreadyExists, journal.create_run, "s1", run_id="r1")
    busy = raised(runjournal.AlreadyRunning, journal.create_run, "s1", run_id="r2", exclusive=True)
    assert "r1" in str(busy)
    raised(runjournal.Conflict, journal.append, "r1", "step_started", expected_seq=0)
    raised(runjournal.InvalidArgument, journal.append, "r1", "")
    raised(runjournal.InvalidArgument, journal.append, "r1", "run_created", {"no": "session"})
    with pytest.raises(TypeError):
        journal.append("r1", "x", {"not json": object()})
    with pytest.raises(ValueError):
        journal.append("r1", "x", {"nan": float("nan")})
    assert journal.last_position() == 1


def test_a_file_that_is_not_a_journal_is_refused_and_untouched(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"these are notes")
    raised(runjournal.NotAJournal, runjournal.Journal.open, notes)
    assert notes.read_bytes() == b"these are notes"
    raised(runjournal.NotFound, runjournal.Journal.open, tmp_path / "missing.journal", create_if_missing=False)
    raised(runjournal.Io, runjournal.Journal.open, tmp_path / "no" / "such" / "x.journal")


def test_a_journal_from_a_newer_runjournal_is_schema_too_new(path):
    runjournal.Journal.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999999")
    raised(runjournal.SchemaTooNew, runjournal.Journal.open, path)


def test_a_damaged_row_reads_as_corrupt(path):
    with runjournal.Journal.open(path) as journal:
        journal.create_run("s", run_id="r")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA ignore_check_constraints = ON")
        db.execute("UPDATE runs SET status = 'bogus' WHERE run_id = 'r'")
    with runjournal.Journal.open(path) as journal:
        raised(runjournal.Corrupt, journal.run, "r")


def test_a_lock_held_by_another_connection_makes_a_write_busy(path):
    with runjournal.Journal.open(path, busy_timeout_ms=0) as journal:
        journal.create_run("s", run_id="r")
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        try:
            raised(runjournal.Busy, journal.append, "r", "tool_called")
        finally:
            db.execute("ROLLBACK")
            db.close()
        assert journal.last_position() == 1
        journal.append("r", "tool_called")


def test_writes_on_a_read_only_journal_are_read_only(path):
    with runjournal.Journal.open(path) as journal:
        journal.create_run("s", run_id="r")
    with runjournal.Journal.open(path, read_only=True) as journal:
        assert journal.read_only
        assert journal.run("r").session_id == "s"
        raised(runjournal.ReadOnly, journal.append, "r", "tool_called")
        raised(runjournal.ReadOnly, journal.create_run, "s2")
        assert journal.last_position() == 1


def test_json_deeper_than_the_limit_and_a_reused_key_are_refused(path):
    with runjournal.Journal.open(path, max_json_depth=4) as journal:
        assert journal.max_json_depth == 4
        journal.create_run("s", run_id="r")
        journal.append("r", "x", {"a": [[{}]]})
        error = raised(runjournal.InvalidArgument, journal.append, "r", "x", {"a": [[[{}]]]})
        assert "deeper than the limit of 4" in str(error)
        journal.append("r", "x", {"try": 1}, idempotency_key="k")
        raised(runjournal.Conflict, journal.append, "r", "x", {"try": 2}, idempotency_key="k")
    raised(runjournal.InvalidArgument, runjournal.Journal.open, path,
           max_json_depth=runjournal.sqlite_json_max_depth() + 1)


def test_a_query_past_its_time_limit_is_timed_out(journal):
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    raised(runjournal.TimedOut, journal.sql, endless, timeout_ms=50)


def test_a_refused_batch_names_its_event(journal):
    journal.create_run("s", run_id="r")
    error = raised(runjournal.InvalidArgument, journal.append_batch, [("r", "a", None), ("r", "", None)])
    assert error.batch_index == 1
    assert journal.last_position() == 1


def test_a_status_without_a_class_is_raised_as_error_itself(journal):
    # What a newer library's status would meet: no class registered for it.
    from runjournal.errors import BY_CODE

    _runjournal._register_errors({}, runjournal.Error)
    try:
        with pytest.raises(runjournal.Error) as info:
            journal.append("nope", "tool_called")
    finally:
        _runjournal._register_errors(dict(BY_CODE), runjournal.Error)
    assert type(info.value) is runjournal.Error
    assert (info.value.status, info.value.code) == ("not_found", 1)
    raised(runjournal.NotFound, journal.append, "nope", "tool_called")
