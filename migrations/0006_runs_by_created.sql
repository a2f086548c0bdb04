-- 0006_runs_by_created: runs by creation time, for the created-time window
-- of runs() (RunFilter::created_since_ms / created_until_ms).
-- Forward-only: once landed this file is never edited; changes are new files.
--
-- Creation order (first_position) and creation time usually agree, but not
-- always (imported runs keep their times; a clock can step back), so a
-- window cannot be turned into a position range without looking. This index
-- is where runs() looks: it counts a window's runs, finds its first and last
-- positions, and reads a small window in full (src/run_store.cpp). Only an
-- index: the compatible version stays, and a runjournal that predates it
-- reads the file as before.

CREATE INDEX runs_by_created ON runs (created_at_ms, first_position);
