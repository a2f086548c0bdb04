-- 0004_meta_versions (PostgreSQL): a compatible version beside the schema
-- version, and the runjournal that last migrated the journal; the meaning of
-- migrations/0004_meta_versions.sql (docs/format.md, "Identity and
-- versions"). The schema version itself is max(journal_migrations.version).
-- Forward-only: once landed this file is never edited; changes are new files.

ALTER TABLE journal_meta ADD COLUMN compatible_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE journal_meta ADD COLUMN library_version TEXT COLLATE "C" NOT NULL DEFAULT '';
