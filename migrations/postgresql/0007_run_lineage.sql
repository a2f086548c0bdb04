-- 0007_run_lineage (PostgreSQL): where a forked run came from; the meaning
-- of migrations/0007_run_lineage.sql.
-- Forward-only: once landed this file is never edited; changes are new files.

ALTER TABLE runs ADD COLUMN forked_from_run TEXT COLLATE "C";
ALTER TABLE runs ADD COLUMN forked_from_seq BIGINT;
