#!/usr/bin/env python3
"""bench_bindings.py — the bindings' throughput beside raw baselines
measured in the same run (docs/performance.md, "Bindings").

    /usr/bin/python3 tools/bench_bindings.py [--build build] [--rounds 5] [--quick] [--only TEXT]

Each scenario runs the binding and its baseline `rounds` times, alternating
which goes first, on fresh files, and prints the median events per second
of each and their ratio, with the target the ratio is held to:

- Python, 1 thread, 1 event per commit, `normal`: the package vs Python's
  own sqlite3 module doing the same insert and `runs` upsert (the same
  statements as the raw C baseline, tools/bench_raw.cpp, in WAL mode at the
  same synchronous level, one transaction per event, the payload dumped
  with json as the package does);
- Python, 1 thread, `full`: the package vs raw C (bench_raw.cpp through
  runjournal-bench-native);
- Python, 16 threads, `full`: the package (16 Python threads, one run
  each) vs raw C one event per commit;
- Rust, 1 thread, `normal` and `full`: the crate (its examples/bench.rs)
  vs the C++ API (runjournal-bench-native cpp) appending one prebuilt
  nlohmann::json payload; a reference row compares it with the C++ API
  parsing the same payload from text per event (cpp-text), which is what a
  binding that takes JSON text does.

The raw C and C++ figures of the same run are printed too. A benchmark,
not a test: it asserts nothing. --quick runs tiny sizes once (a smoke).
"""

import argparse
import json
import os
import pathlib
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAYLOAD = {"tool_name": "search", "args": {"query": "quarterly report", "limit": 10}}

