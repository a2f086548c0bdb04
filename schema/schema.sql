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
  last_position INTEGER NOT NULL,       -- highest position ever assigned; the next event gets the one after, so positions are never reused
  projected_position INTEGER NOT NULL   -- `runs` reflects every event up to here; open catches up when events lie beyond it
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
  last_position INTEGER NOT NULL     -- position of the latest event
);

-- Runs in creation order (listing and paging).
CREATE UNIQUE INDEX runs_by_creation ON runs (first_position);
-- A session's runs (exclusive sessions, the current run).
CREATE INDEX runs_by_session ON runs (session_id, first_position);
-- Runs in a status (live runs for recovery, filters).
CREATE INDEX runs_by_status ON runs (status, first_position);
