//! The typed values the console and its backend exchange.

use std::fmt;
use std::str::FromStr;

pub use guichet_core::bundle::diff::Change;
pub use guichet_core::bundle::document::Referential;
pub use guichet_protocol::EntryState;
use serde::Serialize;

pub use guichet_core::Area;

pub use crate::qualification::{Iban, Postcode, Siret, WorkshopMinutes};

/// An account's id (a UUID given by the backend when the account is created).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct AccountId(pub String);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an account may do (`/work/shared/design/platform-roles.md`, the operator's roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    /// The operator's administrator: devices, keys, accounts.
    Admin,
    /// Decides held and conflicting redemptions.
    Reviewer,
    /// Reads everything, changes nothing; exports the audit log.
    Auditor,
    /// A member of one center (the account's [`Account::center`]): sees that center's kiosks,
    /// redemptions and statements, and nothing of the operator's or another center's.
    Center,
}

/// One thing a page or an action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// See the kiosks.
    ReadDevices,
    /// Disable or enable a kiosk (privileged).
    ManageDevices,
    /// See the redemptions waiting for review and their evidence.
    ReadReview,
    /// Decide a redemption (privileged).
    Decide,
    /// Read and export the audit log.
    ReadAudit,
    /// Read and download the monthly reports.
    ReadReports,
    /// Close a month (privileged).
    CloseMonth,
    /// Look up booklets and the state of their coupons.
    ReadBooklets,
    /// Revoke a booklet or a range of serials (privileged).
    Revoke,
    /// See the centers, zones and providers.
    ReadPlaces,
    /// Create centers, zones and providers, and make enrollment codes (privileged).
    ManagePlaces,
    /// See the published bundles and what the next one changes.
    ReadBundles,
    /// Download a bundle draft; import a signed bundle (privileged).
    ManageBundles,
    /// Import or edit the services referential (privileged).
    ManageReferential,
    /// Add, import, retire or mark compromised an issuer key; rotate the sync key; publish a
    /// bundle with a root key on this machine (server commands only).
    ManageKeys,
    /// Record new booklets and write their mint order (server commands only).
    Mint,
    /// Change the rules kiosks and settlement apply (server commands only).
    ManageRules,
    /// Create, disable or enable a console account (server commands only).
    ManageAccounts,
    /// The operator's dashboard: the whole platform's figures.
    ReadDashboard,
    /// One's own center: its kiosks, redemptions and statements (a center's members).
    ReadOwnCenter,
    /// Declare one's own center's workshops and qualification data (a center's members; the
    /// banking data in privilege mode).
    ManageOwnCenter,
    /// Qualify a center whose qualification data the operator checked (privileged): it is
    /// then listed by the public finder.
    QualifyCenters,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Reviewer, Role::Auditor, Role::Center];

    /// The name stored and typed (`account create --role NAME`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Auditor => "auditor",
            Role::Center => "center",
        }
    }

    /// Whether this role has `permission`.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => matches!(
                permission,
                ReadDashboard
                    | ReadDevices
                    | ManageDevices
                    | ReadReview
                    | ReadAudit
                    | ReadReports
                    | CloseMonth
                    | ReadBooklets
                    | Revoke
                    | ReadPlaces
                    | ManagePlaces
                    | QualifyCenters
                    | ReadBundles
                    | ManageBundles
                    | ManageReferential
                    | ManageKeys
                    | Mint
                    | ManageRules
                    | ManageAccounts
            ),
            Role::Reviewer => {
                matches!(
                    permission,
                    ReadDashboard | ReadReview | Decide | ReadReports | ReadBooklets
                )
            }
            Role::Auditor => matches!(
                permission,
                ReadDashboard
                    | ReadDevices
                    | ReadReview
                    | ReadAudit
                    | ReadReports
                    | ReadBooklets
                    | ReadPlaces
                    | ReadBundles
            ),
            Role::Center => matches!(permission, ReadOwnCenter | ManageOwnCenter),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("unknown role {text:?}: admin, reviewer, auditor or center"))
    }
}

