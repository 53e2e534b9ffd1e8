//! The status bar: sync state, bundle age, clock, camera. Always visible.

use guichet_core::TrustBundle;
use guichet_ledger::ClockStatus;
use guichet_sync::{Connection, SyncProblem, SyncStatus};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::kiosk::Kiosk;

/// How current the trust bundle is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleState {
    /// No bundle yet.
    None,
    /// Known current (issued, or confirmed by a freshness statement) within the rules'
    /// `max_staleness_days`.
    Fresh,
    /// Older than that: the kiosk should sync (amber).
    Stale,
    /// Past its `expires_at` (red).
    Expired,
}

/// How current a bundle is as of `now`, and in whole days since it was last known current
/// (`TrustBundle::fresh_as_of`: issued, or confirmed by the platform's latest freshness
/// statement): expired past its `expires_at` (the root's), stale past the rules'
/// `max_staleness_days`.
pub fn freshness(bundle: &TrustBundle, now: Timestamp) -> (BundleState, i64) {
    let document = bundle.document();
    let age = now.duration_since(bundle.fresh_as_of());
    let stale_after = SignedDuration::from_hours(24 * i64::from(document.rules.max_staleness_days));
    let state = if now >= document.expires_at {
        BundleState::Expired
    } else if age > stale_after {
        BundleState::Stale
    } else {
        BundleState::Fresh
    };
    (state, age.as_hours().max(0) / 24)
}

/// The bundle part of the status bar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BundleStatus {
    /// Fresh, stale, expired.
    pub state: BundleState,
    /// Its sequence.
    pub sequence: Option<u64>,
    /// When it was issued.
    pub issued_at: Option<Timestamp>,
    /// Whole days since it was last known current (issued, or confirmed by a freshness
    /// statement).
    pub age_days: Option<i64>,
    /// The `bundle.json` found unusable at start and moved aside (file name), while no good
    /// bundle replaced it.
    pub set_aside: Option<String>,
    /// Why it was unusable: `MALFORMED`, `WRONG_SIGNER`, `BAD_SIGNATURE` or `NOT_NEWER`.
    pub set_aside_code: Option<&'static str>,
}

/// The clock part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClockView {
    /// `ok` or `behind`.
    pub state: &'static str,
    /// How far behind the latest trusted time, seconds (0 when ok).
    pub behind_seconds: i64,
}

/// The camera part.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CameraStatus {
    /// `off`, `running` or `problem`.
    pub state: &'static str,
    /// The source's name.
    pub name: String,
    /// The problem, in words.
    pub message: Option<String>,
}

impl CameraStatus {
    /// No camera.
    pub fn off() -> CameraStatus {
        CameraStatus {
            state: "off",
            name: String::new(),
            message: None,
        }
    }
}

/// The status bar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Online, offline…
    pub connection: Connection,
    /// Last successful sync.
    pub last_success: Option<Timestamp>,
    /// Last sync error, in the system's words (English): a detail for the English screens.
    pub last_error: Option<String>,
    /// Last sync error as a code the window translates (`ui/i18n`: `syncProblem.<code>`).
    pub sync_problem: Option<SyncProblem>,
    /// Entries still to deliver (read from the ledger now, not at the last sync).
    pub pending: u64,
    /// Entries in conflict.
    pub conflicts: u64,
    /// Redemptions the platform rejected.
    pub rejected: u64,
    /// Redemptions the platform holds for review.
    pub held: u64,
    /// Entries a person must look at (conflict, rejected, held): the day review shows why.
    pub attention: u64,
    /// The bundle.
    pub bundle: BundleStatus,
    /// The clock.
    pub clock: ClockView,
    /// The camera.
    pub camera: CameraStatus,
}

impl Kiosk {
    /// The status bar as of `now`.
    pub fn status(&self, sync: &SyncStatus, camera: &CameraStatus, now: Timestamp) -> Status {
        let counts = self.ledger.sync_counts().ok();
        let set_aside = self.enrolled.as_ref().and_then(|e| e.trust.set_aside());
        let bundle = match self.bundle() {
            None => BundleStatus {
                state: BundleState::None,
                sequence: None,
                issued_at: None,
                age_days: None,
                set_aside: set_aside.and_then(|s| {
                    s.kept_as
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                }),
                set_aside_code: set_aside.map(|s| s.code),
            },
            Some(bundle) => {
                let (state, age_days) = freshness(bundle, now);
                BundleStatus {
                    state,
                    sequence: Some(bundle.sequence()),
                    issued_at: Some(bundle.document().issued_at),
                    age_days: Some(age_days),
                    set_aside: None,
                    set_aside_code: None,
                }
            }
        };
        let clock = match self.ledger.clock_status(now) {
            Ok(ClockStatus::Behind { latest_trusted }) => ClockView {
                state: "behind",
                behind_seconds: latest_trusted.duration_since(now).as_secs(),
            },
            _ => ClockView {
                state: "ok",
                behind_seconds: 0,
            },
        };
        let connection = if self.enrolled.is_none() {
            Connection::NotEnrolled
        } else if sync.connection == Connection::NotEnrolled {
            // Enrolled a moment ago; the sync loop has not looked again yet.
            Connection::Syncing
        } else {
            sync.connection.clone()
        };
        // The loop's "not enrolled" is stale once the kiosk is.
        let (last_error, sync_problem) =
            if connection == Connection::Syncing && sync.connection == Connection::NotEnrolled {
                (None, None)
            } else {
                (sync.last_error.clone(), sync.problem)
            };
        Status {
            connection,
            last_success: sync.last_success,
            last_error,
            sync_problem,
            pending: counts.map_or(sync.pending, |c| c.to_deliver()),
            conflicts: counts.map_or(sync.conflicts, |c| c.conflict),
            rejected: counts.map_or(0, |c| c.rejected),
            held: counts.map_or(0, |c| c.held),
            attention: counts.map_or(sync.attention, |c| c.needing_attention()),
            bundle,
            clock,
            camera: camera.clone(),
        }
    }
}
