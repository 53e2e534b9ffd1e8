-- Guichet platform database, version 11 (PostgreSQL; SQLite: sqlite-0011.sql).
-- Issue 25: center accounts. A console account of role 'center' belongs to one center
-- (console_accounts.center) and sees that center only; every other role has no center.
ALTER TABLE console_accounts
    DROP CONSTRAINT console_accounts_role_check,
    ADD CONSTRAINT console_accounts_role_check
        CHECK (role IN ('admin', 'reviewer', 'auditor', 'center')),
    ADD COLUMN center TEXT REFERENCES centers (id),
    ADD CONSTRAINT console_accounts_center_check CHECK ((role = 'center') = (center IS NOT NULL));
-- A center's redemptions of a month, as its members' page lists them.
CREATE INDEX entries_by_center_day ON entries (center, report_day);
