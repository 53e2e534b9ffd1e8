//! What a mediator reads: the verdict's message in French and English, and a serialisable
//! report of a verdict for the CLI, the UI and the test vectors.

use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};

use crate::area::Area;
use crate::bundle::TrustBundle;
use crate::code::Malformed;
use crate::day;
use crate::money::Cents;
use crate::verify::{Outcome, PriorRedemption, ScopeMismatch, Verdict};

/// A language of the kiosk: the window's, the CLI's output, the messages; `fr` and `en` in
/// files, settings and the window API (the one language type, issue 27). Those words come
/// from serde and from strum (`<&str>::from`, `str::parse`, [`strum::VariantNames`]), alike.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantNames,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Lang {
    /// French, the default.
    #[default]
    Fr,
    /// English.
    En,
}

fn date(date: Date, lang: Lang) -> String {
    match lang {
        Lang::Fr => date.strftime("%d/%m/%Y").to_string(),
        Lang::En => date.to_string(),
    }
}

fn date_time(moment: DateTime, lang: Lang) -> String {
    match lang {
        Lang::Fr => moment.strftime("le %d/%m/%Y à %H:%M").to_string(),
        Lang::En => moment.strftime("on %Y-%m-%d at %H:%M").to_string(),
    }
}

fn areas(areas: &[Area]) -> String {
    areas
        .iter()
        .map(|a| a.code())
        .collect::<Vec<_>>()
        .join(", ")
}

fn malformed_cause(cause: Malformed, lang: Lang) -> &'static str {
    match (lang, cause) {
        (Lang::Fr, Malformed::Prefix) => "ce n'est pas un code Pass numérique",
        (Lang::Fr, Malformed::Alphabet) => "caractère interdit",
        (Lang::Fr, Malformed::Base45) => "encodage abîmé",
        (Lang::Fr, Malformed::Length) => "longueur incorrecte",
        (Lang::Fr, Malformed::Version) => "version de code inconnue",
        (Lang::Fr, Malformed::Flags) => "options inconnues",
        (Lang::Fr, Malformed::ScopeBits) => "domaines inconnus",
        (Lang::Fr, Malformed::Dates) => "dates incohérentes",
        (Lang::En, Malformed::Prefix) => "not a Pass numérique code",
        (Lang::En, Malformed::Alphabet) => "forbidden character",
        (Lang::En, Malformed::Base45) => "damaged encoding",
        (Lang::En, Malformed::Length) => "wrong length",
        (Lang::En, Malformed::Version) => "unknown code version",
        (Lang::En, Malformed::Flags) => "unknown options",
        (Lang::En, Malformed::ScopeBits) => "unknown areas",
        (Lang::En, Malformed::Dates) => "inconsistent dates",
    }
}

/// The message a mediator reads for a verdict.
pub fn message(verdict: &Verdict, lang: Lang) -> String {
    let value = verdict
        .coupon
        .map(|c| Cents::from(c.value_cents).text(lang));
    let value = value.unwrap_or_default();
    match (&verdict.outcome, lang) {
        (Outcome::Ok, Lang::Fr) => format!("Pass valable : {value}."),
        (Outcome::Ok, Lang::En) => format!("Valid coupon: {value}."),
        (Outcome::Malformed(cause), Lang::Fr) => format!(
            "Code illisible ({}). Rescannez ; si cela persiste, refusez le pass.",
            malformed_cause(*cause, lang)
        ),
        (Outcome::Malformed(cause), Lang::En) => format!(
            "Unreadable code ({}). Scan again; if it persists, refuse the coupon.",
            malformed_cause(*cause, lang)
        ),
        (Outcome::UnknownIssuer, Lang::Fr) => {
            "Émetteur inconnu : ce pass n'a pas été signé par une clé \
             connue du kiosque. Synchronisez le kiosque puis réessayez."
                .into()
        }
        (Outcome::UnknownIssuer, Lang::En) => {
            "Unknown issuer: this coupon was not signed by a key the kiosk \
             knows. Sync the kiosk and try again."
                .into()
        }
        (Outcome::BadSignature, Lang::Fr) => {
            "Signature invalide : pass modifié ou contrefait. Refusez-le.".into()
        }
        (Outcome::BadSignature, Lang::En) => {
            "Invalid signature: altered or forged coupon. Refuse it.".into()
        }
        (Outcome::IssuerRevoked, Lang::Fr) => {
            "Émetteur révoqué : la clé qui a signé ce pass est compromise. Refusez-le.".into()
        }
        (Outcome::IssuerRevoked, Lang::En) => {
            "Issuer revoked: the key that signed this coupon is compromised. Refuse it.".into()
        }
        (Outcome::NotYetValid { valid_from }, _) => match lang {
            Lang::Fr => format!(
                "Pas encore valable : utilisable à partir du {}.",
                date(*valid_from, lang)
            ),
            Lang::En => format!("Not valid yet: usable from {}.", date(*valid_from, lang)),
        },
        (
            Outcome::Expired {
                valid_until,
                grace_until,
            },
            _,
        ) => match lang {
            Lang::Fr => format!(
                "Pass expiré : valable jusqu'au {}, tolérance terminée le {}.",
                date(*valid_until, lang),
                date(*grace_until, lang)
            ),
            Lang::En => format!(
                "Expired coupon: valid until {}, grace period ended {}.",
                date(*valid_until, lang),
                date(*grace_until, lang)
            ),
        },
        (Outcome::Revoked, Lang::Fr) => {
            "Pass révoqué (carnet déclaré perdu ou volé). Refusez-le.".into()
        }
        (Outcome::Revoked, Lang::En) => {
            "Revoked coupon (booklet reported lost or stolen). Refuse it.".into()
        }
        (Outcome::OutOfScope(ScopeMismatch::Area { workshop, allowed }), _) => match lang {
            Lang::Fr => format!(
                "Non valable pour ce domaine ({workshop}) : ce pass est réservé aux domaines {}.",
                areas(allowed)
            ),
            Lang::En => format!(
                "Not valid for this area ({workshop}): this coupon is for areas {} only.",
                areas(allowed)
            ),
        },
        (
            Outcome::OutOfScope(ScopeMismatch::Zone {
                coupon_zone,
                coupon_zone_name,
            }),
            _,
        ) => {
            let zone = match coupon_zone_name {
                Some(name) => format!("{name} ({coupon_zone})"),
                None => coupon_zone.to_string(),
            };
            match lang {
                Lang::Fr => format!(
                    "Non valable dans ce territoire : ce pass est réservé à la zone {zone}."
                ),
                Lang::En => format!("Not valid here: this coupon is for zone {zone} only."),
            }
        }
        (Outcome::AlreadyRedeemed(prior), _) => {
            let PriorRedemption {
                redeemed_at,
                center,
                mediator,
            } = prior;
            match lang {
                Lang::Fr => format!(
                    "Déjà encaissé {}, à {center}, par {mediator}. Refusez-le.",
                    date_time(*redeemed_at, lang)
                ),
                Lang::En => format!(
                    "Already used {}, at {center}, by {mediator}. Refuse it.",
                    date_time(*redeemed_at, lang)
                ),
            }
        }
    }
}

