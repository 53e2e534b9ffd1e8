-- Guichet platform database, version 3 (PostgreSQL; SQLite: sqlite-0003.sql, which says why).
ALTER TABLE entries DROP CONSTRAINT entries_state_check;
ALTER TABLE entries ADD CONSTRAINT entries_state_check
    CHECK (state IN ('accepted', 'conflict', 'unknown', 'cancelled', 'rejected', 'held'));
ALTER TABLE entries ADD COLUMN code TEXT;
ALTER TABLE entries ADD COLUMN verdict TEXT;
UPDATE entries SET verdict = CASE state WHEN 'unknown' THEN 'unknown' ELSE 'ok' END;
ALTER TABLE entries ALTER COLUMN verdict SET NOT NULL;
ALTER TABLE entries ADD CONSTRAINT entries_verdict_check
    CHECK (verdict IN ('ok', 'rejected', 'held', 'unknown'));
ALTER TABLE entries ADD COLUMN cause TEXT;
ALTER TABLE entries ADD COLUMN received_us BIGINT;
UPDATE entries SET received_us =
    CAST(EXTRACT(EPOCH FROM CAST(received_at AS TIMESTAMPTZ)) * 1000000 AS BIGINT);
ALTER TABLE entries ALTER COLUMN received_us SET NOT NULL;
ALTER TABLE entries ADD COLUMN decision TEXT CHECK (decision IN ('accept', 'reject'));
ALTER TABLE entries ADD COLUMN decided_by TEXT;
ALTER TABLE entries ADD COLUMN decided_at TEXT;
ALTER TABLE entries ADD COLUMN decision_reason TEXT;
CREATE INDEX entries_to_review ON entries (state) WHERE state IN ('held', 'conflict');

ALTER TABLE issuer_keys ADD COLUMN compromised_at TEXT;
UPDATE issuer_keys SET compromised_at = created_at WHERE status = 'compromised';

ALTER TABLE devices ADD COLUMN last_occurred_us BIGINT;
UPDATE devices SET last_occurred_us =
    (SELECT MAX(occurred_us) FROM entries WHERE entries.device = devices.id);

CREATE TABLE device_bundles (
    device   TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    since_us BIGINT NOT NULL,
    PRIMARY KEY (device, sequence)
);
