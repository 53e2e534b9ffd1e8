//! The counter: scans become verdicts, verdicts fill a learner's basket, "Encaisser" (F2) commits
//! it, and the last checkout can be undone within the mediator's window.

use guichet_core::message::Lang;
use guichet_core::verify::Outcome;
use guichet_core::{verify, Area, Cents, Context, Verdict};
use guichet_ledger::{
    Basket, CancelError, Canceller, CheckoutError, InputMethod, LedgerError, Role, Station,
    Workshop,
};
use guichet_protocol::limits;
use guichet_scan::wedge::KeyEvent;
use jiff::Timestamp;
use serde::Serialize;

use crate::basket_file;
use crate::kiosk::Kiosk;
use crate::prefs::WorkshopChoice;
use crate::text::{limit_problem, Problem, Text};

/// One coupon in the basket as the window lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BasketLine {
    /// Issuer key id, hex.
    pub kid: String,
    /// Serial.
    pub serial: u64,
    /// Face value, cents.
    pub value_cents: u32,
    /// The provider's name.
    pub provider: String,
    /// How it was read.
    pub input: InputMethod,
}

/// The learner's basket as the window shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BasketView {
    /// The workshop paid for.
    pub workshop: Option<WorkshopChoice>,
    /// The coupons, in scan order.
    pub coupons: Vec<BasketLine>,
    /// Their total, cents.
    pub coupons_total_cents: u64,
    /// Paid otherwise, cents.
    pub paid_otherwise_cents: u64,
    /// Everything, cents.
    pub total_cents: u64,
    /// Something to say about the basket itself: that it was restored after a restart, or
    /// that it could not be saved to disk.
    pub notice: Option<Text>,
}

/// What a scan did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanKind {
    /// The coupon joined the basket.
    Accepted,
    /// The verdict is not OK (or the counter is not ready).
    Refused,
    /// The coupon is already in the basket.
    Duplicate,
    /// Not a scan (keys typed by a person).
    Ignored,
}

/// Which sound the window plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sound {
    /// Accepted.
    Accepted,
    /// Refused.
    Refused,
    /// Look again (duplicate, counter not ready).
    Warning,
    /// Silence.
    None,
}

/// A scan's result for the verdict card.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScanResult {
    /// What happened.
    pub kind: ScanKind,
    /// The verdict code (`OK`, `ALREADY_REDEEMED`…) or a counter code (`DUPLICATE_IN_BASKET`,
    /// `NO_WORKSHOP`, `NO_BUNDLE`, `NOT_A_SCAN`).
    pub code: String,
    /// The sound.
    pub sound: Sound,
    /// The reason in plain words.
    pub message: Text,
    /// The coupon's serial, when decoded.
    pub serial: Option<u64>,
    /// Its face value, cents.
    pub value_cents: Option<u32>,
    /// Its provider's name.
    pub provider: Option<String>,
    /// How it was read.
    pub input: InputMethod,
    /// Camera scans: when the frame was captured, ms since the Unix epoch.
    pub captured_at_ms: Option<f64>,
    /// The basket after the scan.
    pub basket: BasketView,
}

/// The checkout that can still be undone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastCheckout {
    /// Its id.
    pub checkout_id: String,
    /// Coupons.
    pub count: usize,
    /// Their serials, in scan order.
    pub serials: Vec<u64>,
    /// Coupons + paid otherwise, cents.
    pub total_cents: u64,
    /// When it was recorded (RFC 3339).
    pub recorded_at: Timestamp,
    /// The end of the mediator's window (RFC 3339).
    pub undo_until: Timestamp,
    /// What an undo would cancel, in words: "l'encaissement de 10 h 32 (pass n° 1000001,
    /// 10,00 €)", for the confirmation question.
    pub summary: Text,
}

impl LastCheckout {
    /// Whether a mediator may still undo it at `now`.
    pub fn can_undo(&self, now: Timestamp) -> bool {
        now < self.undo_until
    }
}

/// What "Encaisser" or "undo" did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitResult {
    /// `committed` or `refused`.
    pub kind: &'static str,
    /// `COMMITTED`, `UNDONE`, `EMPTY_BASKET`, `ALREADY_REDEEMED`, `NO_WORKSHOP`,
    /// `NO_MEDIATOR`, `NOTHING_TO_UNDO`, `WINDOW_PASSED`.
    pub code: &'static str,
    /// What to show.
    pub message: Text,
    /// The basket afterwards.
    pub basket: BasketView,
    /// The checkout that can be undone now.
    pub last_checkout: Option<LastCheckout>,
}

