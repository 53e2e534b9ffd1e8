//! Kiosk ledger: every accepted coupon recorded durably, exactly once (SQLite).
