//! The day review (center manager): the list with filters, totals, cancellations, CSV and
//! PDF exports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use guichet_core::message::Lang;
use guichet_ledger::export::{self, Format};
use guichet_ledger::{
    CancelError, Canceller, Filters, Review, ReviewLine, Role as LedgerRole, SyncState, Tally,
};
use guichet_protocol::limits;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::day_pdf;
use crate::kiosk::Kiosk;
use crate::pin::Role;
use crate::text::{limit_problem, Problem, Text};

/// Which days and lines a review covers, as the window sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReviewQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (inclusive); the first day when empty.
    #[serde(default)]
    pub to: String,
    /// Only this mediator.
    #[serde(default)]
    pub mediator: Option<String>,
    /// Only this area code.
    #[serde(default)]
    pub area: Option<String>,
    /// Only this provider (by name).
    #[serde(default)]
    pub provider: Option<String>,
    /// Only this sync state.
    #[serde(default)]
    pub sync_state: Option<SyncState>,
}

/// One line of the review list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineView {
    /// The ledger's line.
    #[serde(flatten)]
    pub line: ReviewLine,
    /// `HH:MM`, Europe/Paris.
    pub local_time: String,
    /// The provider's name.
    pub provider_name: String,
    /// Why the platform rejected or held it, in words (the protocol's catalogue).
    pub cause_message: Option<Text>,
    /// The workshop's name in the bundle's referential (absent when it no longer lists it).
    pub service_name: Option<Text>,
}

/// Totals as the window shows them (providers by name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryView {
    /// Active redemptions.
    pub redeemed: Tally,
    /// Cancelled ones.
    pub cancelled: Tally,
    /// Checkouts.
    pub checkouts: u64,
    /// Paid otherwise, cents.
    pub paid_otherwise_cents: u64,
    /// What the day took in: the passes still active plus what was paid otherwise, cents.
    pub day_total_cents: u64,
    /// Per mediator.
    pub by_mediator: BTreeMap<String, Tally>,
    /// Per area.
    pub by_area: BTreeMap<String, Tally>,
    /// Per provider name.
    pub by_provider: BTreeMap<String, Tally>,
    /// Per sync state.
    pub by_sync_state: BTreeMap<SyncState, Tally>,
}

/// The review screen's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewView {
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Totals.
    pub summary: SummaryView,
    /// Lines, oldest first.
    pub lines: Vec<LineView>,
    /// Mediators present in the days (unfiltered), for the filter list.
    pub mediators: Vec<String>,
    /// Providers present in the days (unfiltered), by name.
    pub providers: Vec<String>,
}

/// A file written by an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exported {
    /// Where.
    pub path: PathBuf,
}

fn parse_day(text: &str) -> Result<Date, Problem> {
    text.parse().map_err(|_| {
        Problem::new(
            "BAD_DATE",
            format!("Date invalide : « {text} » (AAAA-MM-JJ)."),
            format!("Invalid date: \"{text}\" (YYYY-MM-DD)."),
        )
    })
}

fn local_hhmm(utc: &str) -> String {
    utc.parse::<Timestamp>().map_or_else(
        |_| utc.to_string(),
        |t| {
            guichet_core::day::paris_time(t)
                .strftime("%H:%M")
                .to_string()
        },
    )
}

impl Kiosk {
    fn days(query: &ReviewQuery) -> Result<(Date, Date), Problem> {
        let from = parse_day(&query.from)?;
        let to = if query.to.is_empty() {
            from
        } else {
            parse_day(&query.to)?
        };
        if to < from {
            return Err(Problem::new(
                "BAD_DATE",
                "La date de fin précède la date de début.",
                "The end date is before the start date.",
            ));
        }
        Ok((from, to))
    }