/// "pass n° 1000001" or "pass n° 1000001 et 1000002" / "coupons no. 1000001 and 1000002",
/// and "4 pass" / "4 coupons" beyond three.
pub fn passes(serials: &[u64]) -> Text {
    let list = |and: &str| match serials {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} {and} {last}",
            init.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if serials.len() > 3 {
        return Text::new(
            format!("{} pass", serials.len()),
            format!("{} coupons", serials.len()),
        );
    }
    let coupons = if serials.len() == 1 {
        "coupon"
    } else {
        "coupons"
    };
    Text::new(
        format!("pass n° {}", list("et")),
        format!("{coupons} no. {}", list("and")),
    )
}

/// A wall-clock time at the counter: "10 h 32" / "10:32" (Europe/Paris).
fn clock(at: Timestamp) -> (String, String) {
    let time = guichet_core::day::paris_time(at);
    (
        format!("{} h {:02}", time.hour(), time.minute()),
        format!("{:02}:{:02}", time.hour(), time.minute()),
    )
}

/// A scan read before the workshop was chosen: verified once it is (issue 15: the demo's
/// camera reads its coupon once, before anyone has chosen a workshop).
#[derive(Clone, Debug)]
pub(crate) struct PendingScan {
    text: Vec<u8>,
    input: InputMethod,
    at: Timestamp,
}

/// How long a scan waits for the workshop; an older one is forgotten (the learner has left).
/// Long enough for a first run (choosing the workshop from the referential takes a while; a
/// camera reports a code held in view only once), short enough not to surprise the next learner.
pub const PENDING_SCAN_LIMIT: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// The most scans that wait for the workshop (more than a basket holds; the oldest goes).
pub const PENDING_SCANS_MAX: usize = 64;

/// An amount in French and English.
fn euros(cents: u64) -> (String, String) {
    (Cents(cents).text(Lang::Fr), Cents(cents).text(Lang::En))
}

impl Kiosk {
    /// Chooses the workshop (kept between runs). A basket for another workshop is emptied:
    /// its coupons were checked against the old area.
    pub fn set_workshop(&mut self, area: &str, service: &str) -> Result<(), Problem> {
        let parsed: Area = area.parse().map_err(|_| {
            Problem::new(
                "BAD_AREA",
                format!("Domaine inconnu : {area}"),
                format!("Unknown area: {area}"),
            )
        })?;
        limits::check_text("service", service, limits::MAX_SERVICE_CHARS)
            .map_err(|e| limit_problem(&e))?;
        if let Some(bundle) = self.bundle() {
            let known = bundle
                .document()
                .referential
                .services
                .iter()
                .any(|s| s.code == service && s.area == parsed);
            if !known {
                return Err(Problem::new(
                    "BAD_SERVICE",
                    format!("Le service {service} n'existe pas dans le domaine {area}."),
                    format!("Service {service} does not exist in area {area}."),
                ));
            }
        }
        let choice = WorkshopChoice {
            area: parsed.code().to_string(),
            service: service.to_string(),
        };
        if self.prefs.workshop.as_ref() != Some(&choice) {
            self.basket = None;
            self.persist_basket();
        }
        self.prefs.workshop = Some(choice);
        self.prefs.save(&self.data_dir)
    }

    /// Writes the open basket to `basket.json` (or removes it) after each change, so that a
    /// restart does not lose it; a failure is said in the basket column, not hidden.
    fn persist_basket(&mut self) {
        let open = self
            .basket
            .as_ref()
            .is_some_and(|b| !b.coupons().is_empty() || b.paid_otherwise_cents > 0);
        if !open {
            self.basket_restored = false;
        }
        self.basket_not_saved = basket_file::save(&self.data_dir, self.basket.as_ref())
            .err()
            .map(|problem| problem.message);
    }

