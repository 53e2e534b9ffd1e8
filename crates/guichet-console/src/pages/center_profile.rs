//! A center's qualification data (its members, role `center`; issue 25, point 3): legal name,
//! SIRET (checked by its Luhn sum), the IBAN it is paid on (checked by its ISO 13616 sum),
//! address. Saving needs privilege mode (it says where public money goes) and writes the audit
//! log with the IBAN masked; a change of legal name, SIRET or IBAN withdraws the operator's
//! qualification until the operator checks again. Seen only by the center's members and by
//! the operator's accounts that read the centers.

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::Timestamp;
use maud::{html, Markup};

use crate::backend::ConsoleBackend;
use crate::i18n::Lang;
use crate::model::{CenterProfile, NewProfile, Permission};
use crate::pages::my_center::own_center;
use crate::pages::{layout, privilege_status, utc_time};
use crate::qualification::{one_line, QualificationError};
use crate::session::{current, posting, Current};
use crate::web::{see_other, Fail};
use crate::ClientAddress;

/// The page's path.
pub const PATH: &str = "/console/center/profile";
/// The longest name, address or town kept.
const MAX_TEXT_CHARS: usize = 150;

/// `GET /console/center/profile`.
pub async fn show<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let current = current(backend.as_ref(), &headers).await?;
    let center = own_center(&current)?;
    let lang = current.lang;
    let profile = backend
        .center_profile(center)
        .await
        .map_err(Fail::backend(lang))?;
    let now = Timestamp::now().as_second();
    let body = html! {
        p { (lang.t(
            "Ces informations servent à vous payer et à vous qualifier : seuls les membres de votre centre et l'opérateur les voient. L'opérateur les vérifie avant de qualifier le centre ; un changement de raison sociale, de SIRET ou d'IBAN retire la qualification jusqu'à sa nouvelle vérification.",
            "This information is used to pay and qualify you: only your center's members and the operator see it. The operator checks it before qualifying the center; a change of legal name, SIRET or IBAN withdraws the qualification until it is checked again.")) }
        (qualification_status(lang, profile.as_ref()))
        @if current.account.role.may(Permission::ManageOwnCenter) {
            (privilege_status(&current, now, PATH))
            (profile_form(&current, profile.as_ref().map(|p| &p.declared)))
        }
    };
    Ok(layout(
        lang,
        lang.t("Qualification du centre", "The center's qualification"),
        Some(&current),
        PATH,
        body,
    )
    .into_response())
}

/// Whether the center is qualified, and since when.
pub fn qualification_status(lang: Lang, profile: Option<&CenterProfile>) -> Markup {
    html! {
        p #qualification role="status" {
            @match profile.map(|p| &p.qualified) {
                None => { (lang.t("Aucune information déclarée : le centre n'est pas qualifié.",
                                  "No information declared: the center is not qualified.")) }
                Some(None) => { (lang.t("Déclaré, en attente de vérification par l'opérateur : le centre n'est pas encore qualifié.",
                                        "Declared, waiting for the operator's check: the center is not qualified yet.")) }
                Some(Some((at, by))) => {
                    strong { (lang.t("Centre qualifié", "Qualified center")) }
                    (lang.t(" depuis le ", " since ")) (utc_time(*at)) (lang.t(" par ", " by ")) (by)
                }
            }
        }
    }
}

/// The declared data as a list of facts (the operator's view of a center).
pub fn profile_facts(lang: Lang, profile: &CenterProfile) -> Markup {
    let declared = &profile.declared;
    html! {
        dl.facts #profile {
            div { dt { (lang.t("Raison sociale", "Legal name")) } dd { (declared.legal_name) } }
            div { dt { "SIRET" } dd { code { (declared.siret) } } }
            div { dt { "IBAN" } dd { code { (declared.iban) } } }
            div { dt { (lang.t("Adresse", "Address")) } dd { (declared.address) ", " (declared.postcode) " " (declared.town) } }
            div { dt { (lang.t("Mis à jour", "Updated")) } dd { (utc_time(profile.updated_at)) } }
        }
    }
}