/// A verdict as the CLI prints it in JSON and the UI receives it. Fields of the coupon are
/// absent when the code could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The verdict's name, such as `"OK"`.
    pub verdict: &'static str,
    /// The `MALFORMED` cause, such as `"BASE45"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'static str>,
    /// The issuer key id, in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The coupon's serial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<u64>,
    /// Its face value in cents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_cents: Option<u32>,
    /// Its issue day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<Date>,
    /// Its last valid day (before grace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
    /// Its provider id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<u32>,
    /// The provider's name, if the bundle lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    /// The raw scope bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<u16>,
    /// The areas the coupon may pay for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_areas: Option<Vec<Area>>,
    /// Its zone (0 = anywhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<u32>,
    /// The first acceptance, for `ALREADY_REDEEMED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_redeemed: Option<PriorRedemption>,
    /// The message in French.
    pub message_fr: String,
    /// The message in English.
    pub message_en: String,
}

impl Report {
    /// The report of a verdict reached with `bundle`.
    pub fn new(verdict: &Verdict, bundle: &TrustBundle) -> Report {
        let coupon = verdict.coupon.as_ref();
        Report {
            verdict: verdict.code(),
            cause: verdict.malformed_cause().map(Malformed::code),
            kid: coupon.map(|c| c.kid.to_hex()),
            serial: coupon.map(|c| c.serial),
            value_cents: coupon.map(|c| c.value_cents),
            issued_on: coupon.map(|c| day::date_of(c.issued_on)),
            valid_until: coupon.map(|c| day::date_of(c.valid_until)),
            provider: coupon.map(|c| c.provider),
            provider_name: coupon
                .and_then(|c| bundle.provider_name(c.provider))
                .map(str::to_owned),
            scope: coupon.map(|c| c.scope.0),
            allowed_areas: coupon.map(|c| c.scope.areas()),
            zone: coupon.map(|c| c.zone),
            already_redeemed: match &verdict.outcome {
                Outcome::AlreadyRedeemed(prior) => Some(prior.clone()),
                _ => None,
            },
            message_fr: message(verdict, Lang::Fr),
            message_en: message(verdict, Lang::En),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_dates_follow_each_language() {
        assert_eq!(Cents(1000).text(Lang::Fr), "10,00 €");
        assert_eq!(Cents(1005).text(Lang::En), "€10.05");
        let d = jiff::civil::date(2027, 1, 31);
        assert_eq!(date(d, Lang::Fr), "31/01/2027");
        assert_eq!(date(d, Lang::En), "2027-01-31");
        let t = d.at(14, 5, 0, 0);
        assert_eq!(date_time(t, Lang::Fr), "le 31/01/2027 à 14:05");
    }

    #[test]
    fn each_language_has_one_word() {
        use strum::VariantNames;
        let words = [(Lang::Fr, "fr"), (Lang::En, "en")];
        for (lang, word) in words {
            assert_eq!(<&str>::from(lang), word);
            assert_eq!(word.parse::<Lang>(), Ok(lang));
            assert_eq!(serde_json::to_string(&lang).unwrap(), format!("\"{word}\""));
            assert_eq!(
                serde_json::from_str::<Lang>(&format!("\"{word}\"")).unwrap(),
                lang
            );
        }
        assert_eq!(Lang::VARIANTS, words.map(|(_, word)| word));
        assert!("FR".parse::<Lang>().is_err());
    }
}