    fn provider_id(&self, name: &str) -> Option<u32> {
        let document = self.bundle()?.document();
        document
            .providers
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.id)
    }

    fn ledger_review(&self, query: &ReviewQuery) -> Result<(Date, Date, Review), Problem> {
        let (from, to) = Kiosk::days(query)?;
        // A name no bundle knows is shown as "#id" by the list: accept that too.
        let provider = query.provider.as_ref().map(|name| {
            self.provider_id(name)
                .or_else(|| name.trim_start_matches('#').parse().ok())
                .unwrap_or(u32::MAX)
        });
        let filters = Filters {
            mediator: query.mediator.clone(),
            area: query.area.clone(),
            provider,
            sync_state: query.sync_state,
        };
        let review = self
            .ledger
            .review(from, to, &filters)
            .map_err(|e| Problem::local(e.code(), "Registre illisible", "Ledger unreadable", e))?;
        Ok((from, to, review))
    }

    /// The review of the query's days (manager or admin).
    pub fn review(&mut self, query: &ReviewQuery) -> Result<ReviewView, Problem> {
        self.require(Role::Manager)?;
        let (from, to, review) = self.ledger_review(query)?;
        let everything = self
            .ledger
            .review(from, to, &Filters::default())
            .map_err(|e| Problem::local(e.code(), "Registre illisible", "Ledger unreadable", e))?;
        let mut mediators: Vec<String> = everything
            .lines
            .iter()
            .map(|l| l.mediator.clone())
            .collect();
        mediators.sort();
        mediators.dedup();
        let mut providers: Vec<String> = everything
            .lines
            .iter()
            .map(|l| self.provider_name(l.provider))
            .collect();
        providers.sort();
        providers.dedup();
        let s = review.summary;
        Ok(ReviewView {
            from: from.to_string(),
            to: to.to_string(),
            summary: SummaryView {
                redeemed: s.redeemed,
                cancelled: s.cancelled,
                checkouts: s.checkouts,
                paid_otherwise_cents: s.paid_otherwise_cents,
                day_total_cents: s.redeemed.total_cents + s.paid_otherwise_cents,
                by_mediator: s.by_mediator,
                by_area: s.by_area,
                by_provider: s
                    .by_provider
                    .into_iter()
                    .map(|(id, tally)| (self.provider_name(id), tally))
                    .collect(),
                by_sync_state: s.by_sync_state,
            },
            lines: review
                .lines
                .into_iter()
                .map(|line| LineView {
                    local_time: local_hhmm(&line.occurred_at),
                    provider_name: self.provider_name(line.provider),
                    cause_message: line.cause.as_ref().map(|cause| {
                        Text::new(
                            cause.message(Lang::Fr.into()),
                            cause.message(Lang::En.into()),
                        )
                    }),
                    service_name: self.service_name(&line.service),
                    line,
                })
                .collect(),
            mediators,
            providers,
        })
    }

    /// Cancels one redemption with a reason (manager or admin: at any time).
    pub fn cancel_redemption(
        &mut self,
        id: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Text, Problem> {
        let by = self.require(Role::Manager)?.name.clone();
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Problem::new(
                "NO_REASON",
                "Indiquez le motif de l'annulation.",
                "Give the reason for the cancellation.",
            ));
        }
        limits::check_text("reason", reason, limits::MAX_REASON_CHARS)
            .map_err(|e| limit_problem(&e))?;
        let Some(enrolled) = &self.enrolled else {
            return Err(Problem::new(
                "NOT_ENROLLED",
                "Kiosque non inscrit.",
                "Kiosk not enrolled.",
            ));
        };
        let enrollment = &enrolled.identity.enrollment;
        let canceller = Canceller {
            name: by,
            role: LedgerRole::Manager,
            center: enrollment.center.id.clone(),
            device: enrollment.device_id.clone(),
        };
        match self.ledger.cancel_redemption(id, &canceller, reason, now) {
            Ok(_) => Ok(Text::new("Pass annulé.", "Coupon cancelled.")),
            Err(CancelError::AlreadyCancelled(_)) => Err(Problem::new(
                "ALREADY_CANCELLED",
                "Ce pass est déjà annulé.",
                "This coupon is already cancelled.",
            )),
            Err(CancelError::NotFound(_)) => Err(Problem::new(
                "NOT_FOUND",
                "Ligne introuvable.",
                "No such line.",
            )),
            Err(e) => Err(Problem::local(
                "LEDGER",
                "Rien n'a été annulé",
                "Nothing was cancelled",
                e,
            )),
        }
    }

    /// A workshop's name from the bundle in force.
    fn service_name(&self, code: &str) -> Option<Text> {
        let bundle = self.bundle()?;
        let service = bundle
            .document()
            .referential
            .services
            .iter()
            .find(|s| s.code == code)?;
        Some(Text::new(service.name.fr.clone(), service.name.en.clone()))
    }

    /// `path` if it is a file this kiosk exported (canonical, under `exports/`).
    fn exported_file(&self, path: &Path) -> Result<PathBuf, Problem> {
        let not_ours = || {
            Problem::new(
                "NOT_AN_EXPORT",
                "Ce fichier n'est pas un export du bilan.",
                "This file is not a review export.",
            )
        };
        let exports =
            std::fs::canonicalize(self.data_dir.join("exports")).map_err(|_| not_ours())?;
        let file = std::fs::canonicalize(path).map_err(|_| not_ours())?;
        if !file.starts_with(&exports) || !file.is_file() {
            return Err(not_ours());
        }
        Ok(file)
    }

    /// Copies an export (CSV or PDF) onto the USB stick: the first directory named in
    /// the configuration's `update_dirs`, else the first mounted file system under `/media`, `/run/media`
    /// or `/mnt` (two levels deep, e.g. `/media/guichet/CLE`). The copy is synced to the stick
    /// before the answer, so that it can be pulled out.
    pub fn copy_export_to_stick(&mut self, path: &Path) -> Result<Exported, Problem> {
        self.require(Role::Manager)?;
        let file = self.exported_file(path)?;
        let stick = crate::admin::first_stick(&self.update_roots).ok_or_else(|| {
            Problem::new(
                "NO_STICK",
                "Aucune clé USB trouvée : branchez-la, attendez qu'elle s'ouvre, puis réessayez.",
                "No USB stick found: plug it in, wait for it to open, then try again.",
            )
        })?;
        let target = stick.join(file.file_name().unwrap_or_default());
        // The export is private in the data directory (0600); on the stick it is for others
        // to read (0644), as copied files usually are.
        let copied = std::fs::copy(&file, &target)
            .and_then(|_| readable_by_others(&target))
            .and_then(|_| std::fs::File::open(&target)?.sync_all());
        copied.map_err(|e| {
            Problem::local(
                "COPY_FAILED",
                "Copie sur la clé impossible",
                "Could not copy to the stick",
                e,
            )
        })?;
        Ok(Exported { path: target })
    }

    /// Sends an exported PDF to the system's printer (CUPS's `lp`, or the configuration's
    /// `print_command`); answers with what the print system said.
    pub fn print_export(&mut self, path: &Path) -> Result<Text, Problem> {
        self.require(Role::Manager)?;
        let file = self.exported_file(path)?;
        let output = std::process::Command::new(&self.print_command)
            .arg("--")
            .arg(&file)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                Problem::local(
                    "NO_PRINTER",
                    "Impression impossible : pas de service d'impression sur ce poste (CUPS, commande lp)",
                    "Cannot print: no print service on this computer (CUPS, the lp command)",
                    e,
                )
            })?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr).trim().to_string();
            return Err(Problem::new(
                "PRINT_FAILED",
                format!("L'impression a été refusée : {said}"),
                format!("Printing was refused: {said}"),
            ));
        }
        let said = String::from_utf8_lossy(&output.stdout).trim().to_string();
        Ok(Text::new(
            format!("Envoyé à l'imprimante. {said}").trim().to_string(),
            format!("Sent to the printer. {said}").trim().to_string(),
        ))
    }

    fn export_path(&self, from: Date, to: Date, extension: &str) -> PathBuf {
        let name = if from == to {
            format!("journee-{from}.{extension}")
        } else {
            format!("journee-{from}-au-{to}.{extension}")
        };
        self.data_dir.join("exports").join(name)
    }

    fn write_export(path: &std::path::Path, bytes: &[u8]) -> Result<Exported, Problem> {
        guichet_sync::files::write_atomically(path, bytes, true)
            .map_err(|e| Problem::local("EXPORT", "Export impossible", "Export failed", e))?;
        Ok(Exported {
            path: path.to_path_buf(),
        })
    }

    /// Writes the review as CSV (in the window's language) under `exports/`.
    pub fn export_csv(&mut self, query: &ReviewQuery) -> Result<Exported, Problem> {
        self.require(Role::Manager)?;
        let (from, to, review) = self.ledger_review(query)?;
        let name = |id| self.provider_name(id);
        let csv = export::render_named(&review, Format::Csv, self.prefs.settings.lang, &name);
        Kiosk::write_export(&self.export_path(from, to, "csv"), csv.as_bytes())
    }

    /// Writes the printable day report as PDF under `exports/`.
    pub fn export_pdf(&mut self, query: &ReviewQuery, now: Timestamp) -> Result<Exported, Problem> {
        self.require(Role::Manager)?;
        let (from, to, review) = self.ledger_review(query)?;
        let lang = self.prefs.settings.lang;
        let center = self
            .enrolled
            .as_ref()
            .map(|e| e.identity.enrollment.center.name.clone())
            .unwrap_or_default();
        let table =
            export::render_named(&review, Format::Table, lang, &|id| self.provider_name(id));
        let pdf = day_pdf::render(&center, &table, now, lang);
        Kiosk::write_export(&self.export_path(from, to, "pdf"), &pdf)
    }
}

/// Gives a file copied to a stick the mode 0644; a file system without modes (FAT, exFAT, as
/// most sticks are) refuses or ignores it, and that is fine: everyone reads those files.
fn readable_by_others(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}
