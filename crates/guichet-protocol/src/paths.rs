//! Endpoints, headers and limits of the sync API.

/// `GET` (unsigned): the root keys and the current bundle, checked by a kiosk before it enrolls.
pub const ENROLL_BUNDLE: &str = "/v1/enroll/bundle";
/// `POST`: a kiosk enrolls with a one-time code sealed to the platform's sync key (a request
/// not signed by a device; the answer is signed by the sync key).
pub const ENROLL: &str = "/v1/enroll";
/// `GET ?have=SEQ`: the current trust bundle, or 304 when the kiosk has it.
pub const BUNDLE: &str = "/v1/bundle";
/// `POST`: a batch of ledger entries (redemptions and cancellations).
pub const REDEMPTIONS: &str = "/v1/redemptions";
/// `GET ?since=CURSOR`: state changes of this device's entries.
pub const REDEMPTION_STATES: &str = "/v1/redemptions/states";
/// `GET`: the platform's current freshness statement (`schema/trust-bundle.md`, "Freshness
/// statements"): signed by its sync key, about the latest bundle; 404 `NO_BUNDLE` before a
/// bundle listing a sync key is published.
pub const FRESHNESS: &str = "/v1/freshness";
/// `GET`: what the platform knows about the calling device (chain head, counts).
pub const DEVICE: &str = "/v1/device";

/// The largest request body the platform reads (4 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The most entries one push may carry; more get 413 `BATCH_TOO_LARGE`.
pub const MAX_BATCH_ENTRIES: usize = 2000;
/// The most state changes one `REDEMPTION_STATES` answer carries.
pub const MAX_STATES_PER_PAGE: usize = 1000;

/// Response header of `BUNDLE`: the sequence of the bundle in the body.
pub const HEADER_BUNDLE_SEQUENCE: &str = "guichet-bundle-sequence";