    /// The day coupons are checked on at `now`: the Europe/Paris day of the later of the
    /// kiosk's clock, the ledger's latest trusted time (its own last entry, the platform's
    /// time from a verified answer) and the bundle's issue time. A clock set back revives
    /// nothing; the status bar still shows it behind.
    fn checking_day(
        &self,
        bundle: &guichet_core::TrustBundle,
        now: Timestamp,
    ) -> Result<jiff::civil::Date, Problem> {
        let trusted = self
            .ledger
            .trusted_now(now)
            .map_err(|e| Problem::local("LEDGER", "Registre illisible", "Ledger unreadable", e))?;
        Ok(guichet_core::day::paris_day(
            trusted.max(bundle.document().issued_at),
        ))
    }

    fn workshop(&self) -> Option<Workshop> {
        let choice = self.prefs.workshop.as_ref()?;
        Some(Workshop {
            area: choice.area.parse().ok()?,
            service: choice.service.clone(),
        })
    }

    /// The basket as the window shows it.
    pub fn basket_view(&self) -> BasketView {
        let notice = self.basket_not_saved.clone().or_else(|| {
            self.basket_restored.then(|| {
                Text::new(
                    "Panier rétabli après le redémarrage du kiosque : vérifiez-le avec l'apprenant, puis encaissez.",
                    "Basket restored after the kiosk restarted: check it with the learner, then take payment.",
                )
            })
        });
        let Some(basket) = &self.basket else {
            return BasketView {
                workshop: self.prefs.workshop.clone(),
                notice,
                ..BasketView::default()
            };
        };
        let coupons_total_cents = basket.coupons_total_cents();
        let paid_otherwise_cents = u64::from(basket.paid_otherwise_cents);
        BasketView {
            workshop: self.prefs.workshop.clone(),
            coupons: basket
                .coupons()
                .iter()
                .map(|c| BasketLine {
                    kid: c.coupon.kid.to_hex(),
                    serial: c.coupon.serial,
                    value_cents: c.coupon.value_cents,
                    provider: self.provider_name(c.coupon.provider),
                    input: c.input,
                })
                .collect(),
            coupons_total_cents,
            paid_otherwise_cents,
            total_cents: coupons_total_cents + paid_otherwise_cents,
            notice,
        }
    }

    fn counter_not_ready(&self, code: &str, message: Text, input: InputMethod) -> ScanResult {
        ScanResult {
            kind: ScanKind::Refused,
            code: code.to_string(),
            sound: Sound::Warning,
            message,
            serial: None,
            value_cents: None,
            provider: None,
            input,
            captured_at_ms: None,
            basket: self.basket_view(),
        }
    }

    /// Verifies a scanned text at `now` and, if it is OK, adds the coupon to the basket.
    /// Only a ledger fault is an error; every text gives a result.
    pub fn scan(
        &mut self,
        text: &[u8],
        input: InputMethod,
        now: Timestamp,
    ) -> Result<ScanResult, Problem> {
        self.refresh_bundle();
        let Some(workshop) = self.workshop() else {
            // The pass waits with those read before it: each is verified as soon as the
            // workshop is chosen.
            if !self.pending_scans.iter().any(|p| p.text == text) {
                if self.pending_scans.len() >= PENDING_SCANS_MAX {
                    self.pending_scans.remove(0);
                }
                self.pending_scans.push(PendingScan {
                    text: text.to_vec(),
                    input,
                    at: now,
                });
            }
            let n = self.pending_scans.len();
            return Ok(self.counter_not_ready(
                "NO_WORKSHOP",
                Text::new(
                    format!("Pass lu ({n} en attente) : choisissez l'atelier (F6), ils seront vérifiés aussitôt."),
                    format!("Coupon read ({n} waiting): choose the workshop (F6) and they will be checked at once."),
                ),
                input,
            ));
        };
        let Some(enrolled) = self.enrolled.as_ref() else {
            return Ok(self.counter_not_ready(
                "NOT_ENROLLED",
                Text::new(
                    "Ce kiosque n'est pas encore inscrit : un administrateur doit l'inscrire (F10).",
                    "This kiosk is not enrolled yet: an admin must enroll it (F10).",
                ),
                input,
            ));
        };
        let Some(bundle) = enrolled.trust.bundle() else {
            let message = match enrolled.trust.set_aside() {
                // Why, so that the mediator can tell the admin.
                Some(set_aside) => {
                    let file = set_aside
                        .kept_as
                        .file_name()
                        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
                    let code = set_aside.code;
                    Text::new(
                        format!("La liste de clés du kiosque était inutilisable ({code}) ; elle a été mise de côté ({file}). Aucun pass ne peut être accepté : synchronisez le kiosque ou importez une mise à jour."),
                        format!("The kiosk's key list was unusable ({code}); it was set aside ({file}). No coupon can be accepted: sync the kiosk or import an update."),
                    )
                }
                None => Text::new(
                    "Aucune liste de clés : synchronisez le kiosque ou importez une mise à jour.",
                    "No key list: sync the kiosk or import an update.",
                ),
            };
            return Ok(self.counter_not_ready("NO_BUNDLE", message, input));
        };
        let context = Context {
            bundle,
            today: self.checking_day(bundle, now)?,
            area: Some(workshop.area),
            center_zone: enrolled.identity.enrollment.center.zone,
        };
        let verdict = verify(text, &context, &self.ledger)
            .map_err(|e| Problem::local("LEDGER", "Registre illisible", "Ledger unreadable", e))?;
        crate::logs::scanned(input, &verdict);
        Ok(self.place_in_basket(verdict, text, workshop, input))
    }

