-- Guichet kiosk ledger, version 2. Applied by guichet-ledger on open, after 0001.
-- Format and rules: schema/ledger.md.

-- The full code the kiosk read (the PN1 text, trimmed): the proof that it held the coupon,
-- inside the hash chain (an entry with a code is hashed in format v2). NULL for the entries
-- recorded before this version and for cancellations. ADD COLUMN fires no UPDATE trigger
-- and leaves every existing row (and so every hash) as it was.
ALTER TABLE entries ADD COLUMN code TEXT
    CHECK (code IS NULL OR (kind = 'redemption' AND length(CAST(code AS BLOB)) <= 200));

-- Two more sync states, 'rejected' and 'held' (the platform's cause, as JSON, in detail).
-- SQLite cannot change a CHECK constraint: the table is rebuilt, keeping its rows.
CREATE TABLE outbox_v2 (
    entry_id   TEXT    PRIMARY KEY REFERENCES entries (id),
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'accepted', 'conflict',
                                                 'unknown', 'cancelled', 'rejected', 'held')),
    detail     TEXT,                            -- the platform's explanation, JSON: the
                                                -- conflict's details, or the cause of a
                                                -- rejected or held redemption
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO outbox_v2 (entry_id, state, detail, attempts, updated_at)
    SELECT entry_id, state, detail, attempts, updated_at FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_by_state ON outbox (state);
