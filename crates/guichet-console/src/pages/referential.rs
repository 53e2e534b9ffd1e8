//! The services referential (admin, auditor): its 3 levels, 9 areas and the services of each
//! area, as the kiosks show them; an import or an edit of it (admin, privilege mode, audited),
//! pasted or uploaded in the format `guichet-platform referential import` reads (JSON, or CSV
//! `type,code,fr,en` with a version), checked by the platform before it replaces anything.
//! The new referential reaches the kiosks with the next published bundle.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::{html, Markup};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::backend::{BackendError, ConsoleBackend};
use crate::i18n::Lang;
use crate::model::{Permission, Referential, ReferentialView};
use crate::pages::{layout, privilege_status};
use crate::session::{current, posting, Current};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// Where the page is.
const PATH: &str = "/console/referential";
/// The largest text taken (the real referential, 129 services, is about 20 KB).
pub const MAX_TEXT_BYTES: usize = 512 * 1024;
/// The longest version kept.
const MAX_VERSION_CHARS: usize = 64;

/// `GET /console/referential`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadPlaces)?;
    let view = backend
        .referential()
        .await
        .map_err(Fail::backend(current.lang))?;
    let (text, version) = match &view {
        Some(view) => (view.csv.clone(), view.referential.version.clone()),
        None => (String::new(), String::new()),
    };
    Ok(page(&current, view.as_ref(), &text, &version, None).into_response())
}

/// The page: the referential, and for an admin the form (with `text` and `version` in it,
/// and `error` above it when the last one was refused).
fn page(
    current: &Current,
    view: Option<&ReferentialView>,
    text: &str,
    version: &str,
    error: Option<&str>,
) -> axum::response::Html<String> {
    let lang = current.lang;
    let manage = current.account.role.may(Permission::ManageReferential);
    let now = Timestamp::now().as_second();
    let body = html! {
        @match view {
            Some(view) => { (listing(&view.referential, lang)) }
            None => {
                p #none { (lang.t(
                    "Aucun référentiel n'est encore importé : aucun passage ne peut être vérifié ni aucun paquet préparé.",
                    "No referential imported yet: no redemption can be checked nor any bundle drafted.")) }
            }
        }
        @if manage { (form(current, text, version, error, now)) }
    };
    layout(
        lang,
        lang.t("Référentiel des services", "Services referential"),
        Some(current),
        PATH,
        body,
    )
}

/// The levels, the areas and their services.
fn listing(referential: &Referential, lang: Lang) -> Markup {
    let name = |text: &guichet_core::bundle::document::LocalizedText| match lang {
        Lang::Fr => text.fr.clone(),
        Lang::En => text.en.clone(),
    };
    html! {
        dl.facts {
            div { dt { (lang.t("Version", "Version")) } dd #version { code { (referential.version) } } }
            div { dt { (lang.t("Services", "Services")) } dd #count { (referential.services.len()) } }
            @if referential.example {
                div { dt { (lang.t("Attention", "Warning")) } dd.off { (lang.t(
                    "données d'exemple, pas le référentiel réel",
                    "example data, not the real referential")) } }
            }
        }
        table #levels {
            caption { (lang.t("Les 3 niveaux", "The 3 levels")) }
            thead { tr {
                th scope="col" { (lang.t("Niveau", "Level")) }
                th scope="col" { (lang.t("Nom", "Name")) }
            } }
            tbody {
                @for level in &referential.levels {
                    tr { th scope="row" { (level.level) } td { (name(&level.name)) } }
                }
            }
        }
        h2 { (lang.t("Les 9 domaines et leurs services", "The 9 areas and their services")) }
        @for area in &referential.areas {
            table id=(format!("area-{}", area.code)) {
                caption { strong { (area.code) " — " (name(&area.name)) } }
                thead { tr {
                    th scope="col" { (lang.t("Code", "Code")) }
                    th scope="col" { "Français" }
                    th scope="col" { "English" }
                } }
                tbody {
                    @let services: Vec<_> = referential.services.iter().filter(|s| s.area == area.code).collect();
                    @if services.is_empty() {
                        tr { td colspan="3" { (lang.t("Aucun service.", "No service.")) } }
                    }
                    @for service in services {
                        tr {
                            th scope="row" { code { (service.code) } }
                            td lang="fr" { (service.name.fr) }
                            td lang="en" { (service.name.en) }
                        }
                    }
                }
            }
        }
    }
}

/// The import and edit form.
fn form(current: &Current, text: &str, version: &str, error: Option<&str>, now: i64) -> Markup {
    let lang = current.lang;
    html! {
        section aria-labelledby="import-title" {
            h2 #import-title { (lang.t("Importer ou modifier le référentiel", "Import or edit the referential")) }
            p { (lang.t(
                "Le texte ci-dessous est le référentiel en vigueur au format CSV type,code,fr,en (level, area, service) : modifiez-le, ou remplacez-le par un fichier JSON ou CSV, comme pour guichet-platform referential import. La plateforme le vérifie (3 niveaux, 9 domaines, codes de service uniques) avant de remplacer quoi que ce soit ; il part aux bornes avec le prochain paquet publié.",
                "The text below is the referential in force as CSV type,code,fr,en (level, area, service): edit it, or replace it with a JSON or CSV file, as for guichet-platform referential import. The platform checks it (3 levels, 9 areas, unique service codes) before replacing anything; it reaches the kiosks with the next published bundle.")) }
            (privilege_status(current, now, PATH))
            @if let Some(error) = error {
                p.message #refused role="alert" { (error) }
            }
            form.wide method="post" action=(PATH) enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(current.session.csrf);
                label for="ref-version" { (lang.t("Version (obligatoire pour un CSV ; remplace celle d'un JSON)", "Version (required for CSV; replaces a JSON file's)")) }
                input #ref-version type="text" name="version" value=(version) maxlength="64";
                label for="ref-text" { (lang.t("Texte du référentiel (CSV ou JSON)", "Referential text (CSV or JSON)")) }
                textarea #ref-text name="text" rows="16" spellcheck="false" { (text) }
                label for="ref-file" { (lang.t("Ou un fichier (remplace le texte)", "Or a file (replaces the text)")) }
                input #ref-file type="file" name="file" accept=".csv,.json,text/csv,application/json";
                button type="submit" { (lang.t("Vérifier et enregistrer", "Check and save")) }
            }
        }
    }
}