/// An account as stored (secrets in their stored form only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// The name typed at login.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its password's argon2id hash (PHC string).
    pub password_hash: String,
    /// Its TOTP secret (base32), which the backend must keep as secret as the database.
    pub totp_secret: String,
    /// Whether an admin disabled it (no login, its sessions end).
    pub disabled: bool,
    /// The center it belongs to: set for [`Role::Center`] only (the database refuses any
    /// other combination).
    pub center: Option<String>,
}

/// An account to create: its secrets already hashed ([`crate::secrets`]).
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// The name typed at login.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its password's argon2id hash.
    pub password_hash: String,
    /// Its TOTP secret (base32).
    pub totp_secret: String,
    /// The hashes of its one-time recovery codes.
    pub recovery_hashes: Vec<String>,
    /// Its center: required for [`Role::Center`], refused for any other role.
    pub center: Option<String>,
}

/// How far a login went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; the second factor is still owed. Such a session opens nothing
    /// but the second-factor form.
    Password,
    /// Password and second factor: a logged-in session.
    Full,
}

impl Stage {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Password => "password",
            Stage::Full => "full",
        }
    }

    /// The stage a stored name means.
    pub fn parse(text: &str) -> Option<Stage> {
        match text {
            "password" => Some(Stage::Password),
            "full" => Some(Stage::Full),
            _ => None,
        }
    }
}

/// A session as stored: only the hash of its token (the cookie) is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie's token, hex.
    pub token_hash: String,
    /// Whose session it is.
    pub account: AccountId,
    /// How far its login went.
    pub stage: Stage,
    /// The token every form of this session carries (CSRF).
    pub csrf: String,
    /// When it was created (unix seconds).
    pub created_at: i64,
    /// When it was last used (unix seconds).
    pub last_seen: i64,
    /// When its account last re-authenticated with password and second factor (unix seconds).
    pub privileged_at: Option<i64>,
    /// The client address it was created from.
    pub address: String,
}

/// A login attempt, kept for the rate limit and the lockout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginAttempt {
    /// When (unix seconds).
    pub at: i64,
    /// The account name typed (whether or not such an account exists).
    pub name: String,
    /// The client address.
    pub address: String,
    /// Whether it succeeded.
    pub ok: bool,
}

/// Failed login attempts counted over the lockout window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// For the account name.
    pub by_name: u32,
    /// From the address.
    pub by_address: u32,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When (RFC 3339).
    pub at: String,
    /// The account that acted (None: a command on the server, or a login before it knew who).
    pub account: Option<String>,
    /// Its role then.
    pub role: Option<Role>,
    /// The client address (`cli` for a command on the server).
    pub address: String,
    /// What was done, such as `device.disable`.
    pub action: String,
    /// On what, such as a device id.
    pub object: String,
    /// The state before (JSON), if any.
    pub before: Option<String>,
    /// The state after (JSON), if any.
    pub after: Option<String>,
}

/// A kiosk as the devices page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    /// Its id.
    pub id: String,
    /// Its center's id.
    pub center: String,
    /// The label given at enrollment.
    pub label: Option<String>,
    /// Whether it is disabled.
    pub disabled: bool,
    /// How many of its entries the platform holds.
    pub entries: u64,
    /// When it enrolled (RFC 3339).
    pub enrolled_at: String,
    /// Its latest signed request (unix seconds), if any.
    pub last_seen: Option<i64>,
}

/// The figures of the dashboard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dashboard {
    /// Accepted redemptions reported today (Europe/Paris).
    pub redemptions_today: u64,
    /// Accepted redemptions reported this month.
    pub redemptions_month: u64,
    /// Redemptions held or in conflict.
    pub waiting_review: u64,
    /// The age in seconds of the oldest of them.
    pub oldest_waiting_secs: Option<i64>,
    /// The latest published bundle's sequence and age in seconds.
    pub bundle: Option<(u64, i64)>,
}

