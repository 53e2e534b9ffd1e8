-- Guichet kiosk ledger, version 1. Applied by guichet-ledger on open, tracked by
-- PRAGMA user_version. Format and rules: schema/ledger.md.

-- The permanent ledger: one row per event, append-only, chained by hash.
-- kind = 'redemption': a coupon accepted at the counter.
-- kind = 'cancellation': a compensating entry that cancels one redemption.
CREATE TABLE entries (
    seq          INTEGER PRIMARY KEY,           -- position in the hash chain: 1, 2, 3, ...
    id           TEXT    NOT NULL UNIQUE,       -- UUIDv7 made on the device
    kind         TEXT    NOT NULL CHECK (kind IN ('redemption', 'cancellation')),
    occurred_at  TEXT    NOT NULL,              -- UTC, RFC 3339 with milliseconds ("...Z")
    local_day    TEXT    NOT NULL,              -- YYYY-MM-DD in Europe/Paris
    center       TEXT    NOT NULL,
    device       TEXT    NOT NULL,
    actor        TEXT    NOT NULL,              -- the mediator (redemption) or who cancelled
    -- Redemptions only.
    checkout_id  TEXT,
    kid          TEXT,                          -- 16 lowercase hex digits
    serial       INTEGER,
    value_cents  INTEGER,
    provider     INTEGER,
    area         TEXT,                          -- referential area code, such as 1.2
    service      TEXT,                          -- referential service code
    input_method TEXT CHECK (input_method IN ('camera', 'scanner', 'pasted')),
    -- Cancellations only.
    cancels      TEXT,                          -- the id of the redemption it cancels
    actor_role   TEXT CHECK (actor_role IN ('mediator', 'manager')),
    reason       TEXT,
    -- The chain: hash = SHA-256(prev_hash || canonical bytes of the entry).
    prev_hash    BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash         BLOB    NOT NULL CHECK (length(hash) = 32),
    CHECK (kind <> 'redemption' OR (checkout_id IS NOT NULL AND kid IS NOT NULL
        AND serial IS NOT NULL AND value_cents IS NOT NULL AND provider IS NOT NULL
        AND area IS NOT NULL AND service IS NOT NULL AND input_method IS NOT NULL
        AND cancels IS NULL)),
    CHECK (kind <> 'cancellation' OR (cancels IS NOT NULL AND actor_role IS NOT NULL
        AND reason IS NOT NULL AND checkout_id IS NULL AND kid IS NULL))
) STRICT;

CREATE INDEX entries_by_day ON entries (local_day, kind);
CREATE UNIQUE INDEX entries_one_cancellation ON entries (cancels) WHERE cancels IS NOT NULL;
CREATE INDEX entries_by_coupon ON entries (kid, serial) WHERE kind = 'redemption';

-- A learner's checkout: one workshop paid with one or more coupons plus an amount paid
-- otherwise. Its coupons are the redemptions with this checkout_id. Append-only too.
CREATE TABLE checkouts (
    id                   TEXT    PRIMARY KEY,
    occurred_at          TEXT    NOT NULL,
    local_day            TEXT    NOT NULL,
    mediator             TEXT    NOT NULL,
    area                 TEXT    NOT NULL,
    service              TEXT    NOT NULL,
    coupon_count         INTEGER NOT NULL CHECK (coupon_count > 0),
    paid_otherwise_cents INTEGER NOT NULL CHECK (paid_otherwise_cents >= 0)
) STRICT;

CREATE INDEX checkouts_by_day ON checkouts (local_day);

-- Derived index that makes double use impossible: one row per coupon with an active
-- (not cancelled) redemption, written in the same transaction as the entries. It repeats
-- when, where and by whom, so that it still answers after the entry itself is pruned.
CREATE TABLE active_coupons (
    kid           TEXT    NOT NULL,
    serial        INTEGER NOT NULL,
    redemption_id TEXT    NOT NULL,
    occurred_at   TEXT    NOT NULL,
    center        TEXT    NOT NULL,
    mediator      TEXT    NOT NULL,
    PRIMARY KEY (kid, serial)
) STRICT, WITHOUT ROWID;

-- Sync state per entry, kept apart from the permanent ledger (rows change here).
CREATE TABLE outbox (
    entry_id   TEXT    PRIMARY KEY REFERENCES entries (id),
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'accepted', 'conflict', 'unknown', 'cancelled')),
    detail     TEXT,                            -- the platform's explanation (conflict)
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX outbox_by_state ON outbox (state);

-- Small facts about this ledger: the clock guard, the chain anchor after pruning.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Pruning (retention) opens this gate inside its own transaction; nothing else may delete.
CREATE TABLE prune_gate (open INTEGER NOT NULL) STRICT;

CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only: record a cancellation instead');
END;

CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
WHEN NOT EXISTS (SELECT 1 FROM prune_gate)
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only: record a cancellation instead');
END;

CREATE TRIGGER checkouts_append_only_update BEFORE UPDATE ON checkouts
BEGIN
    SELECT RAISE(ABORT, 'checkouts are append-only');
END;

CREATE TRIGGER checkouts_append_only_delete BEFORE DELETE ON checkouts
WHEN NOT EXISTS (SELECT 1 FROM prune_gate)
BEGIN
    SELECT RAISE(ABORT, 'checkouts are append-only');
END;
