//! Keys and bundles (admin, auditor): the published trust bundles (sequence, issued, age), what
//! the next draft changes against the newest published one (the same list the offline signer
//! shows before it signs), the draft file to carry to the signer (admin), and the import of the
//! file it signed (admin, privilege mode, audited).

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use guichet_core::bundle::diff::{Named, Rule, What};
use guichet_core::bundle::document::KeyStatus;
use jiff::Timestamp;
use maud::{html, Markup};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{BundlesView, Permission};
use crate::pages::{layout, privilege_status, utc_instant};
use crate::session::{current, posting, Current};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// Days a draft downloaded here stays valid (as `bundle draft`'s default).
pub const DRAFT_DAYS: u32 = 30;

/// `GET /console/bundles`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ReadBundles)?;
    let lang = current.lang;
    let now = Timestamp::now();
    let view = backend.bundles(now).await.map_err(Fail::backend(lang))?;
    let manage = current.account.role.may(Permission::ManageBundles);
    let body = html! {
        (history(&view, now, lang))
        (changes(&view, lang))
        @if manage { (carry(&current, &view, now.as_second())) }
    };
    Ok(layout(
        lang,
        lang.t("Clés et paquets de confiance", "Keys and trust bundles"),
        Some(&current),
        "/console/bundles",
        body,
    )
    .into_response())
}

/// The published bundles.
fn history(view: &BundlesView, now: Timestamp, lang: Lang) -> Markup {
    html! {
        table #bundles {
            caption { (lang.t("Paquets publiés, le plus récent d'abord", "Published bundles, newest first")) }
            thead { tr {
                th scope="col" { (lang.t("Numéro", "Sequence")) }
                th scope="col" { (lang.t("Émis le", "Issued")) }
                th.number scope="col" { (lang.t("Âge (jours)", "Age (days)")) }
                th scope="col" { (lang.t("Expire le", "Expires")) }
            } }
            tbody {
                @for bundle in &view.published {
                    tr {
                        th scope="row" { (bundle.sequence) }
                        td { (utc_instant(&bundle.issued_at)) }
                        td.number {
                            @if let Ok(issued) = bundle.issued_at.parse::<Timestamp>() {
                                ((now.as_second() - issued.as_second()).max(0) / 86_400)
                            }
                        }
                        td { (utc_instant(&bundle.expires_at)) }
                    }
                }
            }
        }
    }
}

/// What the next bundle changes.
fn changes(view: &BundlesView, lang: Lang) -> Markup {
    html! {
        h2 #changes-title { (lang.t("Ce que change le prochain paquet", "What the next bundle changes")) " (n° " (view.next) ")" }
        @if view.changes.is_empty() {
            p #no-change { (lang.t("Rien, sauf les dates.", "Nothing but the dates.")) }
        } @else {
            ul #changes aria-labelledby="changes-title" {
                @for change in &view.changes {
                    li {
                        @if change.widens {
                            strong.off { (lang.t("ÉLARGIT LA CONFIANCE", "WIDENS TRUST")) } " "
                        }
                        (change_words(&change.what, lang))
                    }
                }
            }
        }
    }
}

/// An issuer key's status, in French (a key, "clé", is feminine).
fn status_fr(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Retired => "retirée",
        KeyStatus::Compromised => "compromise",
    }
}

/// Serials of a key, in French: `KID coupon n° 5` or `KID coupons n° 1 à 10`.
fn serials_fr(kid: &impl std::fmt::Display, first: u64, last: u64) -> String {
    if first == last {
        format!("{kid}, coupon n° {first}")
    } else {
        format!("{kid}, coupons n° {first} à {last}")
    }
}