/// One redemption with its evidence, as a reviewer reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedemptionView {
    /// Its id.
    pub id: String,
    /// Its state.
    pub state: EntryState,
    /// Why it is in that state, if the platform says.
    pub detail: Option<String>,
    /// Center id and name.
    pub center: (String, String),
    /// Device id and label.
    pub device: (String, Option<String>),
    /// Coupon kid (hex) and serial.
    pub coupon: (String, u64),
    /// What it would pay, from the minted booklet (None: no booklet holds it).
    pub value_cents: Option<i64>,
    /// The provider's name.
    pub provider: String,
    /// When the kiosk dated it.
    pub occurred_at: String,
    /// When the platform received it.
    pub received_at: String,
    /// Whether it carries the coupon's code.
    pub has_code: bool,
    /// Whether the kiosk signed it.
    pub signed: bool,
}

/// A redemption waiting for a decision, with every other redemption of its coupon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewItem {
    /// The redemption to decide.
    pub redemption: RedemptionView,
    /// The others, first received first.
    pub contenders: Vec<RedemptionView>,
}

/// What a reviewer decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewDecision {
    /// Pay it (refused while another redemption holds the coupon).
    Accept,
    /// Give it the coupon, taking it from the redemption `from` that holds it.
    Transfer {
        /// The holder's id.
        from: String,
    },
    /// Never pay it.
    Reject,
}

impl ReviewDecision {
    /// The audit log's action name.
    pub fn action(&self) -> &'static str {
        match self {
            ReviewDecision::Accept => "review.accept",
            ReviewDecision::Transfer { .. } => "review.transfer",
            ReviewDecision::Reject => "review.reject",
        }
    }
}

/// What one center is owed for one provider's coupons in a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayableLine {
    /// Center id and name.
    pub center: (String, String),
    /// Provider id and name (empty if unknown).
    pub provider: (u32, String),
    /// Valid redemptions.
    pub coupons: u64,
    /// Their total face value, in cents.
    pub amount_cents: i64,
}

/// Why a redemption of the month is listed apart, not paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Apart {
    /// Another redemption holds its coupon.
    Conflict,
    /// Waiting for a reviewer.
    Held,
    /// Refused by the platform's checks or a reviewer.
    Rejected,
    /// Its coupon was never minted.
    Unknown,
}

impl Apart {
    /// Every kind, in the order the report lists them.
    pub const ALL: [Apart; 4] = [
        Apart::Conflict,
        Apart::Held,
        Apart::Rejected,
        Apart::Unknown,
    ];

    /// The name in the CSV's `section` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Apart::Conflict => "conflict",
            Apart::Held => "held",
            Apart::Rejected => "rejected",
            Apart::Unknown => "unknown",
        }
    }
}

/// A redemption of the month that is not paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApartLine {
    /// Why it is not paid.
    pub kind: Apart,
    /// Its id.
    pub id: String,
    /// Center id and name.
    pub center: (String, String),
    /// Device id.
    pub device: String,
    /// Coupon kid (hex) and serial.
    pub coupon: (String, u64),
    /// Provider id and name (empty if unknown).
    pub provider: (u32, String),
    /// When the kiosk dated it (RFC 3339).
    pub redeemed_at: String,
    /// The platform's reason, if it gives one.
    pub detail: Option<String>,
}

/// Who closed a month, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closure {
    /// When (RFC 3339).
    pub at: String,
    /// By whom (an account's name, or a command's `--by`).
    pub by: String,
}

/// The report of one month, as the reports page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthReport {
    /// The month.
    pub month: Month,
    /// Set once the month is closed (its payable lines are then frozen).
    pub closed: Option<Closure>,
    /// What is payable, per center and provider.
    pub payable: Vec<PayableLine>,
    /// What is not, one line per redemption.
    pub apart: Vec<ApartLine>,
}

