-- Guichet platform database, version 9 (SQLite; PostgreSQL: postgres-0009.sql).
-- Issue 23, point 6: the freshness statements the platform issued (schema/trust-bundle.md,
-- "Freshness statements"), signed online by its sync key.
--
-- freshness_statements: one row per statement, `sequence` 1, 2, 3… in the order issued (a
--   second instance issuing at the same moment loses the insert and serves the winner's);
--   bundle_sequence: the latest bundle it is about; issued_at_us: microseconds since the Unix
--   epoch (UTC); file: the signed statement exactly as served (JSON text). Never changed (the
--   triggers refuse UPDATE and DELETE): what was said to kiosks, and when, is evidence of what
--   they could know when the platform pays.
CREATE TABLE freshness_statements (
    sequence        INTEGER PRIMARY KEY CHECK (sequence >= 1),
    bundle_sequence INTEGER NOT NULL,
    issued_at_us    INTEGER NOT NULL,
    file            TEXT NOT NULL
);
CREATE TRIGGER freshness_statements_no_update BEFORE UPDATE ON freshness_statements
BEGIN
    SELECT RAISE(ABORT, 'a freshness statement never changes');
END;
CREATE TRIGGER freshness_statements_no_delete BEFORE DELETE ON freshness_statements
BEGIN
    SELECT RAISE(ABORT, 'a freshness statement never changes');
END;

-- device_freshness: when a device first received each statement (the first time only), as
--   device_bundles for bundles: a center is held to a restriction said online from the moment
--   one of its kiosks received a statement saying it.
CREATE TABLE device_freshness (
    device    TEXT NOT NULL REFERENCES devices (id),
    statement INTEGER NOT NULL REFERENCES freshness_statements (sequence),
    since_us  INTEGER NOT NULL,
    PRIMARY KEY (device, statement)
);
