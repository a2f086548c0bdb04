-- 0003_drivers (PostgreSQL): which process drives each run, and the
-- heartbeat leases of the hosts that write the journal (docs/recovery.md);
-- the meaning of migrations/0003_drivers.sql.
-- Forward-only: once landed this file is never edited; changes are new files.

ALTER TABLE runs ADD COLUMN driver_host TEXT COLLATE "C";
ALTER TABLE runs ADD COLUMN driver_pid BIGINT;
ALTER TABLE runs ADD COLUMN driver_start_time BIGINT;
ALTER TABLE runs ADD COLUMN driver_boot_id TEXT COLLATE "C";

CREATE TABLE driver_leases (
  host TEXT COLLATE "C" NOT NULL,
  boot_id TEXT COLLATE "C" NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (host, boot_id)
);
