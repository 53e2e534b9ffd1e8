-- Guichet platform database, version 10 (SQLite; PostgreSQL: postgres-0010.sql).
-- Issue 24: the console's pages over a million redemptions (crates/guichet-platform/benches/
-- console.rs). The dashboard's count of a month, the report's payable lines and its lists of
-- redemptions set apart all ask for one state in a range of report days: this index answers
-- them by state first, and holds what the payable lines sum, so they never read the table.
CREATE INDEX entries_by_state_day
    ON entries (state, report_day, kind, center, paid_provider, paid_cents);
