//! The public finder (issue 25, point 5): how a beneficiary finds a center near them. No
//! login, no cookie, no script; readable on a phone. It lists the centers the operator
//! qualified, with their address and workshops, searchable by postcode (or its first digits,
//! a département), zone and area. Nothing of a center's legal or banking data is shown.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{Area, FinderCenter, FinderQuery, Referential};
use crate::pages::center_workshops::area_name;
use crate::web::Fail;

/// The finder's path (outside the console: it needs no account).
pub const PATH: &str = "/trouver";

/// The finder's query, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Search {
    /// A postcode or its first digits.
    #[serde(default)]
    code_postal: String,
    /// A zone's number.
    #[serde(default)]
    zone: String,
    /// An area's code.
    #[serde(default)]
    domaine: String,
    /// `en` for English.
    #[serde(default)]
    lang: String,
}

impl Search {
    /// The query checked, or what is wrong with it in `lang`.
    fn parse(&self, lang: Lang) -> Result<FinderQuery, &'static str> {
        let postcode = self.code_postal.trim();
        let postcode =
            match postcode {
                "" => None,
                digits
                    if (2..=5).contains(&digits.len())
                        && digits.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Some(digits.to_owned())
                }
                _ => return Err(lang.t(
                    "Le code postal : de 2 à 5 chiffres (par exemple 33 pour toute la Gironde).",
                    "The postcode: 2 to 5 digits (for example 33 for the whole Gironde).",
                )),
            };
        let zone = match self.zone.trim() {
            "" => None,
            text => Some(
                text.parse::<u32>()
                    .map_err(|_| lang.t("Zone inconnue.", "Unknown zone."))?,
            ),
        };
        let area = match self.domaine.trim() {
            "" => None,
            text => Some(
                text.parse::<Area>()
                    .map_err(|_| lang.t("Domaine inconnu.", "Unknown area."))?,
            ),
        };
        Ok(FinderQuery {
            postcode,
            zone,
            area,
        })
    }

    /// The same search in `lang` (the language switch keeps what was asked).
    fn link(&self, lang: Lang) -> String {
        let mut query = filled_fields(self);
        if lang == Lang::En {
            query.push(("lang", "en".to_owned()));
        }
        let text: Vec<String> = query
            .iter()
            .map(|(key, value)| {
                format!(
                    "{key}={}",
                    percent_encoding::utf8_percent_encode(
                        value,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                )
            })
            .collect();
        if text.is_empty() {
            PATH.to_owned()
        } else {
            format!("{PATH}?{}", text.join("&"))
        }
    }
}

/// The search's non-empty fields as pairs.
fn filled_fields(search: &Search) -> Vec<(&'static str, String)> {
    [
        ("code_postal", &search.code_postal),
        ("zone", &search.zone),
        ("domaine", &search.domaine),
    ]
    .into_iter()
    .filter(|(_, value)| !value.trim().is_empty())
    .map(|(key, value)| (key, value.trim().to_owned()))
    .collect()
}

/// `GET /trouver?code_postal=&zone=&domaine=&lang=`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Query(search): Query<Search>,
) -> Result<Response, Fail> {
    let lang = if search.lang == "en" {
        Lang::En
    } else {
        Lang::Fr
    };
    let places = backend.places().await.map_err(Fail::backend(lang))?;
    let referential = backend
        .referential()
        .await
        .map_err(Fail::backend(lang))?
        .map(|view| view.referential);
    let (status, found) = match search.parse(lang) {
        Ok(query) => {
            let asked = query != FinderQuery::default();
            let centers = backend
                .find_centers(&query)
                .await
                .map_err(Fail::backend(lang))?;
            (StatusCode::OK, Ok((asked, centers)))
        }
        Err(why) => (StatusCode::BAD_REQUEST, Err(why)),
    };
    let body = html! {
        p { (lang.t(
            "Avec un Pass numérique, un atelier d'accompagnement au numérique est payé par le coupon. Cherchez un lieu près de chez vous : il vous suffit d'y apporter vos coupons.",
            "With a Pass numérique, a digital skills workshop is paid for by the coupon. Look for a place near you: just bring your coupons there.")) }
        form.stack.search method="get" action=(PATH) role="search" aria-labelledby="search-title" {
            h2 #search-title { (lang.t("Chercher un lieu", "Find a place")) }
            @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
            label for="code_postal" { (lang.t("Code postal ou département", "Postcode or département")) }
            input #code_postal type="text" name="code_postal" value=(search.code_postal)
                inputmode="numeric" autocomplete="postal-code" maxlength="5";
            label for="zone" { (lang.t("Territoire", "Area of the country")) }
            select #zone name="zone" {
                option value="" { (lang.t("tous", "all")) }
                @for (id, name) in &places.zones {
                    option value=(id) selected[search.zone.trim() == id.to_string()] { (name) }
                }
            }
            label for="domaine" { (lang.t("Ce que vous voulez apprendre", "What you want to learn")) }
            select #domaine name="domaine" {
                option value="" { (lang.t("tout", "anything")) }
                @for area in Area::ALL {
                    option value=(area.code()) selected[search.domaine.trim() == area.code()] {
                        (area_name(lang, referential.as_ref(), area))
                    }
                }
            }
            button type="submit" { (lang.t("Chercher", "Search")) }
        }
        @match &found {
            Err(why) => { p.message #search-error role="alert" { (why) } }
            Ok((asked, centers)) => { (results(lang, *asked, centers, referential.as_ref())) }
        }
    };
    Ok((status, page(lang, &search, body)).into_response())
}

