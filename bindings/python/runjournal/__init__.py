"""runjournal: a durable journal for AI-agent and workflow runs, in one
SQLite file — the Python package, on runjournal's C API (librunjournal_c).

    import runjournal

    with runjournal.Journal.open("agent.journal") as journal:
        run = journal.create_run("s1", "fix tests")
        journal.append(run.run_id, "tool_called", {"tool_name": "search"})
        journal.append(run.run_id, "run_completed", {"result_text": "done"})
        assert journal.run(run.run_id).status == runjournal.RunStatus.COMPLETED

Payloads, inputs and outputs are Python values (dicts, lists …); runs and
events are typed objects whose attributes are the ``runs`` and ``events``
column names; failures raise runjournal.Error subclasses (NotFound,
Conflict, AlreadyRunning, …)."""

from . import _runjournal
from .errors import (
    Aborted,
    AlreadyExists,
    AlreadyRunning,
    BY_CODE as _BY_CODE,
    Busy,
    Conflict,
    Corrupt,
    Error,
    InvalidArgument,
    Io,
    NoMemory,
    NotAJournal,
    NotFound,
    ReadOnly,
    SchemaTooNew,
    TimedOut,
)
from .journal import Journal
from .types import (
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
)

for _code, _cls in _BY_CODE.items():
    _cls.status = _runjournal.status_name(_code)
_runjournal._register_errors(dict(_BY_CODE), Error)
# The extension makes the append path's Event itself, with the package's codecs.
from .journal import _dumps as _package_dumps  # noqa: E402
from .types import _loads as _package_loads  # noqa: E402

_runjournal._register_types(Event, _package_dumps, _package_loads)
del _code, _cls

ABI_VERSION: int = _runjournal.ABI_VERSION


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _runjournal.version()


def abi_version() -> int:
    """The C ABI version of the linked librunjournal_c."""
    return _runjournal.abi_version()


def sqlite_version() -> str:
    """The SQLite version the library runs on."""
    return _runjournal.sqlite_version()


def sqlite_json_max_depth() -> int:
    """The deepest JSON nesting the linked SQLite's JSON functions accept:
    the default and the ceiling of max_json_depth."""
    return _runjournal.sqlite_json_max_depth()


def parse_cutoff(text: str, now_ms: int) -> int:
    """A prune cut-off ("2025-01-31T12:00:00Z", "30d", "12h", …) as Unix ms."""
    return _runjournal.parse_cutoff(text, now_ms)


__version__ = version()

__all__ = [
    "Aborted", "AlreadyExists", "AlreadyRunning", "Busy", "Checkpoint", "Conflict", "Corrupt", "Driver", "Error",
    "Event", "ImportReport", "InvalidArgument", "Io", "Journal", "NewEvent", "NoMemory", "NotAJournal", "NotFound",
    "Outcome", "PruneReport", "ReadOnly", "RebuildReport", "RecoveredRun", "Run", "RunStatus", "SchemaTooNew", "SqlResult",
    "TimedOut", "VerifyReport", "abi_version", "parse_cutoff", "sqlite_json_max_depth", "sqlite_version", "version",
]
