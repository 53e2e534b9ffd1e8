-- Guichet kiosk ledger, version 4. Applied by guichet-ledger on open, after 0003.
-- Format and rules: schema/ledger.md ("PINs").

-- The PINs that open the manager's and the admin's screens. They live here, beside the
-- entries they protect, not only in kiosk.json: deleting the settings file brings back no
-- "first PIN" to claim. `phc` is an argon2id hash in the PHC string format, made and checked
-- by guichet-kiosk; the ledger never sees a PIN.
CREATE TABLE pins (
    role    TEXT NOT NULL PRIMARY KEY CHECK (role IN ('manager', 'admin')),
    phc     TEXT NOT NULL CHECK (phc LIKE '$argon2id$%'),
    set_at  TEXT NOT NULL,                      -- UTC, RFC 3339
    set_by  TEXT NOT NULL                       -- the admin who set it, or 'enrollment'
) STRICT;

-- Wrong PINs in a row, per role, so that the delays and the lockout survive a restart.
-- A right PIN for the role resets its row.
CREATE TABLE pin_failures (
    role        TEXT NOT NULL PRIMARY KEY CHECK (role IN ('manager', 'admin')),
    failures    INTEGER NOT NULL CHECK (failures > 0),
    last_failed TEXT NOT NULL                   -- UTC, RFC 3339
) STRICT;
