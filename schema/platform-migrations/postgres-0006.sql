-- Guichet platform database, version 6 (PostgreSQL; SQLite: sqlite-0006.sql).
-- Issue 24, "device list has no last-seen time".
--
-- devices.last_seen_at: unix seconds of the device's latest signed request the platform had
--   when it last pruned nonces (NULL: none yet). A device's last seen is the later of this and
--   its newest kept nonce: no request writes more than its nonce.
ALTER TABLE devices ADD COLUMN last_seen_at BIGINT;
