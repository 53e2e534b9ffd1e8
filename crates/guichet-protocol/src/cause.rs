//! Why the platform rejected or held a redemption: a code the kiosk can act on, a short
//! French and English message for the people who read it, and an optional detail.

use serde::{Deserialize, Serialize};

/// The cause of a `rejected` or `held` state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// What went wrong.
    pub code: CauseCode,
    /// Specifics (the admin's reason, the bound that was crossed), for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Cause {
    /// A cause without detail.
    pub fn new(code: CauseCode) -> Cause {
        Cause { code, detail: None }
    }

    /// A cause with a detail.
    pub fn with_detail(code: CauseCode, detail: impl Into<String>) -> Cause {
        Cause {
            code,
            detail: Some(detail.into()),
        }
    }

    /// The message in French (`fr`) or English (anything else), with the detail if any.
    pub fn message(&self, lang: &str) -> String {
        let text = self.code.message(lang);
        match &self.detail {
            Some(detail) => format!("{text} ({detail})"),
            None => text.to_owned(),
        }
    }
}

/// The causes, by the check that failed. Rejections: the code does not prove a payable
/// redemption. Holds: the times do not fit, or there is no code; an admin decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CauseCode {
    /// Held: the entry carries no code (recorded before kiosks kept codes).
    NoProof,
    /// Rejected: the code is not a well-formed PN1 code.
    MalformedCode,
    /// Rejected: the entry's kid, serial, value or provider differ from the code's.
    CodeMismatch,
    /// Rejected: the code's issuer key is not one of the platform's.
    UnknownIssuer,
    /// Rejected: the code's signature does not verify.
    BadSignature,
    /// Rejected: the issuer key was compromised and the kiosk knew it.
    IssuerRevoked,
    /// Rejected: the redemption day is after the coupon's last day plus the grace days.
    Expired,
    /// Rejected: the coupon was revoked and the kiosk knew it.
    Revoked,
    /// Rejected: the coupon is restricted to another zone than the center's.
    OutOfZone,
    /// Rejected: the workshop's area is not in the coupon's scope.
    OutOfScope,
    /// Rejected: the service is not one of the area's in the referential.
    UnknownService,
    /// Held: the redemption is dated before the coupon's issue day.
    BeforeIssue,
    /// Held: the redemption is dated after the platform received it (beyond the clock skew).
    InTheFuture,
    /// Held: the redemption is dated before the device's previous entry.
    BeforePrevious,
    /// Held: the redemption is dated before the device was enrolled (beyond the clock skew).
    BeforeEnrollment,
    /// Rejected by an admin after review (the detail says why).
    AdminRejected,
    /// A cause this version does not know (a newer platform).
    #[serde(other)]
    Other,
}

impl CauseCode {
    /// The code's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            CauseCode::NoProof => "NO_PROOF",
            CauseCode::MalformedCode => "MALFORMED_CODE",
            CauseCode::CodeMismatch => "CODE_MISMATCH",
            CauseCode::UnknownIssuer => "UNKNOWN_ISSUER",
            CauseCode::BadSignature => "BAD_SIGNATURE",
            CauseCode::IssuerRevoked => "ISSUER_REVOKED",
            CauseCode::Expired => "EXPIRED",
            CauseCode::Revoked => "REVOKED",
            CauseCode::OutOfZone => "OUT_OF_ZONE",
            CauseCode::OutOfScope => "OUT_OF_SCOPE",
            CauseCode::UnknownService => "UNKNOWN_SERVICE",
            CauseCode::BeforeIssue => "BEFORE_ISSUE",
            CauseCode::InTheFuture => "IN_THE_FUTURE",
            CauseCode::BeforePrevious => "BEFORE_PREVIOUS",
            CauseCode::BeforeEnrollment => "BEFORE_ENROLLMENT",
            CauseCode::AdminRejected => "ADMIN_REJECTED",
            CauseCode::Other => "OTHER",
        }
    }

    /// Whether this cause holds a redemption for review (else it rejects it).
    pub fn holds(self) -> bool {
        matches!(
            self,
            CauseCode::NoProof
                | CauseCode::BeforeIssue
                | CauseCode::InTheFuture
                | CauseCode::BeforePrevious
                | CauseCode::BeforeEnrollment
        )
    }

    /// A short message in French (`fr`) or English (anything else).
    pub fn message(self, lang: &str) -> &'static str {
        let (fr, en) = match self {
            CauseCode::NoProof => (
                "enregistré sans le code du pass : à examiner",
                "recorded without the pass's code: to be reviewed",
            ),
            CauseCode::MalformedCode => ("code du pass illisible", "unreadable pass code"),
            CauseCode::CodeMismatch => (
                "l'enregistrement ne correspond pas au code du pass",
                "the record does not match the pass's code",
            ),
            CauseCode::UnknownIssuer => ("émetteur inconnu", "unknown issuer"),
            CauseCode::BadSignature => ("signature invalide", "invalid signature"),
            CauseCode::IssuerRevoked => (
                "clé d'émission compromise, connue du poste",
                "compromised issuer key, known to the kiosk",
            ),
            CauseCode::Expired => ("pass expiré ce jour-là", "pass expired on that day"),
            CauseCode::Revoked => (
                "pass révoqué, connu du poste",
                "revoked pass, known to the kiosk",
            ),
            CauseCode::OutOfZone => ("pass d'une autre zone", "pass of another zone"),
            CauseCode::OutOfScope => (
                "atelier hors du champ du pass",
                "workshop outside the pass's scope",
            ),
            CauseCode::UnknownService => (
                "service absent du référentiel",
                "service not in the referential",
            ),
            CauseCode::BeforeIssue => (
                "daté d'avant l'émission du pass : à examiner",
                "dated before the pass was issued: to be reviewed",
            ),
            CauseCode::InTheFuture => (
                "daté d'après sa réception : à examiner",
                "dated after it was received: to be reviewed",
            ),
            CauseCode::BeforePrevious => (
                "daté d'avant l'enregistrement précédent du poste : à examiner",
                "dated before the kiosk's previous record: to be reviewed",
            ),
            CauseCode::BeforeEnrollment => (
                "daté d'avant l'inscription du poste : à examiner",
                "dated before the kiosk was enrolled: to be reviewed",
            ),
            CauseCode::AdminRejected => (
                "refusé par un administrateur",
                "rejected by an administrator",
            ),
            CauseCode::Other => ("refusé par la plateforme", "refused by the platform"),
        };
        if lang == "fr" {
            fr
        } else {
            en
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_read_as_other_and_names_round_trip() {
        let cause: Cause = serde_json::from_str(r#"{"code":"SOMETHING_NEW"}"#).unwrap();
        assert_eq!(cause.code, CauseCode::Other);
        for code in [
            CauseCode::NoProof,
            CauseCode::OutOfScope,
            CauseCode::AdminRejected,
        ] {
            let json = serde_json::to_string(&Cause::new(code)).unwrap();
            assert_eq!(json, format!(r#"{{"code":"{}"}}"#, code.as_str()));
        }
        let cause = Cause::with_detail(CauseCode::AdminRejected, "photocopie");
        assert_eq!(
            cause.message("fr"),
            "refusé par un administrateur (photocopie)"
        );
        assert!(CauseCode::NoProof.holds() && !CauseCode::Revoked.holds());
    }
}
