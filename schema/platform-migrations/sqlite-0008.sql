-- Guichet platform database, version 8 (SQLite; PostgreSQL: postgres-0008.sql).
-- Issue 25, point 4: each center's signed monthly statement (schema/statement.md), made when a
-- month is closed.
--
-- statements: one row per center, month (YYYY-MM) and sequence (1, then corrections 2, 3…);
--   replaces: the sequence it corrects (NULL for 1); issued_at RFC 3339 UTC; file: the signed
--   statement file exactly as issued (JSON text), never changed afterwards (the triggers refuse
--   UPDATE and DELETE).
CREATE TABLE statements (
    center    TEXT NOT NULL REFERENCES centers (id),
    month     TEXT NOT NULL,
    sequence  INTEGER NOT NULL CHECK (sequence >= 1),
    replaces  INTEGER CHECK (replaces >= 1 AND replaces < sequence),
    issued_at TEXT NOT NULL,
    file      TEXT NOT NULL,
    PRIMARY KEY (center, month, sequence)
);
CREATE TRIGGER statements_no_update BEFORE UPDATE ON statements
BEGIN
    SELECT RAISE(ABORT, 'a statement never changes: issue a correction');
END;
CREATE TRIGGER statements_no_delete BEFORE DELETE ON statements
BEGIN
    SELECT RAISE(ABORT, 'a statement never changes: issue a correction');
END;
