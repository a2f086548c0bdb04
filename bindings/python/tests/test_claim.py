"""Recovery by several hosts at once (Journal.claim_recovered): journals
posing as two hosts in this process claim the cut-off runs of a third that
crashed; each run is claimed by exactly one of them, a limit bounds a
claim, and a bad payload or a read-only journal is refused, writing
nothing."""

import pytest

import runjournal
from runjournal import RunStatus

GONE = {"host": "host-gone", "pid": 1, "start_time": 1, "boot_id": "boot-of-host-gone"}


def create_cut_off(journal, run_id):
    """A run cut off while executing: its driver's host crashed, and no
    lease speaks for it."""
    journal.append(run_id, "run_created", {"session_id": f"s-{run_id}", "driver": GONE})
    journal.append(run_id, "run_started")


def as_host(path, me, host):
    """A host of its own: this process (me, a driver it recorded), under
    another host name and boot id, so other hosts judge its runs by its
    heartbeat lease."""
    return runjournal.Journal.open(path, driver=me._replace(host=host, boot_id=f"boot-of-{host}"))


def resumes(journal, run_id):
    return sum(1 for e in journal.events(run_id) if e.kind == "run_resumed")


def test_each_cut_off_run_is_claimed_by_exactly_one_host_and_a_limit_bounds_a_claim(journal, path):
    # `journal` is opened first and kept: the process's writer refreshes the
    # lease of this process's own host, not of the hosts posed as below.
    me = journal.create_run("live", run_id="alive").driver  # live, its host's lease fresh: never claimed
    for run_id in ("r0", "r1", "r2"):
        create_cut_off(journal, run_id)
    journal.save_checkpoint("r0", "cp-0", {"step": 7})
    with as_host(path, me, "host-a") as host_a, as_host(path, me, "host-b") as host_b:
        before = journal.last_position()
        assert host_a.claim_recovered(limit=0) == []
        assert journal.last_position() == before  # a limit of 0 claims nothing, writes no event

        first = host_a.claim_recovered(limit=2)
        assert [r.run.run_id for r in first] == ["r0", "r1"]  # oldest first
        for r in first:
            assert isinstance(r, runjournal.RecoveredRun)
            assert r.run.status is RunStatus.EXECUTING
            assert r.run.driver.host == "host-a"
            assert "host-gone" in r.why
        assert (first[0].checkpoint.checkpoint_id, first[0].checkpoint.state) == ("cp-0", {"step": 7})
        assert first[1].checkpoint is None

        # host-b, unbounded, gets only what host-a left: host-a's lease
        # speaks for the runs it claimed.
        second = host_b.claim_recovered(payload={"attempt": 2})
        assert [r.run.run_id for r in second] == ["r2"]
        assert second[0].run.driver.host == "host-b"
        resumed = list(journal.events("r2"))[-1]
        assert resumed.kind == "run_resumed"
        assert resumed.payload["attempt"] == 2
        assert resumed.payload["driver"]["host"] == "host-b"

        # Nothing is left for anyone, and no run was resumed twice.
        assert host_a.claim_recovered(include_interrupted=True) == []
        assert host_b.claim_recovered(include_interrupted=True) == []
    assert [resumes(journal, run_id) for run_id in ("r0", "r1", "r2", "alive")] == [1, 1, 1, 0]


def test_a_bad_payload_or_a_read_only_journal_is_refused_writing_nothing(journal, path):
    me = journal.create_run("live").driver
    create_cut_off(journal, "r")
    position = journal.last_position()
    table = journal.runs()
    driver = {"driver": {"host": "elsewhere", "pid": 1, "start_time": 1, "boot_id": "b"}}
    with as_host(path, me, "host-a") as claimant:
        for payload in ([1, 2], "resume", 3, driver):
            with pytest.raises(runjournal.InvalidArgument) as refused:
                claimant.claim_recovered(payload=payload)
            assert type(refused.value) is runjournal.InvalidArgument
            assert refused.value.status == "invalid_argument"
            assert isinstance(refused.value, ValueError)
        assert "driver" in str(refused.value)
        with pytest.raises(TypeError):
            claimant.claim_recovered(payload={"not json": object()})
        with pytest.raises(ValueError, match="limit"):
            claimant.claim_recovered(limit=-1)
        with runjournal.Journal.open(path, read_only=True) as reader:
            with pytest.raises(runjournal.ReadOnly):
                reader.claim_recovered()

        assert journal.last_position() == position
        assert journal.runs() == table
        assert [r.run.run_id for r in claimant.claim_recovered()] == ["r"]  # still there to claim
