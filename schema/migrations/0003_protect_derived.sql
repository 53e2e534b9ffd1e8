-- Guichet kiosk ledger, version 3. Applied by guichet-ledger on open, after 0002.
-- Format and rules: schema/ledger.md. No row changes: triggers only.

-- active_coupons is the double-use guard: deleting a row by hand would make a coupon
-- redeemable again. A row is never changed, and it goes only once its redemption is
-- cancelled in the chain (the ledger's cancellation appends the cancellation entry, then
-- removes the row, in one transaction). Pruning keeps the rows.
CREATE TRIGGER active_coupons_no_update BEFORE UPDATE ON active_coupons
BEGIN
    SELECT RAISE(ABORT, 'active_coupons rows are never changed');
END;

CREATE TRIGGER active_coupons_delete_only_when_cancelled BEFORE DELETE ON active_coupons
WHEN NOT EXISTS (SELECT 1 FROM entries WHERE kind = 'cancellation' AND cancels = OLD.redemption_id)
BEGIN
    SELECT RAISE(ABORT, 'an active coupon goes only with a cancellation of its redemption');
END;

-- The outbox changes state, but each row stays tied to its entry, and rows go only with
-- their entries, inside a retention transaction (prune_gate open).
CREATE TRIGGER outbox_entry_fixed BEFORE UPDATE OF entry_id ON outbox
BEGIN
    SELECT RAISE(ABORT, 'an outbox row belongs to its entry');
END;

CREATE TRIGGER outbox_delete_only_when_pruning BEFORE DELETE ON outbox
WHEN NOT EXISTS (SELECT 1 FROM prune_gate)
BEGIN
    SELECT RAISE(ABORT, 'outbox rows go only with their entries (retention)');
END;
