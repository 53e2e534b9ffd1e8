//! Central platform: HTTP server, storage, minting and trust bundle publishing.
