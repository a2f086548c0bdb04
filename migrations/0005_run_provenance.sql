-- 0005_run_provenance: what a run was made from and what it ended with, as
-- hosts record them (an agent spec's digest and the git commit at
-- run_created, the final state's digest at run_completed).
-- Forward-only: once landed this file is never edited; changes are new files.

ALTER TABLE runs ADD COLUMN agent_spec_digest TEXT;
ALTER TABLE runs ADD COLUMN git_sha TEXT;
ALTER TABLE runs ADD COLUMN final_state_digest TEXT;