/// The form, filled with what was declared.
fn profile_form(current: &Current, declared: Option<&NewProfile>) -> Markup {
    let lang = current.lang;
    let value = |pick: fn(&NewProfile) -> String| declared.map(pick).unwrap_or_default();
    html! {
        form.stack method="post" action=(PATH) aria-labelledby="profile-title" {
            h2 #profile-title { (lang.t("Informations du centre", "The center's information")) }
            input type="hidden" name="csrf" value=(current.session.csrf);
            label for="legal-name" { (lang.t("Raison sociale", "Legal name")) }
            input #legal-name type="text" name="legal_name" required maxlength=(MAX_TEXT_CHARS) value=(value(|p| p.legal_name.clone()));
            label for="siret" { (lang.t("SIRET (14 chiffres)", "SIRET (14 digits)")) }
            input #siret type="text" name="siret" required inputmode="numeric" autocomplete="off" value=(value(|p| p.siret.to_string()));
            label for="iban" { (lang.t("IBAN du compte à payer", "IBAN of the account to pay")) }
            input #iban type="text" name="iban" required autocomplete="off" spellcheck="false" value=(value(|p| p.iban.to_string()));
            label for="address" { (lang.t("Adresse (numéro et rue)", "Address (number and street)")) }
            input #address type="text" name="address" required maxlength=(MAX_TEXT_CHARS) value=(value(|p| p.address.clone()));
            label for="postcode" { (lang.t("Code postal", "Postcode")) }
            input #postcode type="text" name="postcode" required inputmode="numeric" pattern="[0-9 ]{5,6}" value=(value(|p| p.postcode.to_string()));
            label for="town" { (lang.t("Commune", "Town")) }
            input #town type="text" name="town" required maxlength=(MAX_TEXT_CHARS) value=(value(|p| p.town.clone()));
            button type="submit" { (lang.t("Enregistrer", "Save")) }
        }
    }
}

/// The profile form.
#[derive(serde::Deserialize)]
pub struct ProfileForm {
    csrf: String,
    legal_name: String,
    siret: String,
    iban: String,
    address: String,
    postcode: String,
    town: String,
}

impl ProfileForm {
    /// The form's values checked, or what is wrong, in `lang`.
    fn parse(&self, lang: Lang) -> Result<NewProfile, String> {
        let text = |value: &str, fr: &'static str, en: &'static str| {
            one_line(value, MAX_TEXT_CHARS).ok_or_else(|| {
                format!(
                    "{} {}",
                    lang.t(fr, en),
                    lang.t(
                        "(une ligne, 150 caractères au plus) est demandé(e).",
                        "(one line, at most 150 characters) is needed."
                    )
                )
            })
        };
        let checked = |error: QualificationError| match (error, lang) {
            (QualificationError::SiretLength, Lang::Fr) => "Un SIRET a 14 chiffres.".to_owned(),
            (QualificationError::SiretChecksum, Lang::Fr) => {
                "Ce SIRET est mal recopié : sa clé de contrôle ne correspond pas.".to_owned()
            }
            (QualificationError::Iban(why), Lang::Fr) => {
                format!("Cet IBAN n'est pas valide (longueur ou clé de contrôle) : {why}.")
            }
            (QualificationError::Postcode, Lang::Fr) => "Un code postal a 5 chiffres.".to_owned(),
            (error, _) => format!("{}{error}.", lang.t("Refusé : ", "Refused: ")),
        };
        Ok(NewProfile {
            legal_name: text(&self.legal_name, "La raison sociale", "The legal name")?,
            siret: self.siret.parse().map_err(checked)?,
            iban: self.iban.parse().map_err(checked)?,
            address: text(&self.address, "L'adresse", "The address")?,
            postcode: self.postcode.parse().map_err(checked)?,
            town: text(&self.town, "La commune", "The town")?,
        })
    }
}

/// `POST /console/center/profile`: records the member's center's qualification data.
pub async fn save<B: ConsoleBackend>(
    State(backend): State<Arc<B>>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    Form(form): Form<ProfileForm>,
) -> Result<Response, Fail> {
    let current = posting(backend.as_ref(), &headers, &form.csrf).await?;
    current.require(Permission::ManageOwnCenter)?;
    let center = own_center(&current)?;
    let lang = current.lang;
    let now = Timestamp::now().as_second();
    current.require_privilege(now, PATH)?;
    let profile = form
        .parse(lang)
        .map_err(|why| Fail::page(StatusCode::BAD_REQUEST, lang, why))?;
    let audit = current.audit(
        address,
        "center.profile",
        &format!("center:{center}"),
        None,
        Some(profile.audit_json()),
    );
    backend
        .set_center_profile(center, &profile, now, &audit)
        .await
        .map_err(Fail::backend(lang))?;
    Ok(see_other(PATH, Vec::new()))
}