/// One change of the next bundle, in `lang`: in English the signer's own line, in French the
/// same facts in French words (from the typed item, never from the English text).
pub fn change_words(what: &What, lang: Lang) -> String {
    if lang == Lang::En {
        return what.to_string();
    }
    let list = |list: Named, masculine: &'static str, feminine: &'static str| match list {
        Named::Provider => masculine,
        Named::Zone => feminine,
    };
    match what {
        What::NewIssuerKey {
            kid,
            provider,
            status,
            public_key,
        } => format!(
            "nouvelle clé d'émission {kid} du financeur {provider} ({}), clé publique {public_key}",
            status_fr(*status)
        ),
        What::IssuerKeyChanged { kid, before, after } => format!(
            "clé d'émission {kid} : {} pour le financeur {} → {} pour le financeur {}",
            status_fr(before.0),
            before.1,
            status_fr(after.0),
            after.1
        ),
        What::IssuerKeyRemoved { kid } => format!("clé d'émission {kid} retirée du paquet"),
        What::Revokes { kid, first, last } => {
            format!("révoque {}", serials_fr(kid, *first, *last))
        }
        What::LiftsRevocation { kid, first, last } => {
            format!("lève la révocation de {}", serials_fr(kid, *first, *last))
        }
        What::Added {
            list: named,
            id,
            name,
        } => format!(
            "{} {id} « {name} »",
            list(*named, "nouveau financeur", "nouvelle zone")
        ),
        What::Renamed {
            list: named,
            id,
            before,
            after,
        } => format!(
            "{} {id} {} « {before} » → « {after} »",
            list(*named, "financeur", "zone"),
            list(*named, "renommé", "renommée")
        ),
        What::Removed {
            list: named,
            id,
            name,
        } => format!(
            "{} {id} « {name} » {}",
            list(*named, "financeur", "zone"),
            list(*named, "retiré", "retirée")
        ),
        What::NewSyncKey { key } => format!("nouvelle clé de synchronisation {key}"),
        What::SyncKeyDropped { key } => format!("clé de synchronisation {key} retirée"),
        What::Roots { keys } => format!(
            "les postes épinglent les clés racines {} à partir de cette liste",
            keys.join(", ")
        ),
        What::RuleChanged {
            rule,
            before,
            after,
        } => {
            let name = match rule {
                Rule::GraceDays => "jours de grâce après la fin de validité",
                Rule::MaxStalenessDays => "jours au plus sans nouvelles de la plateforme",
                Rule::MinutesPerCoupon => "minutes par coupon",
            };
            format!("règle « {name} » ({}) : {before} → {after}", rule.as_str())
        }
        What::Referential { version, services } => format!(
            "référentiel {} → {} ({} → {} services)",
            version.0, version.1, services.0, services.1
        ),
    }
}

/// The draft to carry to the signer, and the import of what it signed.
fn carry(current: &Current, view: &BundlesView, now: i64) -> Markup {
    let lang = current.lang;
    html! {
        h2 { (lang.t("Signer le prochain paquet", "Sign the next bundle")) }
        ol {
            li {
                a href="/console/bundles/draft" download=(format!("guichet-bundle-{}-draft.json", view.next)) {
                    (lang.t("Télécharger le brouillon", "Download the draft"))
                }
                (lang.t(" (valable 30 jours) et le porter au poste de signature hors ligne : ",
                        " (valid 30 days) and carry it to the offline signer: "))
                code { "guichet-signer sign-bundle" }
                (lang.t(" montre les mêmes changements avant de signer.", " shows the same changes before it signs."))
            }
            li { (lang.t("Coller ici le contenu du fichier signé, puis l'importer : il est publié aux bornes.",
                         "Paste the signed file's content here, then import it: it is published to the kiosks.")) }
        }
        (privilege_status(current, now, "/console/bundles"))
        form.stack method="post" action="/console/bundles/import" {
            input type="hidden" name="csrf" value=(current.session.csrf);
            label for="file" { (lang.t("Paquet signé (contenu du fichier)", "Signed bundle (the file's content)")) }
            textarea #file name="file" required rows="4" spellcheck="false" {}
            button type="submit" { (lang.t("Importer et publier", "Import and publish")) }
        }
    }
}

/// `GET /console/bundles/draft`: the next bundle's draft, to sign offline (admin).
pub async fn draft<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    current.require(Permission::ManageBundles)?;
    let (sequence, file) = backend
        .bundle_draft(Timestamp::now(), DRAFT_DAYS)
        .await
        .map_err(Fail::backend(current.lang))?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"guichet-bundle-{sequence}-draft.json\""
    ))
    .map_err(|e| Fail::Internal(e.to_string()))?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (CONTENT_DISPOSITION, disposition),
        ],
        file,
    )
        .into_response())
}

/// An import form.
#[derive(serde::Deserialize)]
pub struct ImportForm {
    csrf: String,
    file: String,
}

/// `POST /console/bundles/import`: publishes a signed bundle (admin, privilege mode); the
/// audit entry (the file's SHA-256 and the sequence) is written with it.
pub async fn import<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<ImportForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManageBundles)?;
    let lang = current.lang;
    current.require_privilege(Timestamp::now().as_second(), "/console/bundles")?;
    let file = form.file.trim();
    if file.is_empty() {
        return Err(Fail::page(
            StatusCode::BAD_REQUEST,
            lang,
            lang.t(
                "Collez le contenu du paquet signé.",
                "Paste the signed bundle's content.",
            ),
        ));
    }
    let audit = current.audit(
        address,
        "bundle.import",
        "bundle",
        None,
        Some(json!({ "sha256": hex::encode(Sha256::digest(file.as_bytes())) })),
    );
    backend
        .import_bundle(file, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other("/console/bundles", Vec::new()))
}