/// A calendar month (`YYYY-MM`), years 2000 to 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i16,
    month: i8,
}

impl Month {
    /// The month of `date`.
    pub fn of(date: jiff::civil::Date) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> jiff::civil::Date {
        jiff::civil::date(self.year, self.month, 1)
    }

    /// The month before.
    pub fn previous(self) -> Month {
        match self.month {
            1 => Month {
                year: self.year - 1,
                month: 12,
            },
            m => Month {
                year: self.year,
                month: m - 1,
            },
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(text: &str) -> Result<Month, String> {
        let wrong = || format!("{text:?} is not a month (YYYY-MM, 2000-01 to 9999-12)");
        let (year, month) = text.split_once('-').ok_or_else(wrong)?;
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(wrong());
        }
        let year: i16 = year.parse().map_err(|_| wrong())?;
        let month: i8 = month.parse().map_err(|_| wrong())?;
        if !(2000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(wrong());
        }
        Ok(Month { year, month })
    }
}

/// What the booklet search looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookletQuery {
    /// A booklet by its printed number.
    Number(u64),
    /// The booklet holding this coupon: issuer key's kid (hex) and serial.
    Coupon {
        /// The kid, 16 hex digits.
        kid: String,
        /// The serial.
        serial: u64,
    },
}

impl FromStr for BookletQuery {
    type Err = String;

    /// `123` (a booklet number), or a kid and a serial: `0123456789abcdef 42`, or `…:42`,
    /// `…/42`, `…#42`.
    fn from_str(text: &str) -> Result<BookletQuery, String> {
        let text = text.trim();
        let wrong = || {
            "a booklet number, or a key's kid (16 hex digits) and a serial (\"0123456789abcdef 42\")"
                .to_owned()
        };
        if !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().map(BookletQuery::Number).map_err(|_| wrong());
        }
        let (kid, serial) = text.split_once([' ', ':', '/', '#']).ok_or_else(wrong)?;
        let serial = serial.trim();
        if kid.len() != 16
            || !kid.bytes().all(|b| b.is_ascii_hexdigit())
            || serial.is_empty()
            || !serial.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(wrong());
        }
        Ok(BookletQuery::Coupon {
            kid: kid.to_ascii_lowercase(),
            serial: serial.parse().map_err(|_| wrong())?,
        })
    }
}

/// What became of one coupon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CouponState {
    /// No redemption of it (or only rejected ones).
    Unused,
    /// Redeemed and accepted: the platform pays it.
    Redeemed,
    /// Redeemed more than once: a reviewer decides.
    Conflict,
    /// A redemption waits for a reviewer.
    Held,
}

/// One coupon of a booklet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponView {
    /// Its serial.
    pub serial: u64,
    /// What became of it.
    pub state: CouponState,
    /// The revocations covering it: reason and when (RFC 3339); revoked if any.
    pub revoked: Vec<(String, String)>,
    /// Every redemption of it, first received first.
    pub redemptions: Vec<RedemptionView>,
}

impl CouponView {
    /// A coupon's state from its redemptions' states: one accepted is redeemed; else any in
    /// conflict is a conflict, any held is held; rejected ones leave it unused.
    pub fn state_of(states: impl IntoIterator<Item = EntryState>) -> CouponState {
        let states: Vec<EntryState> = states.into_iter().collect();
        if states.contains(&EntryState::Accepted) {
            CouponState::Redeemed
        } else if states.contains(&EntryState::Conflict) {
            CouponState::Conflict
        } else if states.contains(&EntryState::Held) {
            CouponState::Held
        } else {
            CouponState::Unused
        }
    }
}

/// A minted booklet and its coupons, as the booklet page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookletView {
    /// Its printed number.
    pub number: u64,
    /// Its issuer key's kid (hex).
    pub kid: String,
    /// Face value of each coupon, in cents.
    pub value_cents: i64,
    /// Its provider's name.
    pub provider: String,
    /// Issue day and last valid day.
    pub valid: (String, String),
    /// Its coupons, in serial order.
    pub coupons: Vec<CouponView>,
}

