-- Guichet platform database, version 8 (PostgreSQL; SQLite: sqlite-0008.sql).
-- Issue 25, point 4: each center's signed monthly statement (schema/statement.md), made when a
-- month is closed. See sqlite-0008.sql for the columns.
CREATE TABLE statements (
    center    TEXT NOT NULL REFERENCES centers (id),
    month     TEXT NOT NULL,
    sequence  BIGINT NOT NULL CHECK (sequence >= 1),
    replaces  BIGINT CHECK (replaces >= 1 AND replaces < sequence),
    issued_at TEXT NOT NULL,
    file      TEXT NOT NULL,
    PRIMARY KEY (center, month, sequence)
);
CREATE FUNCTION statements_never_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a statement never changes: issue a correction';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER statements_no_change BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statements_never_change();
