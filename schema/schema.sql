-- schema/schema.sql — the schema that migrations/0001… produce, for reading.
--
-- tests/schema_test.cpp proves this file and the migrations build the same
-- database. The file also carries PRAGMA application_id = 1380602446
-- ("RJRN") and PRAGMA user_version = the number of the last migration.
-- Times are Unix milliseconds. JSON columns hold valid JSON or NULL.

-- The journal's own bookkeeping: exactly one row.
CREATE TABLE journal_meta (
  singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),  -- always 1: the table has one row
  journal_id TEXT NOT NULL,             -- random id given to the journal when it was created
  created_at_ms INTEGER NOT NULL,       -- when the journal was created
  projector_version INTEGER NOT NULL,   -- the projector version that derived `runs`; a different one rebuilds at open
  last_position INTEGER NOT NULL,       -- a floor: the next event gets one past max(this, max(events.position)); retention raises it before deleting, so positions are never reused
  projected_position INTEGER NOT NULL,  -- a lower bound: `runs` reflects every event up to here (refreshed every 4096 positions, not every commit); a catch-up starts here
  -- Added by migrations/0004_meta_versions.sql (ALTER TABLE appends them here).
  compatible_version INTEGER NOT NULL DEFAULT 1,  -- the oldest schema version (PRAGMA user_version) whose runjournal may read this file; no runjournal writes a file whose schema is newer than its own
  library_version TEXT NOT NULL DEFAULT ''       -- the runjournal version ("0.2.0") that last migrated the file or rebuilt `runs`; named when an older one must refuse it
);

-- The source of truth: every step of every run, append-only. Rows are never
-- updated; retention removes whole runs.
CREATE TABLE events (
  position INTEGER PRIMARY KEY NOT NULL,  -- global commit order, gap-free while nothing is removed, never reused
  run_id TEXT NOT NULL,                   -- the run this event belongs to
  seq INTEGER NOT NULL CHECK (seq >= 1),  -- per run: 1, 2, 3 … with no gaps; seq 1 is run_created
  ts_ms INTEGER NOT NULL,                 -- when it was appended, from the journal's clock
  kind TEXT NOT NULL CHECK (kind <> ''),  -- what happened: run_created, tool_called, … (aliases kept as written)
  payload TEXT NOT NULL,                  -- a JSON object, compact
  idempotency_key TEXT,                   -- optional; unique per run; a retried append with it returns this event
  UNIQUE (run_id, seq)
);

-- Finds the event an idempotency key already wrote.
CREATE UNIQUE INDEX events_by_idempotency_key ON events (run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The projection: each run's current state, a pure function of its events,
-- written in the same transaction as them. `runjournal rebuild` recomputes it.
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY NOT NULL,  -- the run's id, the caller's or run-<uuid v4>
  session_id TEXT NOT NULL,          -- the session (conversation, job, graph) the run belongs to
  status TEXT NOT NULL CHECK (status IN ('created', 'planning', 'executing', 'verifying', 'interrupted', 'completed', 'failed', 'cancelled')),  -- see docs/format.md, status machine
  prompt TEXT NOT NULL,              -- what the run was asked to do; '' until known
  inputs TEXT,                       -- JSON given at creation, or NULL
  outputs TEXT,                      -- JSON from run_completed, or NULL
  metadata TEXT,                     -- JSON given at creation, or NULL
  result_text TEXT,                  -- run_completed's result_text, or NULL
  error TEXT,                        -- run_failed's error; cleared by run_completed
  status_reason TEXT,                -- the reason given by run_cancelled or run_interrupted, or NULL
  checkpoint_id TEXT,                -- the latest live checkpoint's id; NULL when none or the run is finished
  checkpoint TEXT,                   -- that checkpoint_saved payload (JSON), or NULL
  created_at_ms INTEGER NOT NULL,    -- ts_ms of run_created
  updated_at_ms INTEGER NOT NULL,    -- ts_ms of the latest event
  finished_at_ms INTEGER,            -- ts_ms of the terminal event, or NULL while live
  first_position INTEGER NOT NULL,   -- position of run_created: the order runs were created in
  event_count INTEGER NOT NULL,      -- how many events the run has
  last_seq INTEGER NOT NULL,         -- seq of the latest event (equals event_count)
  last_position INTEGER NOT NULL,    -- position of the latest event
  -- Added by migrations/0003_drivers.sql (ALTER TABLE appends them here).
  -- The process driving the run, from the "driver" object of run_created or
  -- the latest run_resumed; all four NULL when none was recorded.
  driver_host TEXT,                  -- its host name
  driver_pid INTEGER,                -- its process id on that host
  driver_start_time INTEGER,         -- its start time, /proc/PID/stat field 22 (clock ticks after boot)
  driver_boot_id TEXT,               -- the boot id of that host when it drove the run
  -- Added by migrations/0005_run_provenance.sql.
  agent_spec_digest TEXT,            -- run_created's agent_spec_digest: the digest of the agent spec the run executes, or NULL
  git_sha TEXT,                      -- run_created's git_sha: the commit the run executes at, or NULL
  final_state_digest TEXT            -- run_completed's final_state_digest: the digest of the agent's final state, or NULL
);

