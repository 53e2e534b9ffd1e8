//! The day review (center manager): the list with filters, totals, cancellations, CSV and
//! PDF exports.

use std::collections::BTreeMap;
use std::path::PathBuf;

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
        |t| guichet_ledger::local_time(t).strftime("%H:%M").to_string(),
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
                    cause_message: line
                        .cause
                        .as_ref()
                        .map(|cause| Text::new(cause.message("fr"), cause.message("en"))),
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
        let csv = export::render_named(
            &review,
            Format::Csv,
            Lang::from(self.prefs.settings.lang),
            &name,
        );
        Kiosk::write_export(&self.export_path(from, to, "csv"), csv.as_bytes())
    }

    /// Writes the printable day report as PDF under `exports/`.
    pub fn export_pdf(&mut self, query: &ReviewQuery, now: Timestamp) -> Result<Exported, Problem> {
        self.require(Role::Manager)?;
        let (from, to, review) = self.ledger_review(query)?;
        let lang = Lang::from(self.prefs.settings.lang);
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
