//! A review written out: an aligned text table, CSV or JSON, in French or English.
//!
//! CSV decision: in French the separator is `;` and amounts use a decimal comma, which is
//! what spreadsheet programs set to French open without an import dialog; in English, `,`
//! and a decimal point. Both are UTF-8 with a byte-order mark, so that spreadsheets read
//! the accents right.

use guichet_core::message::Lang;
use guichet_core::Cents;
use guichet_protocol::ConflictDetails;
use jiff::Timestamp;

use crate::entry::InputMethod;
use crate::outbox::SyncState;
use crate::report::{Review, ReviewLine, Tally};

/// An output format of `guichet report` (`--format table|csv|json`) and of the day review's
/// CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Aligned text, for a terminal.
    Table,
    /// CSV, one line per redemption (`;` and decimal comma in French).
    Csv,
    /// JSON: the summary and the lines.
    Json,
}

/// Writes a review in `format`, providers by their id.
pub fn render(review: &Review, format: Format, lang: Lang) -> String {
    render_named(review, format, lang, &|id| id.to_string())
}

/// Writes a review in `format`, each provider as `provider_name` calls it (the ledger knows
/// only ids; the kiosk's trust bundle knows the names). JSON keeps the ids.
pub fn render_named(
    review: &Review,
    format: Format,
    lang: Lang,
    provider_name: &dyn Fn(u32) -> String,
) -> String {
    match format {
        Format::Table => table(review, lang, provider_name),
        Format::Csv => csv_text(review, lang, provider_name),
        Format::Json => serde_json::to_string_pretty(review).unwrap_or_default() + "\n",
    }
}

/// A sync state in words, French or English.
pub fn sync_state_words(state: SyncState, lang: Lang) -> &'static str {
    let (fr, en) = match state {
        SyncState::Pending => ("en attente", "pending"),
        SyncState::Sent => ("envoyé", "sent"),
        SyncState::Accepted => ("accepté", "accepted"),
        SyncState::Conflict => ("conflit", "conflict"),
        SyncState::Rejected => ("refusé", "rejected"),
        SyncState::Held => ("en examen", "held"),
        SyncState::Unknown => ("inconnu", "unknown"),
        SyncState::Cancelled => ("annulé", "cancelled"),
    };
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

/// The platform's explanation of a line in words: the cause's message for a rejected or held
/// redemption, else the detail as the platform sent it.
pub fn sync_detail_words(line: &ReviewLine, lang: Lang) -> String {
    match (&line.cause, &line.sync_detail) {
        (Some(cause), _) => cause.message(lang.into()),
        (None, Some(detail)) => match serde_json::from_str::<ConflictDetails>(detail) {
            Ok(other) if line.sync_state == SyncState::Conflict => match lang {
                Lang::Fr => format!(
                    "déjà encaissé le {} à {} ({})",
                    other.local_day, other.center_name, other.center
                ),
                Lang::En => format!(
                    "already redeemed on {} at {} ({})",
                    other.local_day, other.center_name, other.center
                ),
            },
            _ => detail.clone(),
        },
        (None, None) => String::new(),
    }
}

/// A day "2026-11-24" as a French reader writes it ("24/11/2026"); English keeps ISO.
fn day_words(day: &str, lang: Lang) -> String {
    match (lang, day.split('-').collect::<Vec<_>>().as_slice()) {
        (Lang::Fr, [year, month, date]) => format!("{date}/{month}/{year}"),
        _ => day.to_string(),
    }
}

/// How a pass was read, in the reader's words.
fn input_words(input: InputMethod, lang: Lang) -> &'static str {
    match (input, lang) {
        (InputMethod::Camera, Lang::Fr) => "caméra",
        (InputMethod::Scanner, Lang::Fr) => "douchette",
        (InputMethod::Pasted, Lang::Fr) => "saisi",
        (InputMethod::Camera, Lang::En) => "camera",
        (InputMethod::Scanner, Lang::En) => "scanner",
        (InputMethod::Pasted, Lang::En) => "typed",
    }
}

