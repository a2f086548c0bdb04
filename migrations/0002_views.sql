-- 0002_views: read-only views that make the common questions one-liners.
-- Forward-only: once landed this file is never edited; changes are new files.
-- Times are shown as ISO-8601 UTC with milliseconds; views compute them at
-- query time and store nothing.

CREATE VIEW runs_readable AS
SELECT
  run_id,
  session_id,
  status,
  prompt,
  strftime('%Y-%m-%dT%H:%M:%S', created_at_ms / 1000, 'unixepoch') || printf('.%03dZ', created_at_ms % 1000) AS created_at,
  strftime('%Y-%m-%dT%H:%M:%S', updated_at_ms / 1000, 'unixepoch') || printf('.%03dZ', updated_at_ms % 1000) AS updated_at,
  CASE WHEN finished_at_ms IS NULL THEN NULL
       ELSE strftime('%Y-%m-%dT%H:%M:%S', finished_at_ms / 1000, 'unixepoch') || printf('.%03dZ', finished_at_ms % 1000) END AS finished_at,
  CASE WHEN finished_at_ms IS NULL THEN NULL ELSE round((finished_at_ms - created_at_ms) / 1000.0, 3) END AS duration_s,
  event_count,
  result_text,
  error,
  first_position,
  last_position
FROM runs;

CREATE VIEW events_timeline AS
SELECT
  position,
  run_id,
  seq,
  strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch') || printf('.%03dZ', ts_ms % 1000) AS time,
  kind,
  payload,
  idempotency_key
FROM events;

CREATE VIEW runs_stuck AS
SELECT
  run_id,
  session_id,
  status,
  prompt,
  strftime('%Y-%m-%dT%H:%M:%S', updated_at_ms / 1000, 'unixepoch') || printf('.%03dZ', updated_at_ms % 1000) AS last_event_at,
  (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - updated_at_ms) / 1000 AS quiet_s,
  event_count,
  last_position
FROM runs
WHERE status IN ('created', 'planning', 'executing', 'verifying', 'interrupted')
  AND updated_at_ms < CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 600000;
