//! The kiosk: its files (identity, trust bundle, ledger, preferences) and the state of the
//! window session (basket, last checkout, unlocked role). Each screen adds its methods in its
//! own module; this one opens, reloads and describes.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use ed25519_dalek::VerifyingKey;
use guichet_core::TrustBundle;
use guichet_ledger::{Basket, Ledger, LedgerSettings};
use guichet_protocol::limits::{self, LimitError};
use guichet_scan::wedge::{WedgeConfig, WedgeDecoder};
use guichet_sync::{Identity, IdentityError, SyncStatus, TrustStore};
use jiff::Timestamp;
use serde::Serialize;

use crate::counter::{BasketView, LastCheckout, PendingScan};
use crate::pin::Role;
use crate::prefs::{Prefs, Settings, WorkshopChoice};
use crate::referential::ReferentialView;
use crate::status::{CameraStatus, Status};
use crate::text::{limit_problem, Problem};
use guichet_core::message::Lang;

/// The ledger file inside the data directory.
pub const LEDGER_FILE: &str = guichet_ledger::LEDGER_FILE;

/// The kiosk's enrollment as the window shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CenterView {
    /// Center id.
    pub id: String,
    /// Center name.
    pub name: String,
    /// Its zone.
    pub zone: u32,
}

/// Which PINs exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PinsSet {
    /// The manager's.
    pub manager: bool,
    /// The admin's.
    pub admin: bool,
}

/// A restricted role opened with its PIN, until it is locked or left idle too long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    /// The role opened.
    pub(crate) role: Role,
    /// The name the person gave with the PIN: cancellations and PIN changes record it.
    pub(crate) name: String,
    /// The last command that needed the role, on the monotonic clock: setting the wall
    /// clock does not stretch or shorten a session.
    pub(crate) last_active: Instant,
}

/// Everything the window needs to draw itself.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    /// Window language.
    pub lang: Lang,
    /// Whether the kiosk is enrolled.
    pub enrolled: bool,
    /// Its center.
    pub center: Option<CenterView>,
    /// Its device id.
    pub device_id: Option<String>,
    /// The fingerprint of the platform roots it pinned, for a person to compare with the one
    /// the admin gave.
    pub root_fingerprint: Option<String>,
    /// The mediator at the counter ("" when nobody typed a name).
    pub mediator: String,
    /// The workshop chosen.
    pub workshop: Option<WorkshopChoice>,
    /// Areas and services from the bundle in force.
    pub referential: Option<ReferentialView>,
    /// The learner's basket.
    pub basket: BasketView,
    /// The checkout that can still be undone.
    pub last_checkout: Option<LastCheckout>,
    /// The status bar.
    pub status: Status,
    /// The settings.
    pub settings: Settings,
    /// Which PINs are set.
    pub pins_set: PinsSet,
    /// The role unlocked in this session.
    pub unlocked: Option<Role>,
    /// Who unlocked it (the name typed with the PIN).
    pub unlocked_by: Option<String>,
    /// How the page collects the keyboard wedge's runs (the rule itself is the decoder's).
    pub wedge_runs: WedgeRuns,
    /// The platform enrollment proposes: `platform_url` of the configuration (kiosk.toml,
    /// `GUICHET_PLATFORM_URL`, `--platform-url`), if set.
    pub platform_url: Option<String>,
}

/// What the page needs to cut keys into runs for the wedge decoder: the longest pause inside a
/// run and the fewest characters worth sending. Whether a run is a scan is the decoder's
/// answer alone (`guichet_scan::wedge`).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct WedgeRuns {
    /// A longer pause between two keys starts a new run; a run ends this long after its last
    /// key when no Enter or Tab came.
    pub max_pause_ms: f64,
    /// Shorter runs are typing whatever their pace.
    pub min_length: usize,
}

