-- Guichet platform database, version 1, SQLite flavour (PostgreSQL: postgres-0001.sql, same
-- tables and columns). Applied by `guichet-platform migrate` (sqlx, tracked in _sqlx_migrations).
-- Integers are 64-bit; serials above 2^63 - 1 are stored as their two's-complement bits.

-- Monotonic counters: 'state_version' (entry state changes), 'booklet' (booklet numbers).
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('state_version', 0), ('booklet', 0);

-- Small documents: 'rules' and 'referential' (JSON).
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE providers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE zones (id INTEGER PRIMARY KEY CHECK (id > 0), name TEXT NOT NULL);
CREATE TABLE centers (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    zone INTEGER NOT NULL
);

-- Issuer keys: the platform keeps their private halves (secret_key, 64 hex digits).
CREATE TABLE issuer_keys (
    kid         TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    secret_key  TEXT NOT NULL,
    provider    INTEGER NOT NULL REFERENCES providers (id),
    status      TEXT NOT NULL CHECK (status IN ('active', 'retired', 'compromised')),
    created_at  TEXT NOT NULL,
    next_serial INTEGER NOT NULL
);

-- Minted booklets: coupons first_serial .. first_serial + coupons - 1 of key kid.
CREATE TABLE booklets (
    number       INTEGER PRIMARY KEY,
    kid          TEXT NOT NULL REFERENCES issuer_keys (kid),
    first_serial INTEGER NOT NULL,
    coupons      INTEGER NOT NULL CHECK (coupons IN (5, 10)),
    value_cents  INTEGER NOT NULL,
    issued_on    TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    provider     INTEGER NOT NULL,
    scope        INTEGER NOT NULL,
    zone         INTEGER NOT NULL,
    minted_at    TEXT NOT NULL
);
CREATE INDEX booklets_by_serial ON booklets (kid, first_serial);

CREATE TABLE revocations (
    id           INTEGER PRIMARY KEY,
    kid          TEXT NOT NULL,
    first_serial INTEGER NOT NULL,
    last_serial  INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- Published trust bundles, the file exactly as served.
CREATE TABLE bundles (
    sequence     INTEGER PRIMARY KEY,
    file         TEXT NOT NULL,
    published_at TEXT NOT NULL
);

-- One-time enrollment codes, stored as SHA-256 of the normalised code.
CREATE TABLE enroll_codes (
    code_hash  TEXT PRIMARY KEY,
    center     TEXT NOT NULL REFERENCES centers (id),
    expires_at INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT,
    device     TEXT
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL UNIQUE,
    center      TEXT NOT NULL REFERENCES centers (id),
    label       TEXT,
    enrolled_at TEXT NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0,
    chain_head  TEXT NOT NULL,
    entry_count INTEGER NOT NULL DEFAULT 0
);

-- Nonces seen per device (unix seconds); pruned after the replay window.
CREATE TABLE nonces (
    device  TEXT NOT NULL,
    nonce   TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (device, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_by_time ON nonces (seen_at);

-- Every ledger entry received, once. state/conflict/version change; the rest never does.
CREATE TABLE entries (
    id           TEXT PRIMARY KEY,
    device       TEXT NOT NULL,
    center       TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('redemption', 'cancellation')),
    occurred_at  TEXT NOT NULL,
    occurred_us  INTEGER NOT NULL,
    local_day    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    checkout_id  TEXT,
    kid          TEXT,
    serial       INTEGER,
    value_cents  INTEGER,
    provider     INTEGER,
    area         TEXT,
    service      TEXT,
    input_method TEXT,
    cancels      TEXT,
    actor_role   TEXT,
    reason       TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('accepted', 'conflict', 'unknown', 'cancelled')),
    conflict     TEXT,
    version      INTEGER NOT NULL
);
CREATE INDEX entries_by_coupon ON entries (kid, serial) WHERE kind = 'redemption';
CREATE INDEX entries_by_device_version ON entries (device, version);
CREATE INDEX entries_by_day ON entries (local_day);
CREATE INDEX entries_by_cancels ON entries (cancels) WHERE cancels IS NOT NULL;
