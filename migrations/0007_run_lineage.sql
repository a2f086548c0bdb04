-- 0007_run_lineage: where a forked run came from (Journal::fork, `runjournal
-- fork`): the source run and the seq up to which its events were copied,
-- from the fork's run_created payload. NULL for a run that is no fork.
-- Forward-only: once landed this file is never edited; changes are new files.

ALTER TABLE runs ADD COLUMN forked_from_run TEXT;
ALTER TABLE runs ADD COLUMN forked_from_seq INTEGER;
