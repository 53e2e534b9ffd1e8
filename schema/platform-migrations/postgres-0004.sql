-- Guichet platform database, version 4 (PostgreSQL; SQLite: sqlite-0004.sql, which says why).
ALTER TABLE entries ADD COLUMN device_signature TEXT;
