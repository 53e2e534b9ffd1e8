//! A look at the platform that changes nothing, for `guichet doctor`: one signed bundle pull
//! with the sequence the kiosk holds (a read on the platform's side too).

use guichet_core::TrustBundle;
use jiff::Timestamp;

use crate::client::{BundleAnswer, ClientError, Signer};
use crate::identity::Identity;

/// What the platform answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The platform's clock from a signed answer; `None` when the answer was not signed by a
    /// sync key of the kiosk's bundle (then the clock is not believed).
    pub server_time: Option<Timestamp>,
    /// The platform has a newer bundle than the kiosk's (the next sync takes it).
    pub newer_bundle: bool,
    /// The platform has published no bundle yet.
    pub none_published: bool,
}

/// Asks the platform for its bundle with the sequence the kiosk holds, over the identity's
/// client (its TLS roots or pinned CA). Nothing is recorded: a newer bundle is only noted.
pub async fn probe(
    identity: &Identity,
    bundle: Option<&TrustBundle>,
) -> Result<Probe, ClientError> {
    let client = identity.client()?;
    let keys = bundle.map(|b| b.sync_keys().to_vec()).unwrap_or_default();
    let signer = Signer {
        device_id: &identity.enrollment.device_id,
        key: identity.signing_key(),
        answer_keys: &keys,
    };
    let answer = client
        .bundle(&signer, bundle.map_or(0, TrustBundle::sequence))
        .await?;
    Ok(Probe {
        server_time: answer.server_time,
        newer_bundle: matches!(answer.value, BundleAnswer::Newer(_)),
        none_published: matches!(answer.value, BundleAnswer::NonePublished),
    })
}
