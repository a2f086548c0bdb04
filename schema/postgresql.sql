-- schema/postgresql.sql — the schema that migrations/postgresql/0001… produce
-- on PostgreSQL, for reading; schema/schema.sql is the same for SQLite.
--
-- tests/postgres/pg_migrations_test.cpp proves this file and the migrations
-- build the same schema (columns, types, defaults, constraints, indexes,
-- views), and that its tables and columns are those of schema/schema.sql,
-- in the same order: a query written against one backend's tables reads the
-- other's. A journal is one PostgreSQL schema (namespace), normally
-- `public`; its version is max(journal_migrations.version), the number of
-- the last migration, as PRAGMA user_version is on SQLite.
--
-- Types (docs/postgresql.md, "Types"): SQLite INTEGER is BIGINT here (the
-- singleton and versions: INTEGER). Text is TEXT COLLATE "C": compared and
-- sorted by bytes, as SQLite's default BINARY collation does, whatever the
-- database's locale. JSON columns are JSONB: query them with ->, ->>, @>,
-- jsonb_each, jsonb_path_query … without a cast; JSONB keeps the value, not
-- the spelling (keys come back sorted, duplicates and spacing gone), and
-- cannot hold the character U+0000 (a payload with "\u0000" is refused).
-- Times are Unix milliseconds.

-- Which migrations made this schema, one row each: PostgreSQL's stand-in for
-- PRAGMA user_version and application_id (a schema with tables but without
-- this one is not a journal).
CREATE TABLE journal_migrations (
  version INTEGER PRIMARY KEY CHECK (version >= 1),  -- 1, 2, 3 … with no gaps: migrations/postgresql/NNNN_*.sql
  name TEXT COLLATE "C" NOT NULL,                    -- the migration's file name without .sql ("0001_core")
  applied_at_ms BIGINT NOT NULL                      -- when it was applied (server clock)
);

-- The journal's own bookkeeping: exactly one row.
CREATE TABLE journal_meta (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),  -- always 1: the table has one row
  journal_id TEXT COLLATE "C" NOT NULL,   -- random id given to the journal when it was created (32 hex digits)
  created_at_ms BIGINT NOT NULL,          -- when the journal was created
  projector_version INTEGER NOT NULL,     -- the projector version that derived `runs`; a different one rebuilds at open
  last_position BIGINT NOT NULL,          -- the position counter: the last position assigned. An append raises it in its own transaction, which holds this row locked until it commits, so positions follow commit order (docs/postgresql.md, "Position order"); retention never lowers it, so positions are never reused
  projected_position BIGINT NOT NULL,     -- a lower bound: `runs` reflects every event up to here; a catch-up starts here
  -- Added by migrations/postgresql/0004_meta_versions.sql.
  compatible_version INTEGER NOT NULL DEFAULT 1,       -- the oldest schema version whose runjournal may read this journal; no runjournal writes one whose schema is newer than its own
  library_version TEXT COLLATE "C" NOT NULL DEFAULT ''  -- the runjournal version ("0.2.0") that last migrated the journal or rebuilt `runs`
);

-- The source of truth: every step of every run, append-only. Rows are never
-- updated; retention removes whole runs.
CREATE TABLE events (
  position BIGINT PRIMARY KEY,                -- global commit order, gap-free while nothing is removed, never reused
  run_id TEXT COLLATE "C" NOT NULL,           -- the run this event belongs to
  seq BIGINT NOT NULL CHECK (seq >= 1),       -- per run: 1, 2, 3 … with no gaps; seq 1 is run_created
  ts_ms BIGINT NOT NULL,                      -- when it was appended, from the journal's clock
  kind TEXT COLLATE "C" NOT NULL CHECK (kind <> ''),  -- what happened: run_created, tool_called, … (aliases kept as written)
  payload JSONB NOT NULL CHECK (jsonb_typeof(payload) = 'object'),  -- a JSON object
  idempotency_key TEXT COLLATE "C",           -- optional; unique per run; a retried append with it returns this event
  CONSTRAINT events_run_id_seq_key UNIQUE (run_id, seq)
);

