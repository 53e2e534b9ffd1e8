//! The platform's side of the operator's console ([`guichet_console`]): its
//! [`ConsoleBackend`] over the [`Store`], and the middleware
//! that tells the console the client's address.

use std::future::Future;
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Extension;
use guichet_console::model::{
    Account, AccountId, Apart, ApartLine, AuditEntry, BookletQuery, BookletView, BundleRow,
    BundlesView, CenterHome, CenterLine, CenterProfile, CenterView, Closure, CouponView, Dashboard,
    DeviceRow, Enrollment, Failures, FinderCenter, FinderQuery, LoginAttempt, Month, MonthReport,
    NewPlace, NewProfile, NewWorkshop, PayableLine, PlacesView, RedemptionView, Referential,
    ReferentialView, ReviewDecision, ReviewItem, Session, Workshop,
};
use guichet_console::{Answer, BackendError, ClientAddress, ConsoleBackend};
use guichet_protocol::EntryState;
use jiff::Timestamp;

use super::client::ClientIp;
use crate::clock::paris_day;
use crate::error::Error;
use crate::store::{self, Decision, EntryLine, Redemption, Store};

/// The console's backend: the platform's store.
pub struct ConsoleStore {
    store: Store,
    /// The root public keys kiosks pin (64 hex digits each), whose fingerprint is printed
    /// beside enrollment codes.
    roots: Vec<String>,
    /// The sync key, which signs the statements made when a month is closed.
    sync_key: ed25519_dalek::SigningKey,
}

impl ConsoleStore {
    /// The backend over `store`, for a platform whose kiosks pin the root keys `roots` and
    /// whose answers (and statements) `sync_key` signs.
    pub fn new(
        store: Store,
        roots: Vec<String>,
        sync_key: ed25519_dalek::SigningKey,
    ) -> Arc<ConsoleStore> {
        Arc::new(ConsoleStore {
            store,
            roots,
            sync_key,
        })
    }

    /// The root keys.
    fn root_keys(&self) -> Result<Vec<ed25519_dalek::VerifyingKey>, Error> {
        self.roots
            .iter()
            .map(|key| {
                guichet_protocol::signing::parse_public_key(key)
                    .map_err(|e| Error::Storage(format!("root key {key:?}: {e}")))
            })
            .collect()
    }
}

/// The store's answer as the console's: a refusal it shows, or a failure.
fn answer<R>(result: Result<R, Error>) -> Answer<R> {
    result.map_err(|e| match e {
        Error::Invalid(message) => BackendError::Refused(message),
        Error::Refused(body) => BackendError::Refused(body.message),
        other => BackendError::Failed(other.to_string()),
    })
}

/// Puts the client's address ([`ClientAddress`]: the [`ClientIp`] the server resolved, the
/// last untrusted hop behind a trusted reverse proxy) in the request for the console.
pub async fn client_address(
    Extension(ClientIp(client)): Extension<ClientIp>,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(ClientAddress(client));
    next.run(request).await
}

fn view(r: Redemption) -> RedemptionView {
    let detail = match (&r.result.conflict, &r.result.cause) {
        (Some(conflict), _) => Some(format!(
            "{} ({} {})",
            conflict.other_id, conflict.center, conflict.center_name
        )),
        (None, Some(cause)) => Some(match &cause.detail {
            Some(detail) => format!("{}: {detail}", cause.code.as_str()),
            None => cause.code.as_str().to_owned(),
        }),
        (None, None) => None,
    };
    RedemptionView {
        id: r.result.id.to_string(),
        state: r.result.state,
        detail,
        center: r.center,
        device: r.device,
        coupon: r.coupon,
        value_cents: r.value_cents,
        provider: r.provider.1,
        occurred_at: r.occurred_at,
        received_at: r.received_at,
        has_code: r.has_code,
        signed: r.signed,
    }
}

