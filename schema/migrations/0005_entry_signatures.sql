-- Guichet kiosk ledger, version 5. Applied by guichet-ledger on open, after 0004.
-- Format and rules: schema/ledger.md ("Schema 5: entry signatures"). No row changes.

-- The device's Ed25519 signature of each entry as the sync protocol carries it
-- (guichet_protocol::entry_signature), made inside the transaction that records the entry.
-- NULL for entries recorded before this version, or by a ledger given no signer.
ALTER TABLE entries ADD COLUMN signature BLOB CHECK (signature IS NULL OR length(signature) = 64);
