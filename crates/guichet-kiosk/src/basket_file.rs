//! The open basket on disk (`basket.json` in the data directory, `schema/basket.md`), so that
//! a learner's basket survives a restart of the kiosk until it is committed or emptied.
//!
//! Not in the ledger: the ledger records what was accepted, append-only and chained, and a
//! basket is a draft that changes with every scan. The file holds the codes as read; they are
//! decoded again when it is loaded, and verified again, as always, by "Encaisser".

use std::path::{Path, PathBuf};

use guichet_ledger::{Basket, InputMethod, Workshop};
use serde::{Deserialize, Serialize};

use crate::text::Problem;

/// The file's name inside the data directory.
pub const BASKET_FILE: &str = "basket.json";

/// What a file that cannot be read is renamed to (kept for a person to look at).
const UNREADABLE_SUFFIX: &str = "unreadable";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BasketFile {
    /// Always 1.
    version: u32,
    /// Area code, e.g. `1.1`.
    area: String,
    /// Service code.
    service: String,
    /// Cents paid otherwise.
    paid_otherwise_cents: u32,
    /// The coupons, in scan order.
    coupons: Vec<CouponLine>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CouponLine {
    /// The code as read, trimmed (`PN1:…`).
    code: String,
    /// How it was read.
    input: InputMethod,
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(BASKET_FILE)
}

/// Writes the basket (atomically, owner-only), or removes the file when there is nothing open.
pub(crate) fn save(data_dir: &Path, basket: Option<&Basket>) -> Result<(), Problem> {
    let not_saved = |e: std::io::Error| {
        Problem::local(
            "BASKET_NOT_SAVED",
            "Panier non enregistré sur le disque (il serait perdu au redémarrage)",
            "Basket not saved to disk (a restart would lose it)",
            e,
        )
    };
    let open = basket.filter(|b| !b.coupons().is_empty() || b.paid_otherwise_cents > 0);
    let Some(basket) = open else {
        return match std::fs::remove_file(path(data_dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(not_saved(e)),
            _ => Ok(()),
        };
    };
    let file = BasketFile {
        version: 1,
        area: basket.workshop.area.code().to_string(),
        service: basket.workshop.service.clone(),
        paid_otherwise_cents: basket.paid_otherwise_cents,
        coupons: basket
            .coupons()
            .iter()
            .map(|c| CouponLine {
                code: c.code.clone(),
                input: c.input,
            })
            .collect(),
    };
    let bytes = serde_json::to_vec_pretty(&file).map_err(|e| not_saved(e.into()))?;
    guichet_sync::files::write_atomically(&path(data_dir), &bytes, true).map_err(not_saved)
}

/// Why a saved basket was not taken back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not the format of `schema/basket.md`.
    #[error("{0}")]
    Format(String),
}

/// The basket saved before the last stop, if any. A file that cannot be read is moved aside
/// (`basket.json.unreadable`) and reported; the kiosk starts with an empty basket.
pub(crate) fn load(data_dir: &Path) -> Result<Option<Basket>, (LoadError, Option<PathBuf>)> {
    let file = path(data_dir);
    let bytes = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err((e.into(), None)),
    };
    parse(&bytes).map(Some).map_err(|error| {
        let aside = file.with_extension(format!("json.{UNREADABLE_SUFFIX}"));
        let kept = std::fs::rename(&file, &aside).ok().map(|()| aside);
        (error, kept)
    })
}

fn parse(bytes: &[u8]) -> Result<Basket, LoadError> {
    let file: BasketFile =
        serde_json::from_slice(bytes).map_err(|e| LoadError::Format(e.to_string()))?;
    if file.version != 1 {
        return Err(LoadError::Format(format!("version {}", file.version)));
    }
    let area = file
        .area
        .parse()
        .map_err(|_| LoadError::Format(format!("area {:?}", file.area)))?;
    let mut basket = Basket::new(Workshop {
        area,
        service: file.service,
    });
    basket.paid_otherwise_cents = file.paid_otherwise_cents;
    for line in file.coupons {
        basket
            .add(line.code.as_bytes(), line.input)
            .map_err(|e| LoadError::Format(format!("{}: {e}", line.code)))?;
    }
    Ok(basket)
}
