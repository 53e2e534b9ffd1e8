-- Guichet platform database, version 11 (SQLite; PostgreSQL: postgres-0011.sql).
-- Issue 25: center accounts. A console account of role 'center' belongs to one center
-- (console_accounts.center) and sees that center only; every other role has no center.
--
-- SQLite cannot change a CHECK constraint in place: the table is made again with the same
-- rows. The sessions and recovery codes that reference it stay; the foreign keys are checked
-- when the migration commits (the rows inserted again satisfy them).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE console_accounts_0010 AS SELECT * FROM console_accounts;
DROP TABLE console_accounts;
CREATE TABLE console_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'auditor', 'center')),
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    center TEXT REFERENCES centers (id),
    CHECK ((role = 'center') = (center IS NOT NULL))
);
INSERT INTO console_accounts (id, name, role, password_hash, totp_secret, totp_last_step,
                              disabled, created_at)
    SELECT id, name, role, password_hash, totp_secret, totp_last_step, disabled, created_at
    FROM console_accounts_0010;
DROP TABLE console_accounts_0010;
-- A center's redemptions of a month, as its members' page lists them.
CREATE INDEX entries_by_center_day ON entries (center, report_day);