-- Runs in creation order (listing and paging).
CREATE UNIQUE INDEX runs_by_creation ON runs (first_position);
-- A session's runs (exclusive sessions, the current run).
CREATE INDEX runs_by_session ON runs (session_id, first_position);
-- Runs in a status (live runs for recovery, filters).
CREATE INDEX runs_by_status ON runs (status, first_position);
-- Runs by creation time: the created-time window of runs()
-- (migrations/0006_runs_by_created.sql).
CREATE INDEX runs_by_created ON runs (created_at_ms, first_position);

-- Views for people (migrations/0002_views.sql): computed at query time, they
-- store nothing. Times read as ISO-8601 UTC with milliseconds. docs/sql.md is
-- a cookbook of queries over them.

-- Every run with readable times and its duration.
CREATE VIEW runs_readable AS
SELECT
  run_id,          -- runs.run_id
  session_id,      -- runs.session_id
  status,          -- runs.status
  prompt,          -- runs.prompt
  strftime('%Y-%m-%dT%H:%M:%S', created_at_ms / 1000, 'unixepoch') || printf('.%03dZ', created_at_ms % 1000) AS created_at,  -- e.g. 2025-01-31T12:00:00.250Z
  strftime('%Y-%m-%dT%H:%M:%S', updated_at_ms / 1000, 'unixepoch') || printf('.%03dZ', updated_at_ms % 1000) AS updated_at,  -- the latest event's time
  CASE WHEN finished_at_ms IS NULL THEN NULL
       ELSE strftime('%Y-%m-%dT%H:%M:%S', finished_at_ms / 1000, 'unixepoch') || printf('.%03dZ', finished_at_ms % 1000) END AS finished_at,  -- NULL while live
  CASE WHEN finished_at_ms IS NULL THEN NULL ELSE round((finished_at_ms - created_at_ms) / 1000.0, 3) END AS duration_s,  -- seconds from creation to finish; NULL while live
  event_count,     -- runs.event_count
  result_text,     -- runs.result_text
  error,           -- runs.error
  first_position,  -- runs.first_position: sort by it for creation order
  last_position    -- runs.last_position
FROM runs;

-- Every event with a readable time; ORDER BY position for commit order.
CREATE VIEW events_timeline AS
SELECT
  position,        -- events.position
  run_id,          -- events.run_id
  seq,             -- events.seq
  strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch') || printf('.%03dZ', ts_ms % 1000) AS time,  -- events.ts_ms as ISO-8601 UTC
  kind,            -- events.kind
  payload,         -- events.payload (JSON text: use json_extract on it)
  idempotency_key  -- events.idempotency_key
FROM events;

-- Runs that are stuck: not finished (created, planning, executing, verifying
-- or interrupted) and without any event for more than 10 minutes, measured
-- against the clock when the query runs. For another threshold, query `runs`
-- directly (docs/sql.md shows how).
CREATE VIEW runs_stuck AS
SELECT
  run_id,          -- runs.run_id
  session_id,      -- runs.session_id
  status,          -- runs.status, never a terminal one
  prompt,          -- runs.prompt
  strftime('%Y-%m-%dT%H:%M:%S', updated_at_ms / 1000, 'unixepoch') || printf('.%03dZ', updated_at_ms % 1000) AS last_event_at,  -- the latest event's time
  (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - updated_at_ms) / 1000 AS quiet_s,  -- whole seconds since the latest event
  event_count,     -- runs.event_count
  last_position    -- runs.last_position
FROM runs
WHERE status IN ('created', 'planning', 'executing', 'verifying', 'interrupted')
  AND updated_at_ms < CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 600000;

-- Heartbeat leases (migrations/0003_drivers.sql): a live journal on a host
-- keeps its lease fresh; a run driven from another host counts as cut off
-- once that host's lease has expired (docs/recovery.md).
CREATE TABLE driver_leases (
  host TEXT NOT NULL,               -- the host name, as in runs.driver_host
  boot_id TEXT NOT NULL,            -- the boot of that host the lease is for, as in runs.driver_boot_id
  expires_at_ms INTEGER NOT NULL,   -- the host counts as alive until then (system clock, Unix ms)
  PRIMARY KEY (host, boot_id)
);
