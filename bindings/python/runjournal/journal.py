"""runjournal.Journal: a journal file, open.

Every method is one call of the C API with the C++ API's guarantees: a
write that returns is durable (at ``durability="full"`` it survives a power
loss), a write that raises wrote nothing, and one Journal may be used from
many threads at once. The GIL is released while a call waits for the disk
or a lock, so threads appending at once share group commits."""

from __future__ import annotations

import io
import json
import os
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Union

from . import _runjournal
from .types import (
    _OUTCOME_CODES,
    _STATUS_CODES,
    Checkpoint,
    Driver,
    Event,
    ImportReport,
    NewEvent,
    Outcome,
    PruneReport,
    RebuildReport,
    RecoveredRun,
    Run,
    RunStatus,
    SqlResult,
    VerifyReport,
    _checkpoint,
    _event,
    _run,
    _run_or_none,
)

PathLike = Union[str, "os.PathLike[str]"]
Progress = Callable[[int, int], Any]

def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make_dumps() -> Callable[[Any], str]:
    """Compact JSON, UTF-8 as is, NaN refused: json.dumps's options. The C
    encoder is called directly when the interpreter has it (it does on
    Debian): JSONEncoder.encode runs Python code and builds an encoder per
    call, twice the time of the encoding itself for a small payload.
    Without the circular-reference markers, a self-containing value raises
    RecursionError rather than ValueError."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    encode = make(None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    join = "".join
    return lambda value: join(encode(value, 0))


_dumps = _make_dumps()

_DURABILITY = {"full": 0, "normal": 1}


def _json(value: Any) -> Optional[str]:
    """A Python value as JSON text for the library; None stays None."""
    return None if value is None else _dumps(value)


def _recovered(found: List[tuple]) -> List[RecoveredRun]:
    """recover()'s and claim_recovered()'s tuples as RecoveredRuns."""
    return [
        RecoveredRun(_run(run), _checkpoint(checkpoint), silent_ms, why) for run, checkpoint, silent_ms, why in found
    ]


def _new_event(e: Union[NewEvent, Sequence[Any]]) -> tuple:
    e = e if isinstance(e, NewEvent) else NewEvent(*e)
    return (e.run_id, e.kind, _json(e.payload), e.expected_seq, e.idempotency_key)


class Journal:
    """A journal file. Open it with Journal.open(path, …), preferably as a
    context manager::

        with runjournal.Journal.open("agent.journal") as journal:
            run = journal.create_run("s1", "fix tests")
            journal.append(run.run_id, "tool_called", {"tool_name": "search"})
    """

    __slots__ = ("_h", "_path")

    def __init__(self, handle: Any, path: str) -> None:
        self._h = handle
        self._path = path

    @classmethod
    def open(
        cls,
        path: PathLike,
        *,
        durability: str = "full",
        create_if_missing: bool = True,
        read_only: bool = False,
        max_json_depth: Optional[int] = None,
        max_payload_bytes: Optional[int] = None,
        max_kind_bytes: Optional[int] = None,
        busy_timeout_ms: Optional[int] = None,
        clock: Optional[Callable[[], int]] = None,
        id_generator: Optional[Callable[[], str]] = None,
        vfs: Optional[str] = None,
        driver: Optional[Driver] = None,
        lease_ttl_ms: Optional[int] = None,
    ) -> "Journal":
        """Opens ``path``, creating or migrating as needed.

        durability: "full" (every commit flushed; survives power loss) or
        "normal" (survives a crash of the process). read_only: write
        nothing, ever (writes raise ReadOnly). max_json_depth: the deepest
        JSON nesting accepted (default sqlite_json_max_depth()). clock: Unix ms for new
        events; id_generator: ids for runs created without one — both are
        called from whichever thread writes. Raises NotFound, NotAJournal,
        SchemaTooNew, Busy, Io; a file refused for its contents is left as
        it was."""
        if durability not in _DURABILITY:
            raise ValueError(f"durability must be 'full' or 'normal', not {durability!r}")
        fspath = os.fsdecode(os.fspath(path))
        handle = _runjournal.open(
            fspath, create_if_missing, _DURABILITY[durability], max_payload_bytes, max_kind_bytes,
            busy_timeout_ms, clock, id_generator, vfs, tuple(driver) if driver is not None else None, lease_ttl_ms,
            read_only, max_json_depth,
        )
        return cls(handle, fspath)

    # ---- life ----

    @property
    def path(self) -> str:
        return self._path

    @property
    def read_only(self) -> bool:
        return self._h.read_only

    @property
    def max_json_depth(self) -> int:
        """The deepest JSON nesting this journal accepts."""
        return self._h.max_json_depth

    @property
    def closed(self) -> bool:
        return self._h.closed

    def close(self) -> None:
        """Closes the journal after its calls in flight on other threads
        (a follow stops at its next poll). Closing twice is harmless."""
        self._h.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<runjournal.Journal {self._path!r}{' closed' if self.closed else ''}>"

    # ---- writing ----

    def create_run(
        self,
        session_id: str,
        prompt: str = "",
        *,
        run_id: Optional[str] = None,
        inputs: Any = None,
        metadata: Any = None,
        exclusive: bool = False,
        agent_spec_digest: Optional[str] = None,
        git_sha: Optional[str] = None,
    ) -> Run:
        """Writes the run's run_created event and returns the new run.
        exclusive: refuse with AlreadyRunning when the session has a live
        run. agent_spec_digest, git_sha: provenance, kept in the run. Raises
        InvalidArgument, AlreadyExists, AlreadyRunning, ReadOnly."""
        return _run(self._h.create_run(session_id, prompt, run_id, _json(inputs), _json(metadata), exclusive, False,
                                       agent_spec_digest, git_sha))

    def append(
        self,
        run_id: str,
        kind: str,
        payload: Optional[dict] = None,
        *,
        expected_seq: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Event:
        """Appends one event (payload: a dict; None is {}) and returns it.
        expected_seq: the last seq you saw — Conflict when the run moved
        past it. idempotency_key: a retry returns the first event written
        with it. Raises NotFound, InvalidArgument, AlreadyExists, Conflict."""
        return self._h.append_event(run_id, kind, payload, expected_seq, idempotency_key)

    def append_batch(self, events: Iterable[Union[NewEvent, Sequence[Any]]]) -> List[Event]:
        """Appends every event (NewEvent or its tuple) in one transaction,
        in order, or none: the first bad one raises with ``batch_index``."""
        return [_event(t) for t in self._h.append_batch([_new_event(e) for e in events])]

    def append_batch_chunked(self, chunks: Iterable[Iterable[Union[NewEvent, Sequence[Any]]]]) -> List[Event]:
        """One all-or-nothing batch from an iterable of chunks, each checked
        and written as it comes (for bulk loaders). The iterable must not
        append to this journal."""
        it = iter(chunks)

        def source() -> Optional[list]:
            for chunk in it:
                return [_new_event(e) for e in chunk]
            return None

        return [_event(t) for t in self._h.append_batch_chunked(source)]

    # ---- reading ----

    def run(self, run_id: str) -> Optional[Run]:
        """The run, or None when there is none."""
        return _run_or_none(self._h.run(run_id))

    def runs(
        self,
        *,
        status: Optional[Union[RunStatus, str]] = None,
        session_id: Optional[str] = None,
        limit: int = 100,
        after_run_id: Optional[str] = None,
    ) -> List[Run]:
        """One page of runs in creation order; pass the last run id of a
        page as after_run_id for the next (one naming no run: NotFound)."""
        code = 0 if status is None else _STATUS_CODES[RunStatus(status)]
        return [_run(t) for t in self._h.runs(code, session_id, limit, after_run_id)]

    def events(self, run_id: str, from_seq: int = 1, limit: Optional[int] = None, *, page_size: int = 1000) -> Iterator[Event]:
        """The run's events in seq order from from_seq, at most limit, read
        a page at a time (each page one short read)."""
        left = limit
        seq = from_seq
        while left is None or left > 0:
            want = page_size if left is None else min(page_size, left)
            page = self._h.events(run_id, seq, want)
            for t in page:
                yield _event(t)
            if len(page) < want:
                return
            seq = page[-1][2] + 1
            if left is not None:
                left -= len(page)

    def events_after(self, after_position: int, limit: int) -> List[Event]:
        """Up to ``limit`` events with position > after_position."""
        return [_event(t) for t in self._h.events_after(after_position, limit)]

    def scan(self, after_position: int = 0, *, page_size: int = 1000) -> Iterator[Event]:
        """Every event after after_position in position order, a page at a
        time: memory stays bounded, no snapshot is held between pages."""
        position = after_position
        while True:
            page = self._h.events_after(position, page_size)
            for t in page:
                yield _event(t)
            if len(page) < page_size:
                return
            position = page[-1][0]

    def follow(
        self, after_position: int = 0, *, poll_ms: int = 20, timeout: Optional[float] = None
    ) -> Iterator[Event]:
        """Every event after after_position, then each new one as it lands
        (from any process), for as long as you iterate. timeout: stop after
        that many seconds without a new event (None: never). Ends when the
        journal is closed; Ctrl-C raises KeyboardInterrupt."""
        position = after_position
        wait_ms = -1 if timeout is None else int(timeout * 1000)
        while not self.closed:
            batch = self._h.follow(position, 1000, poll_ms, wait_ms)
            if not batch:
                return
            for t in batch:
                yield _event(t)
            position = batch[-1][0]

    def runs_as_of(self, position: int) -> List[Run]:
        """Every run as it stood right after the event at ``position``."""
        return [_run(t) for t in self._h.runs_as_of(position)]

    def last_position(self) -> int:
        """The position of the newest event; 0 for an empty journal."""
        return self._h.last_position()

    # ---- the projection ----

    def rebuild(self, progress: Optional[Progress] = None) -> RebuildReport:
        """Drops ``runs`` and recomputes it from the events."""
        return RebuildReport(*self._h.rebuild(progress))

    def verify(self, progress: Optional[Progress] = None) -> VerifyReport:
        """Recomputes every run and compares; .ok when consistent."""
        return VerifyReport(*self._h.verify(progress))

    # ---- inspection and data movement ----

    def sql(self, query: str, *, timeout_ms: int = 0, max_rows: int = 0) -> SqlResult:
        """ONE read-only statement (writes are InvalidArgument); past
        timeout_ms (0: 10 s) TimedOut; more than max_rows (0: 1,000,000)
        rows InvalidArgument."""
        return SqlResult(*self._h.sql(query, timeout_ms, max_rows))

    def stats(self) -> dict:
        """Counts, positions, sizes and versions."""
        return self._h.stats()

    def export(self, out: Any, run_id: Optional[str] = None, progress: Optional[Progress] = None) -> None:
        """Writes every run (or only run_id; NotFound when absent) to the
        text file ``out`` as JSON Lines records."""
        self._h.export(run_id, out.write, progress)

    def import_records(self, source: Any, progress: Optional[Progress] = None) -> ImportReport:
        """Imports JSON Lines records from a file (binary or text) or from
        bytes/str: all or nothing; a bad line raises naming it."""
        if isinstance(source, (bytes, str)):
            source = io.BytesIO(source.encode() if isinstance(source, str) else source)
        if isinstance(source, io.TextIOBase):
            # read(n) counts characters; four bytes at most each.
            def read(n: int, f: Any = source) -> bytes:
                return f.read(max(1, n // 4)).encode()
        else:
            read = source.read
        return ImportReport(*self._h.import_records(read, progress))

    def prune(
        self,
        finished_before_ms: int,
        *,
        archive: Optional[PathLike] = None,
        runs_per_transaction: int = 0,
        progress: Optional[Progress] = None,
    ) -> PruneReport:
        """Removes finished runs older than the cut-off (archived first when
        asked); live runs are never touched."""
        path = None if archive is None else os.fsdecode(os.fspath(archive))
        return PruneReport(*self._h.prune(finished_before_ms, path, runs_per_transaction, progress))

    # ---- run lifecycle and crash recovery ----

    def recover(self, *, include_interrupted: bool = False) -> List[RecoveredRun]:
        """The runs cut off by a crash: not finished, driver gone. Writes nothing."""
        return _recovered(self._h.recover(include_interrupted))

    def claim_recovered(
        self, *, include_interrupted: bool = False, limit: Optional[int] = None, payload: Optional[dict] = None
    ) -> List[RecoveredRun]:
        """Recovery by several hosts at once: refreshes this host's lease,
        then resumes what recover() lists, oldest first, at most ``limit``
        (None: all), and returns the runs this journal claimed, as they are
        now (executing, driven by it, with their checkpoints). However many
        hosts call it at once, each cut-off run is claimed by exactly one;
        a run lost to another is skipped. ``payload`` is each run_resumed
        payload: a dict without "driver" (InvalidArgument otherwise; this
        journal's driver is recorded). Raises ReadOnly, Busy, Io."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or at least 0, not {limit}")
        claimed = self._h.claim_recovered(include_interrupted, -1 if limit is None else limit, _json(payload))
        return _recovered(claimed)

    def resume_run(
        self,
        run_id: str,
        payload: Optional[dict] = None,
        *,
        expected_seq: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Run:
        """Appends run_resumed: the caller becomes the run's driver."""
        return _run(self._h.resume_run(run_id, _json(payload), expected_seq, idempotency_key))

    def interrupt_run(
        self, run_id: str, reason: str, *, expected_seq: Optional[int] = None, idempotency_key: Optional[str] = None
    ) -> Run:
        """Gives a run up: appends run_interrupted {reason}."""
        return _run(self._h.interrupt_run(run_id, reason, expected_seq, idempotency_key))

    def current_run(self, session_id: str) -> Optional[Run]:
        """The session's newest run that is not finished, or None."""
        return _run_or_none(self._h.current_run(session_id))

    def cancel_if_live(self, run_id: str, reason: Optional[str] = None) -> bool:
        """Cancels the run only when it is live and its session's current
        run; False (nothing written) otherwise."""
        return self._h.cancel_if_live(run_id, reason)

    def finish(
        self,
        run_id: str,
        outcome: Union[Outcome, str],
        *,
        result_text: Optional[str] = None,
        outputs: Any = None,
        message: Optional[str] = None,
    ) -> Run:
        """Records how an execution ended: Outcome.OK (result_text,
        outputs), Outcome.ERROR (message), Outcome.CANCELLED (message: the
        reason)."""
        code = _OUTCOME_CODES[Outcome(outcome)]
        return _run(self._h.finish(run_id, code, result_text, _json(outputs), message))

    def reserve(
        self,
        session_id: str,
        prompt: str = "",
        *,
        run_id: Optional[str] = None,
        inputs: Any = None,
        metadata: Any = None,
        agent_spec_digest: Optional[str] = None,
        git_sha: Optional[str] = None,
    ) -> Run:
        """A runner reservation: creates the run exclusively in its session;
        a session run whose driver is gone is failed first. AlreadyRunning
        when a live driver's run holds the session."""
        return _run(self._h.create_run(session_id, prompt, run_id, _json(inputs), _json(metadata), True, True,
                                       agent_spec_digest, git_sha))

    def save_checkpoint(self, run_id: str, checkpoint_id: str, state: Any) -> Event:
        """Appends checkpoint_saved {checkpoint_id, state}."""
        return _event(self._h.save_checkpoint(run_id, checkpoint_id, _json(state)))

    def latest_checkpoint(self, run_id: str) -> Optional[Checkpoint]:
        return _checkpoint(self._h.latest_checkpoint(run_id))

    def delete_checkpoint(self, run_id: str, checkpoint_id: str) -> bool:
        """Appends checkpoint_deleted when checkpoint_id is the live one."""
        return self._h.delete_checkpoint(run_id, checkpoint_id)

    def heartbeat(self) -> None:
        """Refreshes this host's heartbeat lease now."""
        self._h.heartbeat()
