-- Guichet platform database, version 5 (PostgreSQL; SQLite: sqlite-0005.sql, which says why).
ALTER TABLE entries ADD COLUMN paid_cents BIGINT;
ALTER TABLE entries ADD COLUMN paid_provider BIGINT;
ALTER TABLE entries ADD COLUMN report_day TEXT;
ALTER TABLE entries ADD COLUMN received_order BIGINT;
ALTER TABLE entries ADD COLUMN transferred_from TEXT;
ALTER TABLE entries ADD COLUMN promoted_by TEXT;
UPDATE entries SET paid_cents = value_cents, paid_provider = provider WHERE verdict = 'ok';
UPDATE entries SET report_day = local_day, received_order = received_us;
DROP INDEX entries_by_day;
CREATE INDEX entries_by_report_day ON entries (report_day);
-- A sequence: concurrent pushes of other coupons never wait for each other on it; pushes of
-- one coupon take it in the order of their coupon lock.
CREATE SEQUENCE entry_order;
SELECT setval('entry_order', COALESCE((SELECT MAX(received_order) FROM entries), 0) + 1, false);
CREATE TABLE closed_months (
    month     TEXT PRIMARY KEY,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    report    TEXT NOT NULL
);