/// A center as the centers page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CenterView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its zone (0: unknown) and the zone's name, if the zone exists.
    pub zone: (u32, Option<String>),
    /// Its enrolled kiosks, disabled ones included.
    pub kiosks: u64,
}

/// A redemption of a center's month, as its members see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CenterLine {
    /// Its id.
    pub id: String,
    /// When the kiosk dated it (RFC 3339).
    pub redeemed_at: String,
    /// The kiosk that recorded it.
    pub device: String,
    /// Coupon kid (hex) and serial.
    pub coupon: (String, u64),
    /// What it pays, from the minted booklet, where the platform verified the code.
    pub value_cents: Option<i64>,
    /// Provider id and name (empty if unknown).
    pub provider: (u32, String),
    /// Its state on the platform.
    pub state: EntryState,
    /// For a conflict: the center (id, name) whose redemption holds the coupon.
    pub held_by: Option<(String, String)>,
    /// The platform's reason otherwise, if it gives one.
    pub detail: Option<String>,
}

/// What a center's members see: their center, its kiosks, its redemptions of a month and the
/// months it has a signed statement of. Nothing of another center.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CenterHome {
    /// The center's id and name.
    pub center: (String, String),
    /// Its enrolled kiosks.
    pub kiosks: Vec<DeviceRow>,
    /// The month shown.
    pub month: Month,
    /// Its redemptions of that month, in every state, oldest first.
    pub lines: Vec<CenterLine>,
    /// The months it has a statement of, newest first.
    pub statements: Vec<Month>,
}

/// A center's qualification data as its members declared it (issue 25, point 3): seen only by
/// them and by the operator's accounts that read the centers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CenterProfile {
    /// What it declared.
    pub declared: NewProfile,
    /// When it last changed (unix seconds).
    pub updated_at: i64,
    /// When the operator qualified it and who (unix seconds, account name); None until then,
    /// and again once its legal name, SIRET or IBAN changes.
    pub qualified: Option<(i64, String)>,
}

/// A center's qualification data, each value checked ([`crate::qualification`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProfile {
    /// Its legal name (raison sociale).
    pub legal_name: String,
    /// Its SIRET.
    pub siret: Siret,
    /// The IBAN it is paid on.
    pub iban: Iban,
    /// Its street address (one line).
    pub address: String,
    /// Its postcode.
    pub postcode: Postcode,
    /// Its town.
    pub town: String,
}

impl NewProfile {
    /// The profile as the audit log records it: the IBAN masked (the log is read by auditors
    /// who need to see that it changed, not the account number).
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "legal_name": self.legal_name,
            "siret": self.siret.as_str(),
            "iban": self.iban.masked(),
            "address": self.address,
            "postcode": self.postcode.as_str(),
            "town": self.town,
        })
    }

    /// Whether going from `self` to `next` changes who is paid (legal name, SIRET or IBAN):
    /// such a change withdraws the center's qualification until the operator checks again.
    pub fn changes_payee(&self, next: &NewProfile) -> bool {
        self.legal_name != next.legal_name || self.siret != next.siret || self.iban != next.iban
    }
}

/// A workshop a center declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workshop {
    /// Its number (given by the platform).
    pub id: i64,
    /// What it is declared as.
    #[serde(flatten)]
    pub declared: NewWorkshop,
}

/// A workshop as a center declares it: its name, its area of the referential, optionally one
/// of that area's services, and its length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewWorkshop {
    /// Its name (one line).
    pub name: String,
    /// Its area.
    pub area: Area,
    /// A service of that area, by code.
    pub service: Option<String>,
    /// How long it lasts.
    pub minutes: WorkshopMinutes,
}