/// The list of centers found.
fn results(
    lang: Lang,
    asked: bool,
    centers: &[FinderCenter],
    referential: Option<&Referential>,
) -> Markup {
    html! {
        h2 #results-title {
            (centers.len())
            (if centers.len() == 1 { lang.t(" lieu", " place") } else { lang.t(" lieux", " places") })
            @if asked { (lang.t(" pour votre recherche", " for your search")) }
        }
        @if centers.is_empty() {
            p #no-result { (lang.t(
                "Aucun lieu qualifié ne correspond. Essayez seulement les deux premiers chiffres du code postal, ou un autre domaine.",
                "No qualified place matches. Try only the first two digits of the postcode, or another area.")) }
        }
        ul.places #results aria-labelledby="results-title" {
            @for center in centers {
                li.place id=(format!("place-{}", center.id)) {
                    h3 { (center.name) }
                    p.address { (center.address) br; (center.postcode) " " (center.town)
                        @if let Some(zone) = &center.zone { br; (zone) } }
                    @if center.workshops.is_empty() {
                        p { (lang.t("Ateliers : renseignez-vous sur place.", "Workshops: ask there.")) }
                    } @else {
                        ul.workshops aria-label=(format!("{} {}", lang.t("Ateliers de", "Workshops of"), center.name)) {
                            @for workshop in &center.workshops {
                                li {
                                    strong { (workshop.declared.name) }
                                    " — " (area_name(lang, referential, workshop.declared.area))
                                    " — " (workshop.declared.minutes.get()) " min"
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The finder's page: no navigation, no account; the language switch keeps the search.
fn page(lang: Lang, search: &Search, body: Markup) -> Html<String> {
    let other = lang.other();
    let title = lang.t(
        "Trouver un lieu pour utiliser son Pass numérique",
        "Find a place to use your Pass numérique",
    );
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — Guichet" }
                    link rel="stylesheet" href="/console/console.css";
                }
                body {
                    a.skip href="#main" { (lang.t("Aller au contenu", "Skip to content")) }
                    header.top {
                        p.brand { "Guichet — " (lang.t("annuaire des lieux", "places finder")) }
                        a.lang href=(search.link(other)) lang=(other.code()) hreflang=(other.code()) {
                            (other.t("Français", "English"))
                        }
                    }
                    main #main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
        .into_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(code_postal: &str, zone: &str, domaine: &str) -> Search {
        Search {
            code_postal: code_postal.to_owned(),
            zone: zone.to_owned(),
            domaine: domaine.to_owned(),
            lang: String::new(),
        }
    }

    #[test]
    fn a_search_is_read_strictly_and_its_link_keeps_it() {
        let query = search(" 33 ", "4", "2.2").parse(Lang::Fr).unwrap();
        assert_eq!(query.postcode.as_deref(), Some("33"));
        assert_eq!((query.zone, query.area), (Some(4), Some(Area::A2_2)));
        assert_eq!(
            search("", "", "").parse(Lang::Fr).unwrap(),
            FinderQuery::default()
        );
        for bad in [
            search("3", "", ""),
            search("330000", "", ""),
            search("33%", "", ""),
            search("", "x", ""),
            search("", "", "4.1"),
        ] {
            assert!(bad.parse(Lang::Fr).is_err(), "{bad:?}");
        }
        assert_eq!(
            search("33", "", "2.2").link(Lang::En),
            "/trouver?code_postal=33&domaine=2%2E2&lang=en"
        );
        assert_eq!(search("", "", "").link(Lang::Fr), "/trouver");
    }
}