/// The form's fields, read from its multipart body.
#[derive(Default)]
struct Fields {
    csrf: String,
    version: String,
    text: String,
    file: Option<(String, String)>,
}

/// Reads the form (a field too large or not UTF-8 is refused).
async fn fields(mut multipart: Multipart, lang: Lang) -> Result<Fields, Fail> {
    let bad = |fr: &'static str, en: &'static str| {
        Fail::page(StatusCode::BAD_REQUEST, lang, lang.t(fr, en))
    };
    let mut fields = Fields::default();
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|_| bad("Formulaire illisible.", "The form could not be read."))?;
        let Some(field) = field else {
            return Ok(fields);
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| {
            bad(
                "Formulaire illisible ou trop grand.",
                "The form could not be read or is too large.",
            )
        })?;
        if bytes.len() > MAX_TEXT_BYTES {
            return Err(bad(
                "Texte trop long (512 Kio au plus).",
                "Text too long (at most 512 KiB).",
            ));
        }
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| bad("Le texte doit être en UTF-8.", "The text must be UTF-8."))?;
        match name.as_str() {
            "csrf" => fields.csrf = text,
            "version" => fields.version = text,
            "text" => fields.text = text,
            "file" if !text.is_empty() => {
                fields.file = Some((file_name.unwrap_or_default(), text));
            }
            _ => {}
        }
    }
}

/// `POST /console/referential`: the text (or the uploaded file) replaces the referential if
/// the platform reads and checks it; else the page again, with the reason and the text kept.
pub async fn import<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, Fail> {
    let lang = crate::i18n::Lang::of(&headers);
    let form = fields(multipart, lang).await?;
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManageReferential)?;
    current.require_privilege(Timestamp::now().as_second(), PATH)?;
    let version = form.version.trim();
    if version.chars().count() > MAX_VERSION_CHARS || version.chars().any(char::is_control) {
        return Err(Fail::page(
            StatusCode::BAD_REQUEST,
            lang,
            lang.t(
                "Une version (une ligne, 64 caractères au plus).",
                "A version (one line, at most 64 characters).",
            ),
        ));
    }
    let (source, text) = match form.file {
        Some((name, text)) => (format!("file:{name}"), text),
        None => ("text".to_owned(), form.text),
    };
    let audit = current.audit(
        address,
        "referential.import",
        "referential",
        None,
        Some(json!({
            "source": source,
            "sha256": hex::encode(Sha256::digest(text.as_bytes())),
        })),
    );
    let version = (!version.is_empty()).then_some(version);
    match backend.set_referential(&text, version, &audit).await {
        Ok(_) => Ok(see_other(PATH, Vec::new())),
        Err(BackendError::Refused(reason)) => {
            let view = backend.referential().await.map_err(Fail::backend(lang))?;
            let message = format!(
                "{}{reason}",
                lang.t(
                    "Référentiel refusé, rien n'a changé : ",
                    "Referential refused, nothing changed: "
                )
            );
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    &current,
                    view.as_ref(),
                    &text,
                    version.unwrap_or(""),
                    Some(&message),
                ),
            )
                .into_response())
        }
        Err(failed) => Err(Fail::backend(lang)(failed)),
    }
}