/// The store's report of `month` (closed by `closed`, if so) as the console shows it.
fn month_view(
    month: Month,
    report: store::MonthReport,
    closed: Option<(String, String)>,
) -> MonthReport {
    let apart = |kind: Apart, lines: Vec<EntryLine>| {
        lines.into_iter().map(move |line| ApartLine {
            kind,
            id: line.id,
            center: (line.center, line.center_name),
            device: line.device,
            coupon: (line.kid, line.serial),
            provider: (line.provider, line.provider_name),
            redeemed_at: line.redeemed_at,
            detail: line.detail,
        })
    };
    MonthReport {
        month,
        closed: closed.map(|(at, by)| Closure { at, by }),
        payable: report
            .reimbursements
            .into_iter()
            .map(|line| PayableLine {
                center: (line.center, line.center_name),
                provider: (line.provider, line.provider_name),
                coupons: line.coupons,
                amount_cents: line.amount_cents,
            })
            .collect(),
        apart: apart(Apart::Conflict, report.conflicts)
            .chain(apart(Apart::Held, report.held))
            .chain(apart(Apart::Rejected, report.rejected))
            .chain(apart(Apart::Unknown, report.unknown))
            .collect(),
    }
}

/// A redemption of a center's month as its members see it.
fn center_line(line: EntryLine) -> CenterLine {
    CenterLine {
        held_by: line.conflict.map(|h| (h.center, h.center_name)),
        id: line.id,
        redeemed_at: line.redeemed_at,
        device: line.device,
        coupon: (line.kid, line.serial),
        value_cents: line.value_cents,
        provider: (line.provider, line.provider_name),
        state: line.state,
        detail: line.detail.filter(|_| line.state != EntryState::Conflict),
    }
}

/// A booklet of the store as the console shows it.
fn booklet_view(booklet: store::BookletDetail) -> BookletView {
    BookletView {
        number: booklet.number,
        kid: booklet.kid.to_hex(),
        value_cents: booklet.value_cents,
        provider: booklet.provider.1,
        valid: booklet.valid,
        coupons: booklet
            .coupons
            .into_iter()
            .map(|coupon| {
                let redemptions: Vec<RedemptionView> =
                    coupon.redemptions.into_iter().map(view).collect();
                CouponView {
                    serial: coupon.serial,
                    state: CouponView::state_of(redemptions.iter().map(|r| r.state)),
                    revoked: coupon.revoked,
                    redemptions,
                }
            })
            .collect(),
    }
}

/// The kid a form gives, or the console's refusal.
fn kid_of(text: &str) -> Result<guichet_core::Kid, Error> {
    text.parse()
        .map_err(|_| Error::Invalid(format!("{text:?} is not an issuer key's kid")))
}

impl ConsoleBackend for ConsoleStore {
    fn account_named(&self, name: &str) -> impl Future<Output = Answer<Option<Account>>> + Send {
        let (store, name) = (self.store.clone(), name.to_owned());
        async move { answer(store.console_account_named(&name).await) }
    }

    fn account(&self, id: &AccountId) -> impl Future<Output = Answer<Option<Account>>> + Send {
        let (store, id) = (self.store.clone(), id.clone());
        async move { answer(store.console_account(&id).await) }
    }

    fn claim_totp_step(
        &self,
        id: &AccountId,
        step: u64,
    ) -> impl Future<Output = Answer<bool>> + Send {
        let (store, id) = (self.store.clone(), id.clone());
        async move { answer(store.claim_totp_step(&id, step).await) }
    }

    fn use_recovery_code(
        &self,
        id: &AccountId,
        code_hash: &str,
        at: Timestamp,
    ) -> impl Future<Output = Answer<bool>> + Send {
        let (store, id, code_hash) = (self.store.clone(), id.clone(), code_hash.to_owned());
        async move { answer(store.use_recovery_code(&id, &code_hash, at).await) }
    }

