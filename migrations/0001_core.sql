-- 0001_core: the event log, the runs projection, and the journal's bookkeeping.
-- Forward-only: once landed this file is never edited; changes are new files.

CREATE TABLE journal_meta (
  singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
  journal_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  projector_version INTEGER NOT NULL,
  last_position INTEGER NOT NULL,
  projected_position INTEGER NOT NULL
);

INSERT INTO journal_meta (singleton, journal_id, created_at_ms, projector_version, last_position, projected_position)
VALUES (1, lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 0, 0, 0);

CREATE TABLE events (
  position INTEGER PRIMARY KEY NOT NULL,
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  ts_ms INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind <> ''),
  payload TEXT NOT NULL,
  idempotency_key TEXT,
  UNIQUE (run_id, seq)
);

CREATE UNIQUE INDEX events_by_idempotency_key ON events (run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE runs (
  run_id TEXT PRIMARY KEY NOT NULL,
  session_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('created', 'planning', 'executing', 'verifying', 'interrupted', 'completed', 'failed', 'cancelled')),
  prompt TEXT NOT NULL,
  inputs TEXT,
  outputs TEXT,
  metadata TEXT,
  result_text TEXT,
  error TEXT,
  status_reason TEXT,
  checkpoint_id TEXT,
  checkpoint TEXT,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER,
  first_position INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  last_position INTEGER NOT NULL
);

CREATE UNIQUE INDEX runs_by_creation ON runs (first_position);
CREATE INDEX runs_by_session ON runs (session_id, first_position);
CREATE INDEX runs_by_status ON runs (status, first_position);