/// Removes the ledger file and SQLite's companions (`-wal`, `-shm`, `-journal`) from
/// `data_dir`: for `guichet enroll`, when a failed attempt made the ledger (no ledger may stay
/// open on it).
pub fn remove_ledger_files(data_dir: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(data_dir.join(format!("{LEDGER_FILE}{suffix}")));
    }
}

/// The enrolled part: who the kiosk is and what it trusts.
pub(crate) struct Enrolled {
    pub(crate) identity: Identity,
    pub(crate) roots: Vec<VerifyingKey>,
    pub(crate) trust: TrustStore,
    /// `bundle.json`'s and `freshness.json`'s modification times when last read.
    pub(crate) bundle_seen: [Option<SystemTime>; 2],
}

/// The kiosk behind the window.
pub struct Kiosk {
    pub(crate) data_dir: PathBuf,
    pub(crate) prefs: Prefs,
    pub(crate) enrolled: Option<Enrolled>,
    pub(crate) ledger: Ledger,
    pub(crate) ledger_settings: LedgerSettings,
    pub(crate) basket: Option<Basket>,
    pub(crate) last_checkout: Option<LastCheckout>,
    /// A scan read before the workshop was chosen.
    pub(crate) pending_scans: Vec<PendingScan>,
    /// `platform_url` of the configuration ([`Kiosk::impose`]).
    pub(crate) configured_platform_url: Option<String>,
    /// The basket was taken back from `basket.json` at start (until it is committed or
    /// emptied).
    pub(crate) basket_restored: bool,
    /// Why the basket could not be saved to disk, or why the saved one was not taken back.
    pub(crate) basket_not_saved: Option<crate::text::Text>,
    pub(crate) session: Option<Session>,
    pub(crate) wedge: WedgeDecoder,
    /// Where signed update files are looked for (removable media by default).
    pub(crate) update_roots: Vec<PathBuf>,
    /// The program the day review prints with (`print_command`; CUPS's `lp` by default).
    pub(crate) print_command: PathBuf,
    /// The update files last listed, canonical: the only ones an import takes.
    pub(crate) update_listing: Vec<PathBuf>,
    /// The admin PIN was set by the enrollment in progress: a failed attempt takes it back
    /// ([`Kiosk::enrollment_failed`]).
    pub(crate) pin_set_by_enrollment: bool,
}

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kiosk")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Kiosk {
    /// Opens the kiosk's files in `data_dir` (created if missing, for its owner only: 0700). A
    /// kiosk that is not enrolled yet opens too: the window then shows the enrollment screen.
    pub fn open(data_dir: &Path) -> Result<Kiosk, Problem> {
        guichet_sync::files::create_private_dir(data_dir).map_err(|e| {
            Problem::local(
                "DATA_DIR",
                &format!("Dossier de données inaccessible ({})", data_dir.display()),
                &format!("Data directory unusable ({})", data_dir.display()),
                e,
            )
        })?;
        let prefs = Prefs::load(data_dir)?;
        let ledger_settings = LedgerSettings::default();
        let ledger = Ledger::open(data_dir.join(LEDGER_FILE), ledger_settings)
            .map_err(|e| Problem::local(e.code(), "Registre inutilisable", "Ledger unusable", e))?;
        let wedge = WedgeDecoder::new(WedgeConfig {
            layouts: prefs.settings.scanner_layout.layouts(),
            ..WedgeConfig::default()
        });
        let mut kiosk = Kiosk {
            data_dir: data_dir.to_path_buf(),
            prefs,
            enrolled: None,
            ledger,
            ledger_settings,
            basket: None,
            last_checkout: None,
            pending_scans: Vec::new(),
            configured_platform_url: None,
            basket_restored: false,
            basket_not_saved: None,
            session: None,
            wedge,
            update_roots: crate::admin::default_update_roots(),
            print_command: PathBuf::from("lp"),
            update_listing: Vec::new(),
            pin_set_by_enrollment: false,
        };
        kiosk.load_enrollment()?;
        kiosk.restore_basket();
        Ok(kiosk)
    }

    /// Takes back the basket saved before the last stop (`basket.json`), if it is for the
    /// workshop chosen; a file that cannot be read is set aside and said.
    fn restore_basket(&mut self) {
        match crate::basket_file::load(&self.data_dir) {
            Ok(None) => {}
            Ok(Some(basket)) => {
                let workshop = self.prefs.workshop.as_ref();
                let same = workshop.is_some_and(|w| {
                    w.area == basket.workshop.area.code() && w.service == basket.workshop.service
                });
                if same {
                    self.basket = Some(basket);
                    self.basket_restored = true;
                }
            }
            Err((error, kept)) => {
                let kept = kept
                    .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
                    .unwrap_or_default();
                self.basket_not_saved = Some(crate::text::Text::new(
                    format!("Le panier enregistré avant l'arrêt était illisible ({error}) ; il a été mis de côté ({kept}). Le panier est vide."),
                    format!("The basket saved before the stop was unreadable ({error}); it was set aside ({kept}). The basket is empty."),
                ));
            }
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The ledger file.
    pub fn ledger_path(&self) -> PathBuf {
        self.data_dir.join(LEDGER_FILE)
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.prefs.settings
    }

    /// Reads the identity and the trust bundle (after `open` and after enrolling).
    pub(crate) fn load_enrollment(&mut self) -> Result<(), Problem> {
        let identity = match Identity::load(&self.data_dir) {
            Ok(identity) => identity,
            Err(IdentityError::NotEnrolled(_)) => {
                self.enrolled = None;
                return Ok(());
            }
            Err(e) => {
                return Err(Problem::local(
                    "IDENTITY",
                    "Identité du kiosque illisible",
                    "Kiosk identity unreadable",
                    e,
                ))
            }
        };
        let mut roots = identity.root_keys().map_err(|e| {
            Problem::local(
                "IDENTITY",
                "Clés racines illisibles",
                "Root keys unreadable",
                e,
            )
        })?;
        // A damaged or older `bundle.json` does not stop the kiosk: the store moves it aside
        // and the counter says why no coupon can be accepted until a good bundle comes.
        let trust = TrustStore::load(&self.data_dir, &roots).map_err(|e| {
            Problem::local(
                "BUNDLE",
                "Paquet de confiance refusé",
                "Trust bundle refused",
                e,
            )
        })?;
        // A bundle in force that lists roots `device.json` does not pin yet (a rotation, a
        // crash between the two writes): pinned now.
        if let Ok(Some(followed)) = trust.follow_roots() {
            roots = followed;
        }
        // Every entry recorded from now on carries the device key's signature.
        self.ledger.set_entry_signer(Some(identity.entry_signer()));
        self.enrolled = Some(Enrolled {
            identity,
            roots,
            trust,
            bundle_seen: self.bundle_modified(),
        });
        Ok(())
    }

    /// When `bundle.json` and `freshness.json` were last written (the sync loop writes both).
    fn bundle_modified(&self) -> [Option<SystemTime>; 2] {
        ["bundle.json", guichet_sync::trust::FRESHNESS_FILE].map(|name| {
            std::fs::metadata(self.data_dir.join(name))
                .and_then(|m| m.modified())
                .ok()
        })
    }

    /// Picks up a bundle or a freshness statement the sync loop (or another process) wrote
    /// since the last look: two `stat`s when nothing changed.
    pub(crate) fn refresh_bundle(&mut self) {
        let modified = self.bundle_modified();
        let data_dir = self.data_dir.clone();
        let Some(enrolled) = self.enrolled.as_mut() else {
            return;
        };
        if modified != enrolled.bundle_seen {
            if enrolled.trust.reload(&enrolled.roots).is_err() {
                // The sync loop may have followed a root rotation: the roots it pinned are in
                // `device.json`. A file still refused (edited by hand) leaves the verified
                // bundle in memory in force.
                if let Ok(roots) = Identity::load(&data_dir).and_then(|i| i.root_keys()) {
                    enrolled.roots = roots;
                    let _ = enrolled.trust.reload(&enrolled.roots);
                }
            }
            if let Ok(Some(roots)) = enrolled.trust.follow_roots() {
                enrolled.roots = roots;
            }
            enrolled.bundle_seen = modified;
        }
    }

    /// The bundle in force.
    pub(crate) fn bundle(&self) -> Option<&TrustBundle> {
        self.enrolled.as_ref().and_then(|e| e.trust.bundle())
    }

    /// A provider's name from the bundle in force, `#id` when it lists none.
    pub(crate) fn provider_name(&self, id: u32) -> String {
        self.bundle()
            .and_then(|b| b.provider_name(id))
            .map_or_else(|| format!("#{id}"), str::to_string)
    }

    /// Everything the window draws, as of `now`.
    pub fn snapshot(
        &mut self,
        sync: &SyncStatus,
        camera: &CameraStatus,
        now: Timestamp,
    ) -> Snapshot {
        self.refresh_bundle();
        self.lock_if_idle(Instant::now());
        let pins_set = self.pins_set();
        let enrollment = self.enrolled.as_ref().map(|e| &e.identity.enrollment);
        Snapshot {
            lang: self.prefs.settings.lang,
            enrolled: enrollment.is_some(),
            center: enrollment.map(|e| CenterView {
                id: e.center.id.clone(),
                name: e.center.name.clone(),
                zone: e.center.zone,
            }),
            device_id: enrollment.map(|e| e.device_id.clone()),
            root_fingerprint: self
                .enrolled
                .as_ref()
                .map(|e| guichet_protocol::fingerprint::root_fingerprint(&e.roots)),
            mediator: self.prefs.mediator.clone(),
            workshop: self.prefs.workshop.clone(),
            referential: self.bundle().map(ReferentialView::of),
            basket: self.basket_view(),
            last_checkout: self.last_checkout.clone().filter(|c| c.can_undo(now)),
            status: self.status(sync, camera, now),
            settings: self.prefs.settings.clone(),
            pins_set,
            unlocked: self.session.as_ref().map(|s| s.role),
            unlocked_by: self.session.as_ref().map(|s| s.name.clone()),
            wedge_runs: WedgeRuns {
                max_pause_ms: self.wedge.config().max_pause_ms,
                min_length: self.wedge.config().min_length,
            },
            platform_url: self.configured_platform_url.clone(),
        }
    }

    /// Changes the window language.
    pub fn set_lang(&mut self, lang: Lang) -> Result<(), Problem> {
        self.prefs.settings.lang = lang;
        self.prefs.save(&self.data_dir)
    }

    /// Sets the mediator at the counter (trimmed; empty allowed, but then nothing commits).
    pub fn set_mediator(&mut self, name: &str) -> Result<(), Problem> {
        let name = name.trim();
        // A scan that landed in the name field (`PN&M…` on an AZERTY host), even after what
        // was typed, is not a name.
        if guichet_scan::wedge::contains_code(name) {
            return Err(Problem::new(
                "NAME_IS_A_CODE",
                "Ceci ressemble au code d'un pass, pas à un nom : le nom n'a pas changé.",
                "This looks like a coupon code, not a name: the name did not change.",
            ));
        }
        if let Err(error @ LimitError::TooLong { .. }) =
            limits::check_text("actor", name, limits::MAX_ACTOR_CHARS)
        {
            return Err(limit_problem(&error));
        }
        if name.chars().any(char::is_control) {
            return Err(Problem::new(
                "BAD_NAME",
                "Nom de médiateur trop long ou invalide.",
                "Mediator name too long or invalid.",
            ));
        }
        self.prefs.mediator = name.to_string();
        self.prefs.save(&self.data_dir)
    }
}