    fn record_login_attempt(
        &self,
        attempt: &LoginAttempt,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, attempt) = (self.store.clone(), attempt.clone());
        async move { answer(store.record_login_attempt(&attempt).await) }
    }

    fn failures_since(
        &self,
        name: &str,
        address: &str,
        since: i64,
    ) -> impl Future<Output = Answer<Failures>> + Send {
        let (store, name, address) = (self.store.clone(), name.to_owned(), address.to_owned());
        async move { answer(store.login_failures(&name, &address, since).await) }
    }

    fn create_session(&self, session: &Session) -> impl Future<Output = Answer<()>> + Send {
        let (store, session) = (self.store.clone(), session.clone());
        async move { answer(store.create_session(&session).await) }
    }

    fn session(&self, token_hash: &str) -> impl Future<Output = Answer<Option<Session>>> + Send {
        let (store, token_hash) = (self.store.clone(), token_hash.to_owned());
        async move { answer(store.console_session(&token_hash).await) }
    }

    fn touch_session(&self, token_hash: &str, at: i64) -> impl Future<Output = Answer<()>> + Send {
        let (store, token_hash) = (self.store.clone(), token_hash.to_owned());
        async move { answer(store.touch_session(&token_hash, at).await) }
    }

    fn complete_login(
        &self,
        token_hash: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, token_hash, audit) = (self.store.clone(), token_hash.to_owned(), audit.clone());
        async move { answer(store.complete_login(&token_hash, at, &audit).await) }
    }

    fn elevate_session(
        &self,
        token_hash: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, token_hash, audit) = (self.store.clone(), token_hash.to_owned(), audit.clone());
        async move { answer(store.elevate_session(&token_hash, at, &audit).await) }
    }

    fn end_session(
        &self,
        token_hash: &str,
        audit: Option<&AuditEntry>,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, token_hash, audit) =
            (self.store.clone(), token_hash.to_owned(), audit.cloned());
        async move { answer(store.end_session(&token_hash, audit.as_ref()).await) }
    }

    fn dashboard(&self, now: Timestamp) -> impl Future<Output = Answer<Dashboard>> + Send {
        let store = self.store.clone();
        async move {
            answer(
                async {
                    let health = store.health(now).await?;
                    let (today, month) = store.accepted_redemptions(paris_day(now)).await?;
                    Ok(Dashboard {
                        redemptions_today: today,
                        redemptions_month: month,
                        waiting_review: health.waiting.0,
                        oldest_waiting_secs: health.waiting.1,
                        bundle: health.bundle,
                    })
                }
                .await,
            )
        }
    }

    fn devices(&self) -> impl Future<Output = Answer<Vec<DeviceRow>>> + Send {
        let store = self.store.clone();
        async move {
            answer(store.devices().await.map(|devices| {
                devices
                    .into_iter()
                    .map(|d| DeviceRow {
                        id: d.id,
                        center: d.center,
                        label: d.label,
                        disabled: d.disabled,
                        entries: d.entries,
                        enrolled_at: d.enrolled_at,
                        last_seen: d.last_seen,
                    })
                    .collect()
            }))
        }
    }

    fn center_home(
        &self,
        center: &str,
        month: Month,
    ) -> impl Future<Output = Answer<CenterHome>> + Send {
        let (store, center, devices) = (self.store.clone(), center.to_owned(), self.devices());
        async move {
            let kiosks = devices.await?;
            answer(
                async {
                    let info = store.center(&center).await?;
                    let lines = store.center_month(&center, month.first_day()).await?;
                    let statements = store
                        .statement_months(&center)
                        .await?
                        .iter()
                        .map(|text| {
                            text.parse::<Month>()
                                .map_err(|e| Error::Storage(format!("statement month: {e}")))
                        })
                        .collect::<Result<_, _>>()?;
                    Ok(CenterHome {
                        kiosks: kiosks.into_iter().filter(|d| d.center == info.id).collect(),
                        center: (info.id, info.name),
                        month,
                        lines: lines.into_iter().map(center_line).collect(),
                        statements,
                    })
                }
                .await,
            )
        }
    }

    fn center_statement(
        &self,
        center: &str,
        month: Month,
    ) -> impl Future<Output = Answer<Option<String>>> + Send {
        let (store, center) = (self.store.clone(), center.to_owned());
        async move { answer(store.statement(&center, month.first_day()).await) }
    }

    fn set_device_disabled(
        &self,
        id: &str,
        disabled: bool,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, id, audit) = (self.store.clone(), id.to_owned(), audit.clone());
        async move {
            answer(
                store
                    .set_device_disabled_audited(&id, disabled, &audit)
                    .await,
            )
        }
    }

    fn review_queue(&self) -> impl Future<Output = Answer<Vec<ReviewItem>>> + Send {
        let store = self.store.clone();
        async move {
            answer(
                store
                    .review_list(&[EntryState::Held, EntryState::Conflict])
                    .await
                    .map(|lines| {
                        lines
                            .into_iter()
                            .map(|line| ReviewItem {
                                redemption: view(line.redemption),
                                contenders: line.contenders.into_iter().map(view).collect(),
                            })
                            .collect()
                    }),
            )
        }
    }

    /// The decision and its audit entry, with the state it led to, in one transaction
    /// (`Store::review_decide_audited`).
    fn decide(
        &self,
        id: &str,
        decision: &ReviewDecision,
        by: &str,
        reason: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<EntryState>> + Send {
        let (store, id, by, reason, audit) = (
            self.store.clone(),
            id.to_owned(),
            by.to_owned(),
            reason.to_owned(),
            audit.clone(),
        );
        let decision = match decision {
            ReviewDecision::Accept => Decision::Accept,
            ReviewDecision::Transfer { from } => Decision::Transfer { from: from.clone() },
            ReviewDecision::Reject => Decision::Reject,
        };
        let with_state = move |result: &guichet_protocol::EntryResult| {
            let mut audit = audit;
            let mut after: serde_json::Value = audit
                .after
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_else(|| serde_json::json!({}));
            after["state"] = serde_json::Value::String(result.state.as_str().to_owned());
            audit.after = Some(after.to_string());
            Some(audit)
        };
        async move {
            answer(
                store
                    .review_decide_audited(
                        &id,
                        decision,
                        &by,
                        &reason,
                        Timestamp::now(),
                        with_state,
                    )
                    .await
                    .map(|result| result.state),
            )
        }
    }

    fn audit_log(&self, limit: u32) -> impl Future<Output = Answer<Vec<AuditEntry>>> + Send {
        let store = self.store.clone();
        async move { answer(store.audit_log(limit).await) }
    }

    fn report_day(&self, at: Timestamp) -> jiff::civil::Date {
        paris_day(at)
    }

    fn month_report(&self, month: Month) -> impl Future<Output = Answer<MonthReport>> + Send {
        let store = self.store.clone();
        async move {
            answer(
                async {
                    let report = store.month_report(month.first_day()).await?;
                    let closed = store.month_closure(month.first_day()).await?;
                    Ok(month_view(month, report, closed))
                }
                .await,
            )
        }
    }

    fn close_month(
        &self,
        month: Month,
        by: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, by, audit) = (self.store.clone(), by.to_owned(), audit.clone());
        let signer = self.root_keys().map(|roots| store::StatementSigner {
            key: self.sync_key.clone(),
            roots,
        });
        async move {
            answer(
                async {
                    store
                        .close_month_audited(
                            month.first_day(),
                            &by,
                            Timestamp::now(),
                            &signer?,
                            Some(&audit),
                        )
                        .await
                        .map(|_| ())
                }
                .await,
            )
        }
    }

    fn booklet(
        &self,
        query: &BookletQuery,
    ) -> impl Future<Output = Answer<Option<BookletView>>> + Send {
        let (store, query) = (self.store.clone(), query.clone());
        async move {
            answer(
                async {
                    let number = match query {
                        BookletQuery::Number(number) => Some(number),
                        BookletQuery::Coupon { kid, serial } => {
                            store.booklet_holding(kid_of(&kid)?, serial).await?
                        }
                    };
                    Ok(match number {
                        Some(number) => store.booklet_detail(number).await?.map(booklet_view),
                        None => None,
                    })
                }
                .await,
            )
        }
    }

    fn revoke(
        &self,
        kid: &str,
        range: (u64, u64),
        reason: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, kid, reason, audit) = (
            self.store.clone(),
            kid.to_owned(),
            reason.to_owned(),
            audit.clone(),
        );
        async move {
            answer(
                async {
                    store
                        .revoke_audited(kid_of(&kid)?, range, &reason, Timestamp::now(), &audit)
                        .await
                }
                .await,
            )
        }
    }

    fn places(&self) -> impl Future<Output = Answer<PlacesView>> + Send {
        let store = self.store.clone();
        async move {
            answer(store.places().await.map(|places| {
                PlacesView {
                    centers: places
                        .centers
                        .into_iter()
                        .map(|c| CenterView {
                            id: c.id,
                            name: c.name,
                            zone: c.zone,
                            kiosks: c.kiosks,
                        })
                        .collect(),
                    zones: places.zones,
                    providers: places.providers,
                }
            }))
        }
    }

    fn add_place(
        &self,
        place: &NewPlace,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, place, audit) = (self.store.clone(), place.clone(), audit.clone());
        async move { answer(store.add_place(&place, Some(&audit)).await) }
    }

    fn enroll_code(
        &self,
        center: &str,
        valid_hours: u32,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<Enrollment>> + Send {
        let (store, center, audit, anchors) = (
            self.store.clone(),
            center.to_owned(),
            audit.clone(),
            self.root_keys(),
        );
        async move {
            answer(
                async {
                    // The roots in force after any rotation, as `enroll-code` prints them.
                    let roots = store.roots_in_force(&anchors?).await?;
                    let fingerprint = guichet_protocol::fingerprint::root_fingerprint(&roots);
                    let now = Timestamp::now();
                    let expires = now + jiff::SignedDuration::from_hours(i64::from(valid_hours));
                    let code = store
                        .create_enroll_code_audited(&center, expires, now, &audit)
                        .await?;
                    let info = store.center(&center).await?;
                    let sheet_pdf = crate::sheet::render(&crate::sheet::Sheet {
                        code: &code,
                        fingerprint: &fingerprint,
                        center: (&info.id, &info.name),
                        valid_until: expires,
                        url: None,
                    })?;
                    Ok(Enrollment {
                        code,
                        fingerprint,
                        center: (info.id, info.name),
                        valid_until: crate::sheet::valid_until_text(expires),
                        sheet_pdf,
                    })
                }
                .await,
            )
        }
    }

    fn bundles(&self, now: Timestamp) -> impl Future<Output = Answer<BundlesView>> + Send {
        let store = self.store.clone();
        async move {
            answer(
                async {
                    let history = store.signed_history().await?;
                    let draft = store.draft_bundle(now, now + draft_validity()).await?;
                    let latest = history.bundles().last().map(|b| b.bundle.document());
                    let changes = guichet_core::bundle::diff::changes(latest, &draft);
                    Ok(BundlesView {
                        published: history
                            .bundles()
                            .iter()
                            .rev()
                            .map(|b| {
                                let document = b.bundle.document();
                                BundleRow {
                                    sequence: document.sequence,
                                    issued_at: document.issued_at.to_string(),
                                    expires_at: document.expires_at.to_string(),
                                }
                            })
                            .collect(),
                        next: draft.sequence,
                        changes,
                    })
                }
                .await,
            )
        }
    }

    fn bundle_draft(
        &self,
        now: Timestamp,
        days: u32,
    ) -> impl Future<Output = Answer<(u64, String)>> + Send {
        let store = self.store.clone();
        async move {
            answer(
                async {
                    let expires =
                        now + jiff::SignedDuration::from_hours(24 * i64::from(days.max(1)));
                    let document = store.draft_bundle(now, expires).await?;
                    let file = serde_json::to_string_pretty(&document)
                        .map_err(|e| Error::Storage(e.to_string()))?;
                    Ok((document.sequence, file))
                }
                .await,
            )
        }
    }

    fn import_bundle(
        &self,
        file: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<u64>> + Send {
        let (store, file, audit, roots) = (
            self.store.clone(),
            file.to_owned(),
            audit.clone(),
            self.root_keys(),
        );
        let with_sequence = move |sequence: u64| {
            let mut audit = audit;
            let mut after: serde_json::Value = audit
                .after
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_else(|| serde_json::json!({}));
            after["sequence"] = serde_json::Value::from(sequence);
            audit.after = Some(after.to_string());
            audit.object = format!("bundle:{sequence}");
            Some(audit)
        };
        async move {
            answer(
                async {
                    store
                        .import_bundle_audited(file.as_bytes(), &roots?, with_sequence)
                        .await
                }
                .await,
            )
        }
    }

    fn referential(&self) -> impl Future<Output = Answer<Option<ReferentialView>>> + Send {
        let store = self.store.clone();
        async move {
            answer(
                async {
                    match store.referential().await? {
                        None => Ok(None),
                        Some(referential) => Ok(Some(ReferentialView {
                            csv: crate::admin::referential_to_csv(&referential)?,
                            referential,
                        })),
                    }
                }
                .await,
            )
        }
    }

    /// Read as the CLI reads a file (`admin::parse_referential`), then
    /// `Store::set_referential_audited`: the audit entry gets the version and counts before
    /// and after.
    fn set_referential(
        &self,
        text: &str,
        version: Option<&str>,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<Referential>> + Send {
        let (store, text, version, audit) = (
            self.store.clone(),
            text.to_owned(),
            version.map(str::to_owned),
            audit.clone(),
        );
        async move {
            answer(
                async {
                    let referential =
                        crate::admin::parse_referential(&text, false, version.as_deref())?;
                    let summary = crate::admin::referential_summary;
                    let after = summary(&referential);
                    let with_before = move |before: Option<&Referential>| {
                        let mut audit = audit;
                        let mut merged: serde_json::Value = audit
                            .after
                            .as_deref()
                            .and_then(|text| serde_json::from_str(text).ok())
                            .unwrap_or_else(|| serde_json::json!({}));
                        if let (Some(merged), Some(after)) =
                            (merged.as_object_mut(), after.as_object())
                        {
                            merged.extend(after.clone());
                        }
                        audit.after = Some(merged.to_string());
                        audit.before = before.map(|b| summary(b).to_string());
                        audit.object =
                            format!("referential:{}", after["version"].as_str().unwrap_or(""));
                        Some(audit)
                    };
                    store
                        .set_referential_audited(&referential, with_before)
                        .await?;
                    Ok(referential)
                }
                .await,
            )
        }
    }

    fn center_profile(
        &self,
        center: &str,
    ) -> impl Future<Output = Answer<Option<CenterProfile>>> + Send {
        let (store, center) = (self.store.clone(), center.to_owned());
        async move { answer(store.center_profile(&center).await) }
    }

    fn set_center_profile(
        &self,
        center: &str,
        profile: &NewProfile,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, center, profile, audit) = (
            self.store.clone(),
            center.to_owned(),
            profile.clone(),
            audit.clone(),
        );
        async move {
            answer(
                store
                    .set_center_profile(&center, &profile, at, &audit)
                    .await,
            )
        }
    }

    fn qualify_center(
        &self,
        center: &str,
        by: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, center, by, audit) = (
            self.store.clone(),
            center.to_owned(),
            by.to_owned(),
            audit.clone(),
        );
        async move { answer(store.qualify_center(&center, &by, at, &audit).await) }
    }

    fn center_workshops(&self, center: &str) -> impl Future<Output = Answer<Vec<Workshop>>> + Send {
        let (store, center) = (self.store.clone(), center.to_owned());
        async move { answer(store.center_workshops(&center).await) }
    }

    fn add_workshop(
        &self,
        center: &str,
        workshop: &NewWorkshop,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<i64>> + Send {
        let (store, center, workshop, audit) = (
            self.store.clone(),
            center.to_owned(),
            workshop.clone(),
            audit.clone(),
        );
        async move { answer(store.add_workshop(&center, &workshop, at, &audit).await) }
    }

    fn retire_workshop(
        &self,
        center: &str,
        id: i64,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send {
        let (store, center, audit) = (self.store.clone(), center.to_owned(), audit.clone());
        async move { answer(store.retire_workshop(&center, id, at, &audit).await) }
    }

    fn find_centers(
        &self,
        query: &FinderQuery,
    ) -> impl Future<Output = Answer<Vec<FinderCenter>>> + Send {
        let (store, query) = (self.store.clone(), query.clone());
        async move { answer(store.find_centers(&query).await) }
    }
}

/// How long the draft the bundles page compares stays valid (as `bundle draft`'s default).
fn draft_validity() -> jiff::SignedDuration {
    jiff::SignedDuration::from_hours(24 * i64::from(guichet_console::BUNDLE_DRAFT_DAYS))
}