    /// The scans that waited for the workshop, verified now that it is chosen, in the order
    /// they were read (none when nothing waits or the workshop is still not chosen; a scan
    /// older than [`PENDING_SCAN_LIMIT`] is forgotten). Called after each workshop change.
    pub fn take_pending_scans(&mut self, now: Timestamp) -> Result<Vec<ScanResult>, Problem> {
        if self.workshop().is_none() {
            return Ok(Vec::new());
        }
        let pending = std::mem::take(&mut self.pending_scans);
        pending
            .into_iter()
            .filter(|p| now.duration_since(p.at) <= PENDING_SCAN_LIMIT)
            .map(|p| self.scan(&p.text, p.input, now))
            .collect()
    }

    fn place_in_basket(
        &mut self,
        verdict: Verdict,
        read: &[u8],
        workshop: Workshop,
        input: InputMethod,
    ) -> ScanResult {
        let coupon = verdict.coupon;
        let (mut kind, mut sound) = if verdict.is_ok() {
            (ScanKind::Accepted, Sound::Accepted)
        } else {
            (ScanKind::Refused, Sound::Refused)
        };
        let mut code = verdict.code().to_string();
        let mut message = Text::of_verdict(&verdict);
        if let (ScanKind::Accepted, Some(coupon)) = (kind, coupon) {
            let basket = self.basket.get_or_insert_with(|| Basket::new(workshop));
            // The basket keeps the text read: the entry carries it to the platform as proof.
            match basket.add(read, input) {
                Ok(_) => {
                    // The verdict's own words ("valable") and then what happens to the pass: it
                    // is in the basket, not paid yet.
                    let count = basket.coupons().len();
                    let (fr, en) = euros(basket.coupons_total_cents());
                    message = Text::new(
                        format!(
                            "{} Ajouté au panier ({count} pass, {fr}) : F2 pour encaisser.",
                            message.fr
                        ),
                        format!(
                            "{} Added to the basket ({count} {}, {en}): F2 to take payment.",
                            message.en,
                            if count == 1 { "pass" } else { "passes" }
                        ),
                    );
                    self.persist_basket();
                }
                Err(CheckoutError::TooManyCoupons { limit }) => {
                    kind = ScanKind::Refused;
                    code = "BASKET_FULL".into();
                    sound = Sound::Warning;
                    message = Text::new(
                        format!("Panier plein : {limit} pass au plus par passage. Encaissez (F2), puis scannez la suite."),
                        format!("Basket full: at most {limit} coupons per checkout. Take payment (F2), then scan the rest."),
                    );
                }
                Err(_) => {
                    kind = ScanKind::Duplicate;
                    code = "DUPLICATE_IN_BASKET".into();
                    sound = Sound::Warning;
                    message = Text::new(
                        format!("Le pass n° {} est déjà dans le panier.", coupon.serial),
                        format!("Coupon no. {} is already in the basket.", coupon.serial),
                    );
                }
            }
        }
        ScanResult {
            kind,
            code,
            sound,
            message,
            serial: coupon.map(|c| c.serial),
            value_cents: coupon.map(|c| c.value_cents),
            provider: coupon.map(|c| self.provider_name(c.provider)),
            input,
            captured_at_ms: None,
            basket: self.basket_view(),
        }
    }

