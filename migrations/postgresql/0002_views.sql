-- 0002_views (PostgreSQL): read-only views that make the common questions
-- one-liners; the meaning of migrations/0002_views.sql.
-- Forward-only: once landed this file is never edited; changes are new files.
-- Times are shown as ISO-8601 UTC with milliseconds; views compute them at
-- query time and store nothing. The times are exact: milliseconds are added
-- to the epoch as an interval (integer microseconds), with no floating point
-- and no time zone in between.

CREATE VIEW runs_readable AS
SELECT
  run_id,
  session_id,
  status,
  prompt,
  to_char(timestamp '1970-01-01' + created_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(timestamp '1970-01-01' + updated_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
  CASE WHEN finished_at_ms IS NULL THEN NULL
       ELSE to_char(timestamp '1970-01-01' + finished_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END AS finished_at,
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
  to_char(timestamp '1970-01-01' + ts_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time,
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
  to_char(timestamp '1970-01-01' + updated_at_ms * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_event_at,
  (floor(extract(epoch FROM now()) * 1000)::bigint - updated_at_ms) / 1000 AS quiet_s,
  event_count,
  last_position
FROM runs
WHERE status IN ('created', 'planning', 'executing', 'verifying', 'interrupted')
  AND updated_at_ms < floor(extract(epoch FROM now()) * 1000)::bigint - 600000;
