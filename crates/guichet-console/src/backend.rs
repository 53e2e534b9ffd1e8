//! What the console needs from the platform: storage of accounts, sessions, login attempts and
//! the audit log, and the platform's own reads and actions. The platform implements it over
//! its database; the console holds no SQL and no driver.

use std::future::Future;

use jiff::Timestamp;

use crate::model::{
    Account, AccountId, AuditEntry, BookletQuery, BookletView, BundlesView, CenterHome,
    CenterProfile, Dashboard, DeviceRow, Enrollment, EntryState, Failures, FinderCenter,
    FinderQuery, LoginAttempt, Month, MonthReport, NewPlace, NewProfile, NewWorkshop, PlacesView,
    Referential, ReferentialView, ReviewDecision, ReviewItem, Session, Workshop,
};

/// Why the backend did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The request cannot be done as asked (unknown id, a state that forbids it); the message
    /// is shown to the user.
    #[error("{0}")]
    Refused(String),
    /// Storage failed; logged, not shown.
    #[error("storage: {0}")]
    Failed(String),
}

/// The result of a backend call.
pub type Answer<T> = Result<T, BackendError>;

/// The platform, as the console sees it. Every state change that takes an [`AuditEntry`]
/// writes it in the same transaction as the change.
pub trait ConsoleBackend: Send + Sync + 'static {
    /// The account with this login name.
    fn account_named(&self, name: &str) -> impl Future<Output = Answer<Option<Account>>> + Send;
    /// The account with this id.
    fn account(&self, id: &AccountId) -> impl Future<Output = Answer<Option<Account>>> + Send;
    /// Records that the account's TOTP code of time step `step` was used; false (and nothing
    /// recorded) if a code of this step or a later one was accepted before: a code is never
    /// accepted twice.
    fn claim_totp_step(
        &self,
        id: &AccountId,
        step: u64,
    ) -> impl Future<Output = Answer<bool>> + Send;
    /// Uses one of the account's recovery codes (by hash); false if it has no such unused code.
    fn use_recovery_code(
        &self,
        id: &AccountId,
        code_hash: &str,
        at: Timestamp,
    ) -> impl Future<Output = Answer<bool>> + Send;
    /// Records a login attempt.
    fn record_login_attempt(
        &self,
        attempt: &LoginAttempt,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// The failed attempts for `name` and from `address` since `since` (unix seconds).
    fn failures_since(
        &self,
        name: &str,
        address: &str,
        since: i64,
    ) -> impl Future<Output = Answer<Failures>> + Send;
    /// Stores a new session.
    fn create_session(&self, session: &Session) -> impl Future<Output = Answer<()>> + Send;
    /// The session whose token has this hash.
    fn session(&self, token_hash: &str) -> impl Future<Output = Answer<Option<Session>>> + Send;
    /// Records that the session was used at `at`.
    fn touch_session(&self, token_hash: &str, at: i64) -> impl Future<Output = Answer<()>> + Send;
    /// The second factor was right: the session becomes a full one (and is privileged from
    /// `at`, the moment of that check).
    fn complete_login(
        &self,
        token_hash: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// A re-authentication succeeded at `at`: privilege mode.
    fn elevate_session(
        &self,
        token_hash: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// Deletes a session (logout, expiry); the audit entry, if any, says why.
    fn end_session(
        &self,
        token_hash: &str,
        audit: Option<&AuditEntry>,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// The dashboard's figures at `now`.
    fn dashboard(&self, now: Timestamp) -> impl Future<Output = Answer<Dashboard>> + Send;
    /// The page of `center`'s members for `month`: that center's data only.
    fn center_home(
        &self,
        center: &str,
        month: Month,
    ) -> impl Future<Output = Answer<CenterHome>> + Send;
    /// `center`'s signed statement of `month` (the file as issued), if there is one.
    fn center_statement(
        &self,
        center: &str,
        month: Month,
    ) -> impl Future<Output = Answer<Option<String>>> + Send;
    /// Every enrolled kiosk.
    fn devices(&self) -> impl Future<Output = Answer<Vec<DeviceRow>>> + Send;
    /// Disables or enables the kiosk `id`; refused if it is unknown or already so.
    fn set_device_disabled(
        &self,
        id: &str,
        disabled: bool,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// The redemptions held or in conflict, with their contenders.
    fn review_queue(&self) -> impl Future<Output = Answer<Vec<ReviewItem>>> + Send;
    /// Records a decision about redemption `id` by `by` (the account's name); its new state.
    fn decide(
        &self,
        id: &str,
        decision: &ReviewDecision,
        by: &str,
        reason: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<EntryState>> + Send;
    /// The latest `limit` audit entries, newest first.
    fn audit_log(&self, limit: u32) -> impl Future<Output = Answer<Vec<AuditEntry>>> + Send;
    /// The day `at` falls on for the reports (the platform's time zone, Europe/Paris).
    fn report_day(&self, at: Timestamp) -> jiff::civil::Date;
    /// The report of `month`: payable per center and provider, and the redemptions that are
    /// not, each in the month of its report day.
    fn month_report(&self, month: Month) -> impl Future<Output = Answer<MonthReport>> + Send;
    /// Closes `month` (and every month before it) as `by`, with the audit entry, in one
    /// transaction; refused if it has not ended or is closed already.
    fn close_month(
        &self,
        month: Month,
        by: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// The booklet `query` names, with its coupons' states, if one was minted.
    fn booklet(
        &self,
        query: &BookletQuery,
    ) -> impl Future<Output = Answer<Option<BookletView>>> + Send;
    /// Revokes serials `first..=last` of the issuer key `kid` (hex) with `reason`, and writes
    /// the audit entry, in one transaction; it reaches kiosks at their next sync, in the platform's freshness statement.
    fn revoke(
        &self,
        kid: &str,
        range: (u64, u64),
        reason: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// Every center, zone and provider.
    fn places(&self) -> impl Future<Output = Answer<PlacesView>> + Send;
    /// Adds a center, or adds or renames a zone or provider, with the audit entry, in one
    /// transaction; refused if the center exists or its zone does not.
    fn add_place(
        &self,
        place: &NewPlace,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// Makes a one-time enrollment code for `center`, valid `valid_hours`, with the audit
    /// entry (which never holds the code), in one transaction; and its printable sheet.
    fn enroll_code(
        &self,
        center: &str,
        valid_hours: u32,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<Enrollment>> + Send;
    /// The published bundles and what the next draft (at `now`) changes.
    fn bundles(&self, now: Timestamp) -> impl Future<Output = Answer<BundlesView>> + Send;
    /// The next bundle's draft issued at `now`, valid `days`: its sequence and the file the
    /// offline signer signs.
    fn bundle_draft(
        &self,
        now: Timestamp,
        days: u32,
    ) -> impl Future<Output = Answer<(u64, String)>> + Send;
    /// Publishes a bundle file the signer signed (checked against the platform's roots, the
    /// next sequence), with the audit entry (completed with the sequence), in one
    /// transaction; its sequence.
    fn import_bundle(
        &self,
        file: &str,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<u64>> + Send;
    /// The services referential in force, if one was imported, with its CSV.
    fn referential(&self) -> impl Future<Output = Answer<Option<ReferentialView>>> + Send;
    /// Reads `text` as `guichet-platform referential import` reads a file (JSON, or CSV
    /// `type,code,fr,en` whose version is `version`; a `version` given also replaces a JSON
    /// file's), checks it (3 levels, 9 areas, known areas, unique service codes), and replaces
    /// the referential with it, with the audit entry (completed with what it replaces), in one
    /// transaction; the referential stored. Refused, with the reason, if it does not read or
    /// check.
    fn set_referential(
        &self,
        text: &str,
        version: Option<&str>,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<Referential>> + Send;
    /// `center`'s qualification data, if it declared any.
    fn center_profile(
        &self,
        center: &str,
    ) -> impl Future<Output = Answer<Option<CenterProfile>>> + Send;
    /// Records `center`'s qualification data at `at` (unix seconds), with the audit entry
    /// (completed with what it replaces), in one transaction. A change of legal name, SIRET
    /// or IBAN withdraws the center's qualification.
    fn set_center_profile(
        &self,
        center: &str,
        profile: &NewProfile,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// Qualifies `center` as `by` at `at` (unix seconds), with the audit entry, in one
    /// transaction; refused if it declared no qualification data or is qualified already.
    fn qualify_center(
        &self,
        center: &str,
        by: &str,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// `center`'s workshops, retired ones apart, by name.
    fn center_workshops(&self, center: &str) -> impl Future<Output = Answer<Vec<Workshop>>> + Send;
    /// Adds a workshop to `center` at `at`, with the audit entry (completed with its number),
    /// in one transaction; refused if its service is not one of its area's in the referential
    /// in force. Its number.
    fn add_workshop(
        &self,
        center: &str,
        workshop: &NewWorkshop,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<i64>> + Send;
    /// Retires `center`'s workshop `id` at `at`, with the audit entry, in one transaction;
    /// refused if `center` has no such workshop (another center's included).
    fn retire_workshop(
        &self,
        center: &str,
        id: i64,
        at: i64,
        audit: &AuditEntry,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// The qualified centers `query` asks for, by postcode then name, with their workshops.
    fn find_centers(
        &self,
        query: &FinderQuery,
    ) -> impl Future<Output = Answer<Vec<FinderCenter>>> + Send;
}
