//! The referential as the workshop chooser shows it.

use guichet_core::bundle::document::LocalizedText;
use guichet_core::{Area, TrustBundle};
use serde::Serialize;

/// An area of the chooser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AreaView {
    /// Its code, such as `1.1`.
    pub code: Area,
    /// Its level (1–3).
    pub level: u8,
    /// Its name.
    pub name: LocalizedText,
}

/// A service of the chooser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceView {
    /// Its code.
    pub code: String,
    /// Its area.
    pub area: Area,
    /// Its name.
    pub name: LocalizedText,
}

/// Areas and services of the bundle in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReferentialView {
    /// The referential's version.
    pub version: String,
    /// Example data (never in production).
    pub example: bool,
    /// The nine areas.
    pub areas: Vec<AreaView>,
    /// The services.
    pub services: Vec<ServiceView>,
}

impl ReferentialView {
    /// The referential of `bundle`.
    pub fn of(bundle: &TrustBundle) -> ReferentialView {
        let referential = &bundle.document().referential;
        ReferentialView {
            version: referential.version.clone(),
            example: referential.example,
            areas: referential
                .areas
                .iter()
                .map(|a| AreaView {
                    code: a.code,
                    level: a.code.level(),
                    name: a.name.clone(),
                })
                .collect(),
            services: referential
                .services
                .iter()
                .map(|s| ServiceView {
                    code: s.code.clone(),
                    area: s.area,
                    name: s.name.clone(),
                })
                .collect(),
        }
    }
}
