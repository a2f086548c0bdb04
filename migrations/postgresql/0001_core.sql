-- 0001_core (PostgreSQL): the event log, the runs projection, and the
-- journal's bookkeeping; the meaning of migrations/0001_core.sql.
-- Forward-only: once landed this file is never edited; changes are new files.
--
-- Types (docs/postgresql.md, "Types"): SQLite's INTEGER is BIGINT (a
-- version or the singleton, INTEGER); text is TEXT COLLATE "C", so text
-- compares and sorts by its bytes as SQLite's BINARY collation does,
-- whatever the database's locale; JSON is JSONB, so a query reads payloads
-- with PostgreSQL's JSON operators without a cast.

-- Which migrations made this schema: PostgreSQL's stand-in for SQLite's
-- PRAGMA user_version (the schema version is the highest version here),
-- and the mark of a journal (a schema with tables but without this one is
-- not a journal).
CREATE TABLE journal_migrations (
  version INTEGER PRIMARY KEY CHECK (version >= 1),
  name TEXT COLLATE "C" NOT NULL,
  applied_at_ms BIGINT NOT NULL
);

CREATE TABLE journal_meta (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  journal_id TEXT COLLATE "C" NOT NULL,
  created_at_ms BIGINT NOT NULL,
  projector_version INTEGER NOT NULL,
  last_position BIGINT NOT NULL,
  projected_position BIGINT NOT NULL
);

INSERT INTO journal_meta (singleton, journal_id, created_at_ms, projector_version, last_position, projected_position)
VALUES (1, replace(gen_random_uuid()::text, '-', ''), floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint,
        0, 0, 0);

CREATE TABLE events (
  position BIGINT PRIMARY KEY,
  run_id TEXT COLLATE "C" NOT NULL,
  seq BIGINT NOT NULL CHECK (seq >= 1),
  ts_ms BIGINT NOT NULL,
  kind TEXT COLLATE "C" NOT NULL CHECK (kind <> ''),
  payload JSONB NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  idempotency_key TEXT COLLATE "C",
  CONSTRAINT events_run_id_seq_key UNIQUE (run_id, seq)
);

CREATE UNIQUE INDEX events_by_idempotency_key ON events (run_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE runs (
  run_id TEXT COLLATE "C" PRIMARY KEY,
  session_id TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('created', 'planning', 'executing', 'verifying', 'interrupted', 'completed', 'failed', 'cancelled')),
  prompt TEXT COLLATE "C" NOT NULL,
  inputs JSONB,
  outputs JSONB,
  metadata JSONB,
  result_text TEXT COLLATE "C",
  error TEXT COLLATE "C",
  status_reason TEXT COLLATE "C",
  checkpoint_id TEXT COLLATE "C",
  checkpoint JSONB,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  finished_at_ms BIGINT,
  first_position BIGINT NOT NULL,
  event_count BIGINT NOT NULL,
  last_seq BIGINT NOT NULL,
  last_position BIGINT NOT NULL
);

CREATE UNIQUE INDEX runs_by_creation ON runs (first_position);
CREATE INDEX runs_by_session ON runs (session_id, first_position);
CREATE INDEX runs_by_status ON runs (status, first_position);
