-- Guichet platform database, version 4 (SQLite; PostgreSQL: postgres-0004.sql).
-- Entries keep the device's signature of their content, made by the kiosk when it recorded
-- them (guichet_protocol::entry_signature; schema/sync-api.md, "Entry signatures"), checked
-- against the device key at push. NULL for entries pushed unsigned (kiosks before ledger
-- schema 5). No row changes.
ALTER TABLE entries ADD COLUMN device_signature TEXT;