    /// Feeds the `keydown` events of one burst (up to its Enter or Tab, or up to a quiet gap
    /// for a scanner that sends no terminator) to the wedge decoder; a scanner burst is
    /// scanned, typing is ignored.
    pub fn wedge_burst(
        &mut self,
        keys: &[KeyEvent],
        now: Timestamp,
    ) -> Result<ScanResult, Problem> {
        match self.wedge_text(keys) {
            Some(text) => self.scan(text.as_bytes(), InputMethod::Scanner, now),
            None => Ok(ScanResult {
                kind: ScanKind::Ignored,
                code: "NOT_A_SCAN".into(),
                sound: Sound::None,
                message: Text::new("Saisie clavier ignorée.", "Keyboard typing ignored."),
                serial: None,
                value_cents: None,
                provider: None,
                input: InputMethod::Scanner,
                captured_at_ms: None,
                basket: self.basket_view(),
            }),
        }
    }

    /// Feeds the `keydown` events of one run to the wedge decoder and returns the text a
    /// scanner typed, without verifying it (`None`: typing). For a field that takes a scanned
    /// text as it is (the enrollment ticket), and for a scan that came while a question was
    /// open (the page verifies it with `scan` once the question is answered).
    pub fn wedge_text(&mut self, keys: &[KeyEvent]) -> Option<String> {
        let mut scanned = None;
        for key in keys {
            if let Some(scan) = self.wedge.push(key) {
                scanned = Some(scan);
            }
        }
        // No Enter or Tab: the page sent the run after a quiet gap (a scan only if it reads
        // as a code).
        scanned
            .or_else(|| self.wedge.finish())
            .map(|scan| scan.text)
    }

    /// Takes a coupon out of the basket.
    pub fn basket_remove(&mut self, kid: &str, serial: u64) -> BasketView {
        if let (Some(basket), Ok(kid)) = (self.basket.as_mut(), kid.parse()) {
            basket.remove(kid, serial);
        }
        self.persist_basket();
        self.basket_view()
    }

    /// Sets what the learner paid otherwise (cash, card).
    pub fn basket_paid_otherwise(&mut self, cents: u32) -> Result<BasketView, Problem> {
        let Some(workshop) = self.workshop() else {
            return Err(Problem::new(
                "NO_WORKSHOP",
                "Choisissez d'abord l'atelier.",
                "Choose the workshop first.",
            ));
        };
        if cents > 100_000 {
            return Err(Problem::new(
                "AMOUNT_TOO_HIGH",
                "Montant trop élevé (1 000 € au plus).",
                "Amount too high (at most €1,000).",
            ));
        }
        self.basket
            .get_or_insert_with(|| Basket::new(workshop))
            .paid_otherwise_cents = cents;
        self.persist_basket();
        Ok(self.basket_view())
    }

    /// Empties the basket.
    pub fn basket_clear(&mut self) -> BasketView {
        self.basket = None;
        self.persist_basket();
        self.basket_view()
    }

    fn station(&self) -> Option<Station> {
        let enrollment = &self.enrolled.as_ref()?.identity.enrollment;
        Some(Station {
            center: enrollment.center.id.clone(),
            device: enrollment.device_id.clone(),
            mediator: self.prefs.mediator.clone(),
        })
    }

    fn refused(&self, code: &'static str, message: Text) -> CommitResult {
        CommitResult {
            kind: "refused",
            code,
            message,
            basket: self.basket_view(),
            last_checkout: self.last_checkout.clone(),
        }
    }

