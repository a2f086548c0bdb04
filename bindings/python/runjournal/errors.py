"""The exceptions runjournal raises: runjournal.Error and one subclass per
status of the C API. Branch on the class (or on ``.status``), never on the
message, which is for people and may change."""

from __future__ import annotations

from typing import Dict, Optional, Type


class Error(Exception):
    """A failure reported by the journal.

    ``status`` is the stable snake_case name ("not_found", "conflict", …),
    ``code`` the C API's number, ``batch_index`` the index of the refused
    event when a batch was refused because of one (else None). A write that
    raised wrote nothing."""

    status: str = "error"
    code: int = 102

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.batch_index: Optional[int] = None


class NotFound(Error, LookupError):
    """The run, or the journal file, does not exist."""


class Conflict(Error):
    """expected_seq was stale: the run moved past it."""


class AlreadyRunning(Error):
    """An exclusive create or a reservation: the session has a live run
    (the message names it)."""


class AlreadyExists(Error):
    """run_created for a run id that is taken."""


class InvalidArgument(Error, ValueError):
    """Bad input: an empty kind, a payload that is not a JSON object, …"""


class Busy(Error):
    """The file stayed locked by another process past the wait limit."""


class Corrupt(Error):
    """The file's contents break the journal's invariants."""


class SchemaTooNew(Error):
    """The file was written by a newer runjournal."""


class NotAJournal(Error):
    """Not a SQLite file, or a SQLite file that is not a journal."""


class Io(Error):
    """The operating system or SQLite failed to read or write."""


class TimedOut(Error, TimeoutError):
    """A query ran past its time limit and was stopped."""


class ReadOnly(Error):
    """A write on a journal opened with read_only=True."""


class Aborted(Error):
    """A callback stopped the call; a write wrote nothing."""


class NoMemory(Error, MemoryError):
    """An allocation failed inside the library."""


# The C API's status numbers (runjournal.h), each with its class. A status
# this version does not know is raised as Error itself.
BY_CODE: Dict[int, Type[Error]] = {
    1: NotFound,
    2: Conflict,
    3: AlreadyRunning,
    4: AlreadyExists,
    5: InvalidArgument,
    6: Busy,
    7: Corrupt,
    8: SchemaTooNew,
    9: NotAJournal,
    10: Io,
    11: TimedOut,
    12: ReadOnly,
    100: Aborted,
    101: NoMemory,
}

for _code, _cls in BY_CODE.items():
    _cls.code = _code
del _code, _cls
