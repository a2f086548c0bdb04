-- 0005_run_provenance (PostgreSQL): what a run was made from and what it
-- ended with, as hosts record them; the meaning of
-- migrations/0005_run_provenance.sql.
-- Forward-only: once landed this file is never edited; changes are new files.

ALTER TABLE runs ADD COLUMN agent_spec_digest TEXT COLLATE "C";
ALTER TABLE runs ADD COLUMN git_sha TEXT COLLATE "C";
ALTER TABLE runs ADD COLUMN final_state_digest TEXT COLLATE "C";