    /// "Encaisser": records every coupon of the basket in one transaction, or none.
    ///
    /// Every coupon is verified again, against the bundle in force now (re-read if the sync
    /// loop replaced it) and the ledger inside the write transaction; one that no longer passes
    /// is taken out of the basket with its reason and nothing is recorded.
    pub fn basket_commit(&mut self, now: Timestamp) -> Result<CommitResult, Problem> {
        self.refresh_bundle();
        if self.prefs.mediator.is_empty() {
            return Ok(self.refused(
                "NO_MEDIATOR",
                Text::new(
                    "Indiquez votre nom (F7) avant d'encaisser.",
                    "Enter your name (F7) before taking payment.",
                ),
            ));
        }
        let Some(station) = self.station() else {
            return Ok(self.refused(
                "NOT_ENROLLED",
                Text::new(
                    "Ce kiosque n'est pas inscrit.",
                    "This kiosk is not enrolled.",
                ),
            ));
        };
        let Some(basket) = self.basket.as_ref().filter(|b| !b.coupons().is_empty()) else {
            return Ok(self.refused(
                "EMPTY_BASKET",
                Text::new(
                    "Le panier est vide : scannez un pass.",
                    "The basket is empty: scan a coupon.",
                ),
            ));
        };
        // Each coupon is verified again inside the write transaction: a bundle update (a
        // revocation) or midnight may have come since it was scanned.
        let Some(enrolled) = self.enrolled.as_ref() else {
            return Ok(self.refused(
                "NOT_ENROLLED",
                Text::new(
                    "Ce kiosque n'est pas inscrit.",
                    "This kiosk is not enrolled.",
                ),
            ));
        };
        let Some(bundle) = enrolled.trust.bundle() else {
            return Ok(self.refused(
                "NO_BUNDLE",
                Text::new(
                    "Aucune liste de clés : rien n'est enregistré. Synchronisez le kiosque ou importez une mise à jour, puis encaissez à nouveau.",
                    "No key list: nothing was recorded. Sync the kiosk or import an update, then take payment again.",
                ),
            ));
        };
        let context = Context {
            bundle,
            today: self.checking_day(bundle, now)?,
            area: Some(basket.workshop.area),
            center_zone: enrolled.identity.enrollment.center.zone,
        };
        let committed =
            self.ledger
                .commit_checkout_verified(&station, basket, now, |item, lookup| {
                    let verdict = verify(item.code.as_bytes(), &context, lookup)?;
                    Ok((!verdict.is_ok()).then_some(verdict))
                });
        match committed {
            Ok(receipt) => {
                let total = self.basket_view().total_cents;
                let count = receipt.redemptions.len();
                let serials: Vec<u64> = basket.coupons().iter().map(|c| c.coupon.serial).collect();
                let (fr, en) = euros(total);
                let (at_fr, at_en) = clock(now);
                let which = passes(&serials);
                self.last_checkout = Some(LastCheckout {
                    checkout_id: receipt.checkout_id,
                    count,
                    serials,
                    total_cents: total,
                    recorded_at: now,
                    undo_until: now + self.ledger_settings.mediator_cancel_window,
                    summary: Text::new(
                        format!("l'encaissement de {at_fr} ({}, {fr})", which.fr),
                        format!("the checkout of {at_en} ({}, {en})", which.en),
                    ),
                });
                self.basket = None;
                self.persist_basket();
                Ok(CommitResult {
                    kind: "committed",
                    code: "COMMITTED",
                    message: Text::new(
                        format!("Encaissé : {}, {fr}.", which.fr),
                        format!("Paid: {}, {en}.", which.en),
                    ),
                    basket: self.basket_view(),
                    last_checkout: self.last_checkout.clone(),
                })
            }
            Err(CheckoutError::AlreadyRedeemed { kid, serial, prior }) => {
                // Another kiosk process took it since the scan: drop it, keep the rest.
                let coupon = basket
                    .coupons()
                    .iter()
                    .find(|c| c.coupon.kid == kid && c.coupon.serial == serial)
                    .map(|c| c.coupon);
                if let Some(basket) = self.basket.as_mut() {
                    basket.remove(kid, serial);
                }
                self.persist_basket();
                let verdict = Verdict {
                    outcome: Outcome::AlreadyRedeemed(prior),
                    coupon,
                };
                let reason = Text::of_verdict(&verdict);
                Ok(self.refused(
                    "ALREADY_REDEEMED",
                    Text::new(
                        format!("{} Il a été retiré du panier ; rien n'est enregistré, encaissez à nouveau.", reason.fr),
                        format!("{} It was taken out of the basket; nothing was recorded, take payment again.", reason.en),
                    ),
                ))
            }
            Err(CheckoutError::NoLongerValid(failed)) => {
                // Only these coupons go; the rest of the basket stays for the next "Encaisser".
                let mut fr = Vec::new();
                let mut en = Vec::new();
                for coupon in &failed {
                    if let Some(basket) = self.basket.as_mut() {
                        basket.remove(coupon.kid, coupon.serial);
                    }
                    let reason = Text::of_verdict(&coupon.verdict);
                    fr.push(format!("Pass n° {} : {}", coupon.serial, reason.fr));
                    en.push(format!("Coupon no. {}: {}", coupon.serial, reason.en));
                }
                self.persist_basket();
                let (gone_fr, gone_en) = if failed.len() == 1 {
                    ("Retiré du panier", "Taken out of the basket")
                } else {
                    ("Retirés du panier", "Taken out of the basket")
                };
                Ok(self.refused(
                    "NO_LONGER_VALID",
                    Text::new(
                        format!("{} {gone_fr} ; rien n'est enregistré, encaissez à nouveau.", fr.join(" ")),
                        format!("{} {gone_en}; nothing was recorded, take payment again.", en.join(" ")),
                    ),
                ))
            }
            Err(CheckoutError::TooManyCoupons { limit }) => Ok(self.refused(
                "BASKET_FULL",
                Text::new(
                    format!("Panier trop plein : {limit} pass au plus par passage ; rien n'a été enregistré."),
                    format!("Basket too full: at most {limit} coupons per checkout; nothing was recorded."),
                ),
            )),
            Err(CheckoutError::Ledger(LedgerError::Limit(error))) => Err(limit_problem(&error)),
            Err(
                CheckoutError::EmptyBasket
                | CheckoutError::DuplicateInBasket { .. }
                | CheckoutError::Malformed(_),
            ) => Ok(self
                .refused(
                    "EMPTY_BASKET",
                    Text::new(
                        "Le panier est vide : scannez un pass.",
                        "The basket is empty: scan a coupon.",
                    ),
                )),
            Err(CheckoutError::Ledger(e)) => Err(Problem::local(
                e.code(),
                "Rien n'a été enregistré",
                "Nothing was recorded",
                e,
            )),
        }
    }

