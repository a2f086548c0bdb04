"""The values the journal returns: runs and events as typed, immutable
objects whose attributes are the ``runs`` and ``events`` column names, with
the JSON columns (payload, inputs, outputs, metadata, checkpoint) as Python
values (dicts, lists …), never as strings holding JSON."""

from __future__ import annotations

import enum
import json
import json.scanner
from typing import Any, Callable, List, NamedTuple, Optional, Tuple


def _make_loads() -> Callable[[str], Any]:
    """json.loads for the library's own output (compact JSON text, no
    surrounding space): the C scanner called directly when the interpreter
    has it, skipping json.loads's Python layers, which cost as much as the
    scan of a small payload."""
    make = getattr(json.scanner, "c_make_scanner", None)
    if make is None:
        return json.loads
    scan = make(json.JSONDecoder())

    def loads(text: str) -> Any:
        try:
            value, end = scan(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            return json.loads(text)  # not the library's compact form: let json say what is wrong
        return value

    return loads


_loads = _make_loads()


class RunStatus(str, enum.Enum):
    """A run's status, as stored in runs.status. A str, so
    ``run.status == "completed"`` holds too; an unknown name is refused
    (ValueError), never taken for a default."""

    CREATED = "created"
    PLANNING = "planning"
    EXECUTING = "executing"
    VERIFYING = "verifying"
    INTERRUPTED = "interrupted"  #: its driver died; it can be resumed or given up
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """Completed, failed, cancelled: no event moves a run out of them."""
        return self in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)

    def __str__(self) -> str:
        return self.value


# The C API's run status numbers (rj_run_status), for run filters.
_STATUS_CODES = {status: i + 1 for i, status in enumerate(RunStatus)}


class Outcome(str, enum.Enum):
    """How an execution ended, for Journal.finish."""

    OK = "ok"  #: run_completed {result_text?, outputs?}
    CANCELLED = "cancelled"  #: run_cancelled {reason?}
    ERROR = "error"  #: run_failed {error}


_OUTCOME_CODES = {Outcome.OK: 0, Outcome.CANCELLED: 1, Outcome.ERROR: 2}


class Driver(NamedTuple):
    """The process that drives a run."""

    host: str
    pid: int
    start_time: int
    boot_id: str


class Run(NamedTuple):
    """One row of ``runs``: a pure function of the run's events."""

    run_id: str
    session_id: str
    status: RunStatus
    prompt: str
    inputs: Any
    outputs: Any
    metadata: Any
    result_text: Optional[str]
    error: Optional[str]
    status_reason: Optional[str]
    checkpoint_id: Optional[str]
    checkpoint: Any
    created_at_ms: int
    updated_at_ms: int
    finished_at_ms: Optional[int]
    first_position: int
    event_count: int
    last_seq: int
    last_position: int
    driver_host: Optional[str]
    driver_pid: Optional[int]
    driver_start_time: Optional[int]
    driver_boot_id: Optional[str]
    agent_spec_digest: Optional[str]  #: the digest of the agent spec it runs (run_created)
    git_sha: Optional[str]  #: the git commit it runs at (run_created)
    final_state_digest: Optional[str]  #: the digest of its final state (run_completed)

    @property
    def driver(self) -> Optional[Driver]:
        if self.driver_host is None:
            return None
        return Driver(self.driver_host, self.driver_pid or 0, self.driver_start_time or 0, self.driver_boot_id or "")


def _json_or_none(text: Optional[str]) -> Any:
    return None if text is None else _loads(text)


def _run(t: tuple) -> Run:
    return Run(
        t[0], t[1], RunStatus(t[2]), t[3], _json_or_none(t[4]), _json_or_none(t[5]), _json_or_none(t[6]),
        t[7], t[8], t[9], t[10], _json_or_none(t[11]), *t[12:],
    )


def _run_or_none(t: Optional[tuple]) -> Optional[Run]:
    return None if t is None else _run(t)


class Event(NamedTuple):
    """One row of ``events``: one recorded step of a run."""

    position: int
    run_id: str
    seq: int
    ts_ms: int
    kind: str
    payload: dict
    idempotency_key: Optional[str]


def _event(t: tuple) -> Event:
    return Event(t[0], t[1], t[2], t[3], t[4], _loads(t[5]), t[6])


class NewEvent(NamedTuple):
    """One event of a batch (Journal.append_batch)."""

    run_id: str
    kind: str
    payload: Optional[dict] = None
    expected_seq: Optional[int] = None
    idempotency_key: Optional[str] = None


class Checkpoint(NamedTuple):
    """A run's latest live checkpoint."""

    checkpoint_id: str
    state: Any  #: what save_checkpoint stored as the state
    payload: dict  #: the checkpoint_saved payload as recorded


def _checkpoint(t: Optional[tuple]) -> Optional[Checkpoint]:
    return None if t is None else Checkpoint(t[0], _loads(t[1]), _loads(t[2]))


class RecoveredRun(NamedTuple):
    """A run recover() found cut off."""

    run: Run
    checkpoint: Optional[Checkpoint]
    silent_ms: int  #: the journal's clock now minus run.updated_at_ms
    why: str  #: why its driver counts as gone, for people


class RebuildReport(NamedTuple):
    events: int
    runs: int


class VerifyReport(NamedTuple):
    events_checked: int
    runs_checked: int
    problems: List[str]

    @property
    def ok(self) -> bool:
        return not self.problems


class SqlResult(NamedTuple):
    """A query's result: column names, and rows as tuples (JSON cells
    parsed, BLOBs as bytes)."""

    columns: List[str]
    rows: List[Tuple[Any, ...]]


class ImportReport(NamedTuple):
    runs_imported: int
    runs_skipped: int  #: already present with identical events
    events_imported: int


class PruneReport(NamedTuple):
    runs: int
    events: int
    pages_freed: int