/// What the public finder was asked: a postcode (or its first digits, a département), a zone,
/// an area; each narrows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinderQuery {
    /// The start of a postcode: 2 to 5 digits.
    pub postcode: Option<String>,
    /// A zone.
    pub zone: Option<u32>,
    /// An area a workshop covers.
    pub area: Option<Area>,
}

/// A qualified center as the public finder shows it: nothing of its banking or legal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinderCenter {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its street address.
    pub address: String,
    /// Its postcode.
    pub postcode: String,
    /// Its town.
    pub town: String,
    /// Its zone's name, if it has one.
    pub zone: Option<String>,
    /// Its workshops (those of the area asked for, if one was).
    pub workshops: Vec<Workshop>,
}

/// Every center, zone and provider.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlacesView {
    /// The centers, by id.
    pub centers: Vec<CenterView>,
    /// The zones: id and name.
    pub zones: Vec<(u32, String)>,
    /// The providers (funders): id and name.
    pub providers: Vec<(u32, String)>,
}

/// A center, zone or provider to add (a zone or provider with a known id is renamed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewPlace {
    /// A center: id, name, zone (0: unknown).
    Center {
        /// Its id (printable ASCII, no space, at most 64).
        id: String,
        /// Its name.
        name: String,
        /// Its zone.
        zone: u32,
    },
    /// A zone (ids from 1).
    Zone {
        /// Its id.
        id: u32,
        /// Its name.
        name: String,
    },
    /// A provider (funder).
    Provider {
        /// Its id.
        id: u32,
        /// Its name.
        name: String,
    },
}

impl NewPlace {
    /// The audit log's action and object.
    pub fn audit_names(&self) -> (&'static str, String) {
        match self {
            NewPlace::Center { id, .. } => ("center.add", format!("center:{id}")),
            NewPlace::Zone { id, .. } => ("zone.set", format!("zone:{id}")),
            NewPlace::Provider { id, .. } => ("provider.set", format!("provider:{id}")),
        }
    }

    /// The audit log's state after (what was set).
    pub fn audit_after(&self) -> serde_json::Value {
        match self {
            NewPlace::Center { id, name, zone } => {
                serde_json::json!({ "id": id, "name": name, "zone": zone })
            }
            NewPlace::Zone { id, name } | NewPlace::Provider { id, name } => {
                serde_json::json!({ "id": id, "name": name })
            }
        }
    }
}

/// A one-time enrollment code just made for a center, with its printable sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    /// The code (shown once; the platform keeps only its hash).
    pub code: String,
    /// The root fingerprint the kiosk checks before sending the code.
    pub fingerprint: String,
    /// The center's id and name.
    pub center: (String, String),
    /// Until when the code works (Europe/Paris, as an admin reads it).
    pub valid_until: String,
    /// The printable sheet (PDF): code, fingerprint and their QR code.
    pub sheet_pdf: Vec<u8>,
}

/// A published trust bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleRow {
    /// Its sequence.
    pub sequence: u64,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
}

/// The bundles page: the published history and what the next draft changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundlesView {
    /// The published bundles the platform's roots verify, newest first.
    pub published: Vec<BundleRow>,
    /// The next bundle's sequence.
    pub next: u64,
    /// What it changes against the newest published one, widening changes first (the typed
    /// items of `guichet_core::bundle::diff`, which the page words in its language).
    pub changes: Vec<Change>,
}

