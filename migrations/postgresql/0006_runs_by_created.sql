-- 0006_runs_by_created (PostgreSQL): runs by creation time, for the
-- created-time window of runs(); the meaning of
-- migrations/0006_runs_by_created.sql.
-- Forward-only: once landed this file is never edited; changes are new files.

CREATE INDEX runs_by_created ON runs (created_at_ms, first_position);
