"""Threads: many appending to one Journal at once, and the GIL released
while a call waits, so other Python threads run meanwhile."""

import threading
import time

import runjournal


def test_threads_appending_at_once_each_get_a_gapless_run(path):
    with runjournal.Journal.open(path, durability="full") as journal:
        threads, per_thread = 16, 30
        errors = []

        def work(t):
            try:
                run = journal.create_run("s", run_id=f"r{t}")
                for i in range(per_thread):
                    journal.append(run.run_id, "tool_called", {"i": i})
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert errors == []
        assert journal.last_position() == threads * (per_thread + 1)
        for t in range(threads):
            assert [e.seq for e in journal.events(f"r{t}")] == list(range(1, per_thread + 2))
        positions = [e.position for e in journal.scan()]
        assert positions == list(range(1, threads * (per_thread + 1) + 1))
        assert journal.verify().ok


def test_the_gil_is_released_while_a_call_waits(journal):
    """A follow waits 300 ms inside the library; the main thread must get
    appends done meanwhile, which it could not if the waiting thread held
    the GIL."""
    journal.create_run("s", run_id="r")
    window = {}

    def wait():
        window["start"] = time.monotonic()
        list(journal.follow(10_000, poll_ms=5, timeout=0.3))
        window["end"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    done_at = []
    while waiter.is_alive():
        journal.append("r", "tool_called")
        done_at.append(time.monotonic())
    waiter.join()
    inside = [t for t in done_at if window["start"] + 0.02 < t < window["end"] - 0.02]
    assert len(inside) >= 5, f"only {len(inside)} appends while the other thread waited"


def test_close_waits_for_calls_in_flight_on_other_threads(path):
    journal = runjournal.Journal.open(path)
    journal.create_run("s", run_id="r")
    seen = []
    following = threading.Event()

    def follow():
        for event in journal.follow(0, poll_ms=5):
            seen.append(event.seq)
            following.set()

    follower = threading.Thread(target=follow)
    follower.start()
    assert following.wait(timeout=30)
    time.sleep(0.05)  # the follower is waiting inside the library now
    journal.close()  # the follow stops at its next poll; close waits for it
    follower.join(timeout=5)
    assert not follower.is_alive()
    assert seen == [1]
    assert journal.closed
