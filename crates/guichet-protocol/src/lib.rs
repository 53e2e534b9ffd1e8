//! Sync protocol between kiosk and platform: wire types and request signing (pure).
