-- Guichet platform database, version 5 (SQLite; PostgreSQL: postgres-0005.sql).
-- Issue 22, "a decision never creates value; one holder, one answer, ever".
--
-- entries.paid_cents, paid_provider: what the platform pays for a redemption, from the minted
--   booklet's record of its serial (equal to the verified code's, when there is one); NULL
--   when no booklet holds the serial: such a redemption can never be accepted. Reports sum
--   these, never the kiosk's value_cents / provider copies.
-- entries.report_day: the Europe/Paris day whose month pays the redemption, chosen by the
--   platform: the day of occurred_at for one proven at its push (within the bounds the
--   platform checks), the day of the admin's decision for one an admin accepted; never in a
--   closed month (the first open day instead).
-- entries.received_order: the order in which the database received redemptions (a counter
--   taken inside the push's transaction, after its coupon locks): "first received" is
--   decided by the database, not by each platform process's clock.
-- entries.transferred_from, promoted_by: who a coupon was taken from by an admin's transfer,
--   and the cancellation that promoted a redemption to holder.
-- closed_months: a month whose report is final: its reimbursements as they were at closing
--   (JSON), and nothing is reported in it any more.
ALTER TABLE entries ADD COLUMN paid_cents INTEGER;
ALTER TABLE entries ADD COLUMN paid_provider INTEGER;
ALTER TABLE entries ADD COLUMN report_day TEXT;
ALTER TABLE entries ADD COLUMN received_order INTEGER;
ALTER TABLE entries ADD COLUMN transferred_from TEXT;
ALTER TABLE entries ADD COLUMN promoted_by TEXT;
UPDATE entries SET paid_cents = value_cents, paid_provider = provider WHERE verdict = 'ok';
UPDATE entries SET report_day = local_day, received_order = received_us;
DROP INDEX entries_by_day;
CREATE INDEX entries_by_report_day ON entries (report_day);
-- The counter of received_order (one writer: no contention on its row).
CREATE TABLE entry_order (value INTEGER NOT NULL);
INSERT INTO entry_order (value) SELECT COALESCE(MAX(received_order), 0) FROM entries;
CREATE TABLE closed_months (
    month     TEXT PRIMARY KEY,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    report    TEXT NOT NULL
);
