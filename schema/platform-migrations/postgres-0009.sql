-- Guichet platform database, version 9 (PostgreSQL; SQLite: sqlite-0009.sql).
-- Issue 23, point 6: the freshness statements the platform issued, signed online by its sync
-- key. See sqlite-0009.sql for the columns.
CREATE TABLE freshness_statements (
    sequence        BIGINT PRIMARY KEY CHECK (sequence >= 1),
    bundle_sequence BIGINT NOT NULL,
    issued_at_us    BIGINT NOT NULL,
    file            TEXT NOT NULL
);
CREATE FUNCTION freshness_statements_never_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a freshness statement never changes';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER freshness_statements_no_change BEFORE UPDATE OR DELETE ON freshness_statements
    FOR EACH ROW EXECUTE FUNCTION freshness_statements_never_change();
CREATE TABLE device_freshness (
    device    TEXT NOT NULL REFERENCES devices (id),
    statement BIGINT NOT NULL REFERENCES freshness_statements (sequence),
    since_us  BIGINT NOT NULL,
    PRIMARY KEY (device, statement)
);