-- Finds the event an idempotency key already wrote.
CREATE UNIQUE INDEX events_by_idempotency_key ON events (run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The projection: each run's current state, a pure function of its events,
-- written in the same transaction as them.
CREATE TABLE runs (
  run_id TEXT COLLATE "C" PRIMARY KEY,       -- the run's id, the caller's or run-<uuid v4>
  session_id TEXT COLLATE "C" NOT NULL,      -- the session (conversation, job, graph) the run belongs to
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('created', 'planning', 'executing', 'verifying', 'interrupted', 'completed', 'failed', 'cancelled')),  -- see docs/format.md, status machine
  prompt TEXT COLLATE "C" NOT NULL,          -- what the run was asked to do; '' until known
  inputs JSONB,                              -- JSON given at creation, or NULL
  outputs JSONB,                             -- JSON from run_completed, or NULL
  metadata JSONB,                            -- JSON given at creation, or NULL
  result_text TEXT COLLATE "C",              -- run_completed's result_text, or NULL
  error TEXT COLLATE "C",                    -- run_failed's error; cleared by run_completed
  status_reason TEXT COLLATE "C",            -- the reason given by run_cancelled or run_interrupted, or NULL
  checkpoint_id TEXT COLLATE "C",            -- the latest live checkpoint's id; NULL when none or the run is finished
  checkpoint JSONB,                          -- that checkpoint_saved payload, or NULL
  created_at_ms BIGINT NOT NULL,             -- ts_ms of run_created
  updated_at_ms BIGINT NOT NULL,             -- ts_ms of the latest event
  finished_at_ms BIGINT,                     -- ts_ms of the terminal event, or NULL while live
  first_position BIGINT NOT NULL,            -- position of run_created: the order runs were created in
  event_count BIGINT NOT NULL,               -- how many events the run has
  last_seq BIGINT NOT NULL,                  -- seq of the latest event (equals event_count)
  last_position BIGINT NOT NULL,             -- position of the latest event
  -- Added by migrations/postgresql/0003_drivers.sql: the process driving
  -- the run (docs/recovery.md); all four NULL when none was recorded.
  driver_host TEXT COLLATE "C",              -- its host name
  driver_pid BIGINT,                         -- its process id on that host
  driver_start_time BIGINT,                  -- its start time, /proc/PID/stat field 22 (clock ticks after boot)
  driver_boot_id TEXT COLLATE "C",           -- the boot id of that host when it drove the run
  -- Added by migrations/postgresql/0005_run_provenance.sql.
  agent_spec_digest TEXT COLLATE "C",        -- run_created's agent_spec_digest, or NULL
  git_sha TEXT COLLATE "C",                  -- run_created's git_sha, or NULL
  final_state_digest TEXT COLLATE "C",       -- run_completed's final_state_digest, or NULL
  -- Added by migrations/postgresql/0007_run_lineage.sql.
  forked_from_run TEXT COLLATE "C",          -- a fork's source run, from its run_created; NULL for other runs
  forked_from_seq BIGINT                     -- the source's seq up to which the fork's events are copies of the source's
);

-- Runs in creation order (listing and paging).
CREATE UNIQUE INDEX runs_by_creation ON runs (first_position);
-- A session's runs (exclusive sessions, the current run).
CREATE INDEX runs_by_session ON runs (session_id, first_position);
-- Runs in a status (live runs for recovery, filters).
CREATE INDEX runs_by_status ON runs (status, first_position);
-- Runs by creation time (migrations/postgresql/0006_runs_by_created.sql).
CREATE INDEX runs_by_created ON runs (created_at_ms, first_position);

-- Views for people (migrations/postgresql/0002_views.sql): computed at query
-- time, they store nothing. Times read as ISO-8601 UTC with milliseconds,
-- computed exactly (milliseconds added to the epoch as an interval).

-- Every run with readable times and its duration.
CREATE VIEW runs_readable AS
SELECT
  run_id,          -- runs.run_id
  session_id,      -- runs.session_id
  status,          -- runs.status
  prompt,          -- runs.prompt
  to_char(timestamp '1970-01-01' + created_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,  -- e.g. 2025-01-31T12:00:00.250Z
  to_char(timestamp '1970-01-01' + updated_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,  -- the latest event's time
  CASE WHEN finished_at_ms IS NULL THEN NULL
       ELSE to_char(timestamp '1970-01-01' + finished_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END AS finished_at,  -- NULL while live
  CASE WHEN finished_at_ms IS NULL THEN NULL ELSE round((finished_at_ms - created_at_ms) / 1000.0, 3) END AS duration_s,  -- seconds from creation to finish (numeric); NULL while live
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
  to_char(timestamp '1970-01-01' + ts_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time,  -- events.ts_ms as ISO-8601 UTC
  kind,            -- events.kind
  payload,         -- events.payload (JSONB: use ->> on it)
  idempotency_key  -- events.idempotency_key
FROM events;

-- Runs that are stuck: not finished and without any event for more than 10
-- minutes, measured against the transaction's start time (now()).
CREATE VIEW runs_stuck AS
SELECT
  run_id,          -- runs.run_id
  session_id,      -- runs.session_id
  status,          -- runs.status, never a terminal one
  prompt,          -- runs.prompt
  to_char(timestamp '1970-01-01' + updated_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_event_at,  -- the latest event's time
  (floor(extract(epoch FROM now()) * 1000)::bigint - updated_at_ms) / 1000 AS quiet_s,  -- whole seconds since the latest event
  event_count,     -- runs.event_count
  last_position    -- runs.last_position
FROM runs
WHERE status IN ('created', 'planning', 'executing', 'verifying', 'interrupted')
  AND updated_at_ms < floor(extract(epoch FROM now()) * 1000)::bigint - 600000;

-- Heartbeat leases (migrations/postgresql/0003_drivers.sql): a live journal
-- on a host keeps its lease fresh; a run driven from another host counts as
-- cut off once that host's lease has expired (docs/recovery.md).
CREATE TABLE driver_leases (
  host TEXT COLLATE "C" NOT NULL,      -- the host name, as in runs.driver_host
  boot_id TEXT COLLATE "C" NOT NULL,   -- the boot of that host the lease is for, as in runs.driver_boot_id
  expires_at_ms BIGINT NOT NULL,       -- the host counts as alive until then (system clock, Unix ms)
  PRIMARY KEY (host, boot_id)
);
