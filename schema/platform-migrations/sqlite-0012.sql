-- Guichet platform database, version 12 (SQLite; PostgreSQL: postgres-0012.sql).
-- Issue 25, point 3: what a center declares of itself.
--
-- center_profiles: its qualification data (legal name, SIRET, the IBAN it is paid on,
-- address), seen only by its members and the operator; and the operator's qualification
-- (qualified_at, unix seconds, and the account that checked). The public finder lists only
-- qualified centers; a change of legal name, SIRET or IBAN clears the qualification. The
-- values are checked by the console before they are stored (SIRET's Luhn sum, IBAN's
-- ISO 13616 sum); the CHECKs here only keep their shape.
CREATE TABLE center_profiles (
    center       TEXT PRIMARY KEY REFERENCES centers (id),
    legal_name   TEXT NOT NULL,
    siret        TEXT NOT NULL CHECK (length(siret) = 14),
    iban         TEXT NOT NULL CHECK (length(iban) BETWEEN 15 AND 34),
    address      TEXT NOT NULL,
    postcode     TEXT NOT NULL CHECK (length(postcode) = 5),
    town         TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    qualified_at INTEGER,
    qualified_by TEXT,
    CHECK ((qualified_at IS NULL) = (qualified_by IS NULL))
);
CREATE INDEX center_profiles_by_postcode ON center_profiles (postcode);
-- center_workshops: the workshops a center declares (an area of the referential, optionally
-- one of its services, at most two hours: what one coupon pays for). Retired ones are kept,
-- with the moment they were retired, for the audit log's references.
CREATE TABLE center_workshops (
    id         INTEGER PRIMARY KEY,
    center     TEXT NOT NULL REFERENCES centers (id),
    name       TEXT NOT NULL,
    area       TEXT NOT NULL,
    service    TEXT,
    minutes    INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 120),
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
CREATE INDEX center_workshops_by_center ON center_workshops (center);