    /// Undoes the last checkout (a mediator, within the window).
    pub fn undo_last_checkout(&mut self, now: Timestamp) -> Result<CommitResult, Problem> {
        let Some(last) = self.last_checkout.clone() else {
            return Ok(self.refused(
                "NOTHING_TO_UNDO",
                Text::new("Aucun passage à annuler.", "No checkout to undo."),
            ));
        };
        let Some(station) = self.station() else {
            return Ok(self.refused(
                "NOT_ENROLLED",
                Text::new("Kiosque non inscrit.", "Kiosk not enrolled."),
            ));
        };
        let canceller = Canceller {
            name: if station.mediator.is_empty() {
                "?".into()
            } else {
                station.mediator
            },
            role: Role::Mediator,
            center: station.center,
            device: station.device,
        };
        let reason = "annulé au guichet par le médiateur";
        match self
            .ledger
            .cancel_checkout(&last.checkout_id, &canceller, reason, now)
        {
            Ok(_) => {
                self.last_checkout = None;
                let summary = &last.summary;
                let open = self.basket.as_ref().map_or(0, |b| b.coupons().len());
                let (kept_fr, kept_en) = match open {
                    0 => (String::new(), String::new()),
                    n => (
                        format!(" Le panier en cours ({n} pass) reste ouvert."),
                        format!(
                            " The basket in progress ({n} {}) stays open.",
                            if n == 1 { "pass" } else { "passes" }
                        ),
                    ),
                };
                Ok(CommitResult {
                    kind: "committed",
                    code: "UNDONE",
                    message: Text::new(
                        format!("Annulé : {}.{kept_fr}", summary.fr),
                        format!("Undone: {}.{kept_en}", summary.en),
                    ),
                    basket: self.basket_view(),
                    last_checkout: None,
                })
            }
            Err(CancelError::WindowPassed { window_minutes, .. }) => {
                self.last_checkout = None;
                Ok(self.refused(
                    "WINDOW_PASSED",
                    Text::new(
                        format!("Plus de {window_minutes} minutes : seul un responsable peut annuler (F8)."),
                        format!("More than {window_minutes} minutes: only a manager can cancel (F8)."),
                    ),
                ))
            }
            Err(CancelError::AlreadyCancelled(_) | CancelError::NotFound(_)) => {
                self.last_checkout = None;
                Ok(self.refused(
                    "NOTHING_TO_UNDO",
                    Text::new(
                        "Ce passage est déjà annulé.",
                        "This checkout is already undone.",
                    ),
                ))
            }
            Err(CancelError::Ledger(e)) => Err(Problem::local(
                e.code(),
                "Rien n'a été annulé",
                "Nothing was undone",
                e,
            )),
        }
    }
}
