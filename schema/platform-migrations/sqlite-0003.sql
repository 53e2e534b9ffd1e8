-- Guichet platform database, version 3 (SQLite; PostgreSQL: postgres-0003.sql).
-- Settlement from proof (schema/sync-api.md, "What the platform checks"):
-- * entries keep the code the kiosk read (`code`), what the platform's checks decided at
--   ingest (`verdict`: ok, rejected, held or unknown, with its `cause` as JSON), the instant
--   the platform received them (`received_us`, which orders "first received wins"), and an
--   admin's review (`decision` accept or reject, by whom, when, why);
-- * two new states: rejected and held;
-- * issuer keys remember when they were marked compromised; devices remember their last
--   entry's time; `device_bundles` records from when each device held each bundle sequence
--   (what a kiosk could know).
-- Entries stored before this version keep their state; their verdict is 'ok' (or 'unknown'),
-- their code NULL (see "Upgrade" in sync-api.md). SQLite cannot change a CHECK constraint,
-- so `entries` is rebuilt.
CREATE TABLE entries_v3 (
    id              TEXT PRIMARY KEY,
    device          TEXT NOT NULL,
    center          TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('redemption', 'cancellation')),
    occurred_at     TEXT NOT NULL,
    occurred_us     INTEGER NOT NULL,
    local_day       TEXT NOT NULL,
    actor           TEXT NOT NULL,
    checkout_id     TEXT,
    kid             TEXT,
    serial          INTEGER,
    value_cents     INTEGER,
    provider        INTEGER,
    area            TEXT,
    service         TEXT,
    input_method    TEXT,
    cancels         TEXT,
    actor_role      TEXT,
    reason          TEXT,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('accepted', 'conflict', 'unknown', 'cancelled', 'rejected', 'held')),
    conflict        TEXT,
    version         INTEGER NOT NULL,
    code            TEXT,
    verdict         TEXT NOT NULL CHECK (verdict IN ('ok', 'rejected', 'held', 'unknown')),
    cause           TEXT,
    received_us     INTEGER NOT NULL,
    decision        TEXT CHECK (decision IN ('accept', 'reject')),
    decided_by      TEXT,
    decided_at      TEXT,
    decision_reason TEXT
);
INSERT INTO entries_v3 (id, device, center, kind, occurred_at, occurred_us, local_day, actor,
    checkout_id, kid, serial, value_cents, provider, area, service, input_method, cancels,
    actor_role, reason, prev_hash, hash, received_at, state, conflict, version, verdict,
    received_us)
SELECT id, device, center, kind, occurred_at, occurred_us, local_day, actor, checkout_id, kid,
    serial, value_cents, provider, area, service, input_method, cancels, actor_role, reason,
    prev_hash, hash, received_at, state, conflict, version,
    CASE state WHEN 'unknown' THEN 'unknown' ELSE 'ok' END,
    CAST(ROUND((julianday(received_at) - 2440587.5) * 86400000000.0) AS INTEGER)
FROM entries;
DROP TABLE entries;
ALTER TABLE entries_v3 RENAME TO entries;
CREATE INDEX entries_by_coupon ON entries (kid, serial) WHERE kind = 'redemption';
CREATE INDEX entries_by_device_version ON entries (device, version);
CREATE INDEX entries_by_day ON entries (local_day);
CREATE INDEX entries_by_cancels ON entries (cancels) WHERE cancels IS NOT NULL;
CREATE INDEX entries_to_review ON entries (state) WHERE state IN ('held', 'conflict');

ALTER TABLE issuer_keys ADD COLUMN compromised_at TEXT;
UPDATE issuer_keys SET compromised_at = created_at WHERE status = 'compromised';

ALTER TABLE devices ADD COLUMN last_occurred_us INTEGER;
UPDATE devices SET last_occurred_us =
    (SELECT MAX(occurred_us) FROM entries WHERE entries.device = devices.id);

CREATE TABLE device_bundles (
    device   TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    since_us INTEGER NOT NULL,
    PRIMARY KEY (device, sequence)
) WITHOUT ROWID;