# The raw baseline's schema and statements (tools/bench_raw.cpp).
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, idempotency_key TEXT, UNIQUE (run_id, seq));
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, event_count INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, last_position INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
"""
INSERT = "INSERT INTO events (position, run_id, seq, ts_ms, kind, payload) VALUES (?, ?, ?, ?, 'tool_called', ?)"
UPSERT = (
    "INSERT INTO runs (run_id, status, event_count, last_seq, last_position, updated_at_ms) "
    "VALUES (?1, 'executing', 1, ?2, ?3, ?4) ON CONFLICT (run_id) DO UPDATE SET "
    "event_count = event_count + 1, last_seq = ?2, last_position = ?3, updated_at_ms = ?4"
)


def fresh(path):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(f"{path}{suffix}")
        except FileNotFoundError:
            pass
    return path


class Bench:
    def __init__(self, args):
        self.build = pathlib.Path(args.build).resolve()
        self.dir = pathlib.Path(args.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rounds = 1 if args.quick else args.rounds
        self.scale = 0.05 if args.quick else 1.0
        self.only = args.only
        self.native = self.build / "tools" / "runjournal-bench-native"
        sys.path.insert(0, str(self.build / "python"))
        import runjournal  # the package under the build tree

        self.runjournal = runjournal
        self.rust = self.build_rust(release=not args.quick)

    def n(self, events):
        return max(20, int(events * self.scale))

    def build_rust(self, release):
        """The Rust side, optimised; for the smoke, the debug build ctest's
        cargo test already made (figures mean nothing there)."""
        target = self.build / ("cargo-release" if release else "cargo")
        env = dict(os.environ, RUNJOURNAL_C_LIB_DIR=str(self.build), CARGO_TARGET_DIR=str(target))
        cargo = "cargo" if subprocess.run(["sh", "-c", "command -v cargo"], capture_output=True).returncode == 0 \
            else os.path.expanduser("~/.cargo/bin/cargo")
        profile = ["--release"] if release else []
        subprocess.run([cargo, "build", "--offline", "--quiet", *profile, "--example", "bench",
                        "--manifest-path", str(ROOT / "bindings" / "rust" / "Cargo.toml")], env=env, check=True)
        return target / ("release" if release else "debug") / "examples" / "bench"

    # ---- one measurement each: seconds for `events` appends ----

    def python_journal(self, durability, events, threads=1):
        path = fresh(self.dir / "py.journal")
        with self.runjournal.Journal.open(path, durability=durability) as journal:
            for t in range(threads):
                journal.create_run("bench", run_id=f"r{t}")
            each = events // threads

            def work(run_id):
                append = journal.append
                for _ in range(each):
                    append(run_id, "tool_called", PAYLOAD)

            start = time.perf_counter()
            if threads == 1:
                work("r0")
            else:
                pool = [threading.Thread(target=work, args=(f"r{t}",)) for t in range(threads)]
                for th in pool:
                    th.start()
                for th in pool:
                    th.join()
            return time.perf_counter() - start, each * threads

    def python_sqlite3(self, durability, events):
        path = fresh(self.dir / "sqlite3.db")
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"PRAGMA synchronous = {durability.upper()}")
        db.executescript(SCHEMA)
        dumps = json.dumps
        execute = db.execute
        start = time.perf_counter()
        for position in range(1, events + 1):
            ts = 1_700_000_000_000 + position
            execute("BEGIN IMMEDIATE")
            execute(INSERT, (position, "r0", position, ts, dumps(PAYLOAD)))
            execute(UPSERT, ("r0", position, position, ts))
            execute("COMMIT")
        seconds = time.perf_counter() - start
        db.close()
        return seconds, events

    def native_run(self, what, durability, events):
        out = subprocess.run([str(self.native), what, durability, str(events), str(self.dir / f"{what}.db")],
                             capture_output=True, text=True, check=True)
        return float(out.stdout), events

    def rust_run(self, durability, events):
        out = subprocess.run([str(self.rust), durability, str(events), str(self.dir / "rust.journal")],
                             capture_output=True, text=True, check=True)
        return float(out.stdout), events

    # ---- scenarios ----

    def scenario(self, name, target, binding, baseline):
        if self.only and self.only not in name:
            return
        b, r = [], []
        for round_ in range(self.rounds):
            pair = [(binding, b), (baseline, r)]
            if round_ % 2:
                pair.reverse()
            for run, into in pair:
                seconds, events = run()
                into.append(events / seconds)
        bm, rm = statistics.median(b), statistics.median(r)
        print(f"{name:<58} {bm:>11,.0f} {rm:>11,.0f} {bm / rm:>7.2f}   {target}", flush=True)

    def run(self):
        rj = self.runjournal
        print(f"runjournal {rj.version()}, SQLite {rj.sqlite_version()}, Python {sys.version.split()[0]}, "
              f"{self.rounds} round(s), files in {self.dir}")
        print(f"{'scenario':<58} {'binding':>11} {'baseline':>11} {'ratio':>7}   target")
        normal, full = self.n(20_000), self.n(3_000)
        self.scenario("Python 1 thread normal  vs Python sqlite3 module", ">= 2.0",
                      lambda: self.python_journal("normal", normal), lambda: self.python_sqlite3("normal", normal))
        self.scenario("Python 1 thread full    vs raw C", ">= 0.8",
                      lambda: self.python_journal("full", full), lambda: self.native_run("raw", "full", full))
        self.scenario("Python 16 threads full  vs raw C 1 event/commit", ">= 3.0",
                      lambda: self.python_journal("full", self.n(16 * 400), threads=16),
                      lambda: self.native_run("raw", "full", full))
        self.scenario("Rust 1 thread normal    vs the C++ API", ">= 0.9",
                      lambda: self.rust_run("normal", normal), lambda: self.native_run("cpp", "normal", normal))
        self.scenario("Rust 1 thread full      vs the C++ API", ">= 0.9",
                      lambda: self.rust_run("full", full), lambda: self.native_run("cpp", "full", full))
        # The raw baselines and the C++ API in the same run, for reference;
        # and what parsing each payload from text costs the C++ API itself
        # (every binding takes JSON text, so it parses every payload).
        self.scenario("(reference) Rust 1 thread normal vs C++ parsing text", "-",
                      lambda: self.rust_run("normal", normal), lambda: self.native_run("cpp-text", "normal", normal))
        self.scenario("(reference) C++ API normal vs raw C normal", "-",
                      lambda: self.native_run("cpp", "normal", normal), lambda: self.native_run("raw", "normal", normal))
        self.scenario("(reference) Python sqlite3 module normal vs raw C normal", "-",
                      lambda: self.python_sqlite3("normal", normal), lambda: self.native_run("raw", "normal", normal))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=str(ROOT / "build"), help="a built runjournal tree (default: build)")
    parser.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "runjournal-bench-bindings"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round: a smoke")
    parser.add_argument("--only", default="", help="scenarios whose name contains this")
    Bench(parser.parse_args()).run()


if __name__ == "__main__":
    main()