/// The referential page: the referential in force, and its text as the CSV
/// `guichet-platform referential import` reads (to edit and import back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferentialView {
    /// The referential.
    pub referential: Referential,
    /// It as CSV (`type,code,fr,en`; its version apart).
    pub csv: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_strictly() {
        let month: Month = "2026-03".parse().unwrap();
        assert_eq!(month.to_string(), "2026-03");
        assert_eq!(month.first_day(), jiff::civil::date(2026, 3, 1));
        assert_eq!(
            "2026-01".parse::<Month>().unwrap().previous().to_string(),
            "2025-12"
        );
        for bad in [
            "2026-13",
            "2026-00",
            "2026-3",
            "26-03",
            "+202-03",
            "2026-+3",
            "1999-12",
            "",
            "2026-03-01",
            "２０２６-03",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_center_account_may_read_its_own_center_and_nothing_else() {
        use Permission::*;
        let every = [
            ReadDevices,
            ManageDevices,
            ReadReview,
            Decide,
            ReadAudit,
            ReadReports,
            CloseMonth,
            ReadBooklets,
            Revoke,
            ReadPlaces,
            ManagePlaces,
            ReadBundles,
            ManageBundles,
            ManageReferential,
            ManageKeys,
            Mint,
            ManageRules,
            ManageAccounts,
            ReadDashboard,
            ReadOwnCenter,
            ManageOwnCenter,
            QualifyCenters,
        ];
        for permission in every {
            let own = matches!(permission, ReadOwnCenter | ManageOwnCenter);
            assert_eq!(Role::Center.may(permission), own, "{permission:?}");
            assert_eq!(
                Role::Admin.may(permission) && !own,
                permission != Decide && !own,
                "an admin may do all but decide and a center's own: {permission:?}"
            );
            if own {
                for operator in [Role::Admin, Role::Reviewer, Role::Auditor] {
                    assert!(!operator.may(permission), "{operator}");
                }
            }
        }
        assert_eq!("center".parse::<Role>(), Ok(Role::Center));
    }

    #[test]
    fn only_admins_close_a_month_or_revoke_and_everyone_reads() {
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Center) {
            assert!(role.may(Permission::ReadReports), "{role}");
            assert!(role.may(Permission::ReadBooklets), "{role}");
            assert_eq!(
                role.may(Permission::CloseMonth),
                role == Role::Admin,
                "{role}"
            );
            assert_eq!(role.may(Permission::Revoke), role == Role::Admin, "{role}");
            assert!(
                role.may(Permission::ReadPlaces) != (role == Role::Reviewer),
                "{role}"
            );
            assert_eq!(
                role.may(Permission::ManagePlaces),
                role == Role::Admin,
                "{role}"
            );
            for admins_only in [
                Permission::ManageReferential,
                Permission::ManageKeys,
                Permission::Mint,
                Permission::ManageRules,
                Permission::ManageAccounts,
            ] {
                assert_eq!(
                    role.may(admins_only),
                    role == Role::Admin,
                    "{role} {admins_only:?}"
                );
            }
        }
    }

    #[test]
    fn booklet_searches_are_read_strictly() {
        let kid = "0123456789ABCDEF";
        assert_eq!("  42 ".parse(), Ok(BookletQuery::Number(42)));
        for text in [format!("{kid} 7"), format!("{kid}:7"), format!("{kid}#7")] {
            assert_eq!(
                text.parse(),
                Ok(BookletQuery::Coupon {
                    kid: kid.to_ascii_lowercase(),
                    serial: 7
                }),
                "{text}"
            );
        }
        for bad in [
            "",
            "-1",
            "99999999999999999999999",
            "0123 7",
            "0123456789abcdeg 7",
            "0123456789abcdef",
            "0123456789abcdef +7",
            "0123456789abcdef 1e3",
        ] {
            assert!(bad.parse::<BookletQuery>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_coupon_is_redeemed_once_accepted() {
        use EntryState::{Accepted, Conflict, Held, Rejected};
        assert_eq!(CouponView::state_of([]), CouponState::Unused);
        assert_eq!(CouponView::state_of([Rejected]), CouponState::Unused);
        assert_eq!(CouponView::state_of([Held, Rejected]), CouponState::Held);
        assert_eq!(
            CouponView::state_of([Accepted, Conflict]),
            CouponState::Redeemed
        );
        assert_eq!(
            CouponView::state_of([Conflict, Held]),
            CouponState::Conflict
        );
    }
}