fn local_time_of(line: &ReviewLine) -> String {
    line.occurred_at
        .parse::<Timestamp>()
        .map(|t| {
            guichet_core::day::paris_time(t)
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| line.occurred_at.clone())
}

struct Words {
    headers: [&'static str; 14],
    cancelled: &'static str,
    active: &'static str,
    title: &'static str,
    redeemed: &'static str,
    cancelled_total: &'static str,
    checkouts: &'static str,
    paid_otherwise: &'static str,
    day_total: &'static str,
    passes: (&'static str, &'static str),
    by_mediator: &'static str,
    by_area: &'static str,
    by_provider: &'static str,
    by_sync: &'static str,
    attention: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::Fr => Words {
            headers: [
                "jour",
                "heure",
                "médiateur",
                "domaine",
                "service",
                "financeur",
                "émetteur",
                "numéro",
                "valeur (€)",
                "saisie",
                "état",
                "synchronisation",
                "détail",
                "id",
            ],
            cancelled: "annulé",
            active: "valide",
            title: "Journée",
            redeemed: "Pass encaissés",
            cancelled_total: "Pass annulés",
            checkouts: "Encaissements",
            paid_otherwise: "Payé autrement",
            day_total: "Total encaissé (pass et autres paiements)",
            passes: ("pass", "pass"),
            by_mediator: "Par médiateur",
            by_area: "Par domaine",
            by_provider: "Par financeur",
            by_sync: "Par état de synchronisation",
            attention: "À examiner (conflits, refusés, en examen)",
        },
        Lang::En => Words {
            headers: [
                "day",
                "time",
                "mediator",
                "area",
                "service",
                "provider",
                "issuer",
                "serial",
                "value (€)",
                "input",
                "status",
                "sync",
                "detail",
                "id",
            ],
            cancelled: "cancelled",
            active: "valid",
            title: "Day",
            redeemed: "Coupons redeemed",
            cancelled_total: "Coupons cancelled",
            checkouts: "Checkouts",
            paid_otherwise: "Paid otherwise",
            day_total: "Total taken (coupons and other payments)",
            passes: ("coupon", "coupons"),
            by_mediator: "By mediator",
            by_area: "By area",
            by_provider: "By provider",
            by_sync: "By sync state",
            attention: "To review (conflicts, rejected, held)",
        },
    }
}

fn line_cells(
    line: &ReviewLine,
    lang: Lang,
    provider_name: &dyn Fn(u32) -> String,
) -> [String; 14] {
    let w = words(lang);
    [
        day_words(&line.local_day, lang),
        local_time_of(line),
        line.mediator.clone(),
        line.area.clone(),
        line.service.clone(),
        provider_name(line.provider),
        line.kid.clone(),
        line.serial.to_string(),
        Cents::from(line.value_cents).number(lang),
        input_words(line.input_method, lang).to_string(),
        if line.cancelled.is_some() {
            w.cancelled
        } else {
            w.active
        }
        .to_string(),
        sync_state_words(line.sync_state, lang).to_string(),
        sync_detail_words(line, lang),
        line.id.clone(),
    ]
}

fn csv_text(review: &Review, lang: Lang, provider_name: &dyn Fn(u32) -> String) -> String {
    let delimiter = match lang {
        Lang::Fr => b';',
        Lang::En => b',',
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; a failed record would only shorten the output.
    let _ = writer.write_record(words(lang).headers);
    for line in &review.lines {
        let _ = writer.write_record(line_cells(line, lang, provider_name));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}

fn table(review: &Review, lang: Lang, provider_name: &dyn Fn(u32) -> String) -> String {
    let w = words(lang);
    let s = &review.summary;
    // "2 pass, 20,00 €": the count and the total (values may differ, so no unit price).
    let tally = |t: &Tally| {
        let noun = if t.count == 1 { w.passes.0 } else { w.passes.1 };
        format!("{} {noun}, {}", t.count, Cents(t.total_cents).text(lang))
    };
    // French puts a space before the colon.
    let colon = match lang {
        Lang::Fr => " : ",
        Lang::En => ": ",
    };
    let mut out = String::new();
    let range = if s.from == s.to {
        day_words(&s.from, lang)
    } else {
        format!("{} → {}", day_words(&s.from, lang), day_words(&s.to, lang))
    };
    out += &format!("{} {range}\n", w.title);
    out += &format!("  {}{colon}{}\n", w.redeemed, tally(&s.redeemed));
    out += &format!("  {}{colon}{}\n", w.cancelled_total, tally(&s.cancelled));
    out += &format!("  {}{colon}{}\n", w.checkouts, s.checkouts);
    out += &format!(
        "  {}{colon}{}\n",
        w.paid_otherwise,
        Cents(s.paid_otherwise_cents).text(lang)
    );
    out += &format!(
        "  {}{colon}{}\n",
        w.day_total,
        Cents(s.redeemed.total_cents + s.paid_otherwise_cents).text(lang)
    );
    let mut group = |title: &str, rows: Vec<(String, Tally)>| {
        out += &format!("{title}\n");
        for (key, t) in rows {
            out += &format!("  {key:<24} {}\n", tally(&t));
        }
    };
    group(
        w.by_mediator,
        s.by_mediator.iter().map(|(k, t)| (k.clone(), *t)).collect(),
    );
    group(
        w.by_area,
        s.by_area.iter().map(|(k, t)| (k.clone(), *t)).collect(),
    );
    group(
        w.by_provider,
        s.by_provider
            .iter()
            .map(|(k, t)| (provider_name(*k), *t))
            .collect(),
    );
    group(
        w.by_sync,
        s.by_sync_state
            .iter()
            .map(|(k, t)| (sync_state_words(*k, lang).to_string(), *t))
            .collect(),
    );
    out += "\n";
    let rows: Vec<[String; 14]> = review
        .lines
        .iter()
        .map(|l| line_cells(l, lang, provider_name))
        .collect();
    // The id and detail columns make the table too wide for a terminal; CSV and JSON have them.
    let shown = 12;
    let mut widths = [0usize; 14];
    for (i, header) in w.headers.iter().enumerate() {
        widths[i] = header.chars().count();
    }
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let format_row = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    out += &format_row(w.headers[..shown].to_vec());
    for row in &rows {
        out += &format_row(row[..shown].iter().map(String::as_str).collect());
    }
    // What the table leaves out for width, but a person must act on: each line in conflict,
    // rejected or held, with the platform's reason.
    let attention: Vec<(&ReviewLine, &[String; 14])> = review
        .lines
        .iter()
        .zip(&rows)
        .filter(|(line, _)| line.sync_state.needs_attention())
        .collect();
    if !attention.is_empty() {
        out += &format!("\n{}\n", w.attention);
        for (line, row) in attention {
            out += &format!(
                "  {} {}  {} {}  {}: {}\n",
                row[0],
                row[1],
                row[6],
                row[7],
                sync_state_words(line.sync_state, lang),
                sync_detail_words(line, lang)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// `guichet report --format` keeps its words.
    #[cfg(feature = "clap")]
    #[test]
    fn each_format_keeps_its_command_line_word() {
        use super::Format;
        use clap::ValueEnum;
        let words = [
            (Format::Table, "table"),
            (Format::Csv, "csv"),
            (Format::Json, "json"),
        ];
        for (format, word) in words {
            assert_eq!(format.to_possible_value().unwrap().get_name(), word);
            assert_eq!(Format::from_str(word, false), Ok(format));
        }
        assert_eq!(Format::value_variants().len(), words.len());
    }
}
