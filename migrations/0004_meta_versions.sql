-- 0004_meta_versions: a compatible version beside the schema version, and
-- the runjournal that last migrated the file (docs/format.md, "Identity and
-- versions"; Chromium's sql::MetaTable habit).
-- Forward-only: once landed this file is never edited; changes are new files.
--
-- compatible_version is the oldest schema version whose runjournal may still
-- read this file: a migration that only adds (columns, tables, views) leaves
-- it alone, so an older runjournal reads a newer journal read-only; one that
-- changes what older readers rely on raises it. No runjournal writes a file
-- whose schema version is newer than its own.

ALTER TABLE journal_meta ADD COLUMN compatible_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE journal_meta ADD COLUMN library_version TEXT NOT NULL DEFAULT '';
