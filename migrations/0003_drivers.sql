-- 0003_drivers: which process drives each run, and the heartbeat leases of
-- the hosts that write the journal (docs/recovery.md).
-- Forward-only: once landed this file is never edited; changes are new files.

ALTER TABLE runs ADD COLUMN driver_host TEXT;
ALTER TABLE runs ADD COLUMN driver_pid INTEGER;
ALTER TABLE runs ADD COLUMN driver_start_time INTEGER;
ALTER TABLE runs ADD COLUMN driver_boot_id TEXT;

CREATE TABLE driver_leases (
  host TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  PRIMARY KEY (host, boot_id)
);
