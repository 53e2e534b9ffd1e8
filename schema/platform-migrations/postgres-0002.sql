-- Guichet platform database, version 2 (PostgreSQL; SQLite: sqlite-0002.sql).
-- State versions are counted per device: a kiosk's cursor (GET /v1/redemptions/states) only
-- ever covers its own entries, and pushes of different kiosks no longer share one counter, so
-- they no longer wait for each other. Each device starts at the old platform-wide counter, so
-- every cursor a kiosk holds stays valid.
ALTER TABLE devices ADD COLUMN state_version BIGINT NOT NULL DEFAULT 0;
UPDATE devices SET state_version = (SELECT value FROM counters WHERE name = 'state_version');
DELETE FROM counters WHERE name = 'state_version';
