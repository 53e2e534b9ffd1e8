//! The console's accounts, sessions, login attempts and audit log (migration 7), and the two
//! console reads and writes no other store file has: a kiosk disabled with its audit entry in
//! one transaction, and the dashboard's redemption counts.
//!
//! Secrets arrive hashed ([`guichet_console::secrets`]); nothing here hashes or checks them.

use guichet_console::model::{
    Account, AccountId, AuditEntry, Failures, LoginAttempt, NewAccount, Role, Session, Stage,
};
use jiff::civil::Date;
use jiff::Timestamp;
use uuid::Uuid;

use super::{invalid, stamp, Store};
use crate::db::{self, Mode, Tx, Value};
use crate::error::Error;

/// An account as `account list` shows it (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    /// The login name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Whether it is disabled.
    pub disabled: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u64,
    /// Its center (a center account's).
    pub center: Option<String>,
}

/// The longest account name.
const MAX_NAME_CHARS: usize = 64;

/// Refuses a name that is not 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        return Ok(());
    }
    Err(invalid(format!(
        "account name {name:?}: 1 to {MAX_NAME_CHARS} letters, digits, '.', '_', '-' or '@'"
    )))
}

fn role_of(text: &str) -> Result<Role, Error> {
    text.parse().map_err(Error::Storage)
}

const ACCOUNT_COLUMNS: &str = "id, name, role, password_hash, totp_secret, disabled, center";

/// An account as stored ([`ACCOUNT_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    name: String,
    role: String,
    password_hash: String,
    totp_secret: String,
    disabled: i64,
    center: Option<String>,
}

impl AccountRow {
    fn account(self) -> Result<Account, Error> {
        Ok(Account {
            id: AccountId(self.id),
            name: self.name,
            role: role_of(&self.role)?,
            password_hash: self.password_hash,
            totp_secret: self.totp_secret,
            disabled: self.disabled != 0,
            center: self.center,
        })
    }
}

/// An account as `account list` reads it.
#[derive(sqlx::FromRow)]
struct AccountListRow {
    name: String,
    role: String,
    disabled: i64,
    created_at: String,
    recovery_codes_left: i64,
    center: Option<String>,
}

/// A session as stored.
#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    account: String,
    stage: String,
    csrf: String,
    created_at: i64,
    last_seen: i64,
    privileged_at: Option<i64>,
    address: String,
}

const AUDIT_COLUMNS: &str = "at, account, role, address, action, object, before, after";

/// An audit entry as stored ([`AUDIT_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct AuditRow {
    at: String,
    account: Option<String>,
    role: Option<String>,
    address: String,
    action: String,
    object: String,
    before: Option<String>,
    after: Option<String>,
}

/// Appends one audit entry in the transaction of the change it records.
pub(super) async fn audit(tx: &mut Tx, entry: &AuditEntry) -> Result<(), Error> {
    tx.execute(
        &format!(
            "INSERT INTO console_audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ),
        &[
            entry.at.as_str().into(),
            entry.account.clone().into(),
            entry.role.map(Role::as_str).into(),
            entry.address.as_str().into(),
            entry.action.as_str().into(),
            entry.object.as_str().into(),
            entry.before.clone().into(),
            entry.after.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Writes `entry`, if any, in the transaction of the change it records.
pub(super) async fn audit_if(tx: &mut Tx, entry: Option<&AuditEntry>) -> Result<(), Error> {
    match entry {
        Some(entry) => audit(tx, entry).await,
        None => Ok(()),
    }
}

/// Moves one session a step on (`update`: `$1` the time, `$2` the token's hash, guarded by the
/// stage it must be at), with the step's audit entry; refused with `over` if that session is
/// not at that stage any more.
async fn advance_session(
    tx: &mut Tx,
    update: &str,
    (at, token_hash): (i64, &str),
    over: &str,
    entry: &AuditEntry,
) -> Result<(), Error> {
    let changed = tx
        .execute(update, &[Value::Int(at), token_hash.into()])
        .await?;
    if changed != 1 {
        return Err(invalid(over));
    }
    audit(tx, entry).await
}

impl Store {
    /// Creates an account (its secrets hashed by the caller) with its recovery codes and the
    /// audit entry; its id. Refused if the name is taken or malformed.
    pub async fn create_account(
        &self,
        account: &NewAccount,
        entry: &AuditEntry,
    ) -> Result<AccountId, Error> {
        check_name(&account.name)?;
        if (account.role == Role::Center) != account.center.is_some() {
            return Err(invalid(
                "a center account names its center (--center ID); no other role has one",
            ));
        }
        let id = Uuid::now_v7().to_string();
        self.run(Mode::Write, async |tx| {
            if let Some(center) = &account.center {
                if !tx
                    .exists(
                        "SELECT 1 FROM centers WHERE id = $1",
                        &[center.as_str().into()],
                    )
                    .await?
                {
                    return Err(invalid(format!("no center {center} (center add first)")));
                }
            }
            if tx
                .exists(
                    "SELECT 1 FROM console_accounts WHERE name = $1",
                    &[account.name.as_str().into()],
                )
                .await?
            {
                return Err(invalid(format!(
                    "an account is named {:?} already",
                    account.name
                )));
            }
            tx.execute(
                "INSERT INTO console_accounts (id, name, role, password_hash, totp_secret, \
                 totp_last_step, disabled, created_at, center) \
                 VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $7)",
                &[
                    id.as_str().into(),
                    account.name.as_str().into(),
                    account.role.as_str().into(),
                    account.password_hash.as_str().into(),
                    account.totp_secret.as_str().into(),
                    entry.at.as_str().into(),
                    account.center.clone().into(),
                ],
            )
            .await?;
            for hash in &account.recovery_hashes {
                tx.execute(
                    "INSERT INTO console_recovery_codes (account, code_hash) VALUES ($1, $2)",
                    &[id.as_str().into(), hash.as_str().into()],
                )
                .await?;
            }
            audit(tx, entry).await
        })
        .await?;
        Ok(AccountId(id))
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<AccountSummary>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.rows::<AccountListRow>(
                "SELECT a.name, a.role, a.disabled, a.created_at, a.center, \
                 (SELECT COUNT(*) FROM console_recovery_codes r \
                  WHERE r.account = a.id AND r.used_at IS NULL) AS recovery_codes_left \
                 FROM console_accounts a ORDER BY a.name",
                &[],
            )
            .await?
            .into_iter()
            .map(|row| {
                Ok(AccountSummary {
                    name: row.name,
                    role: role_of(&row.role)?,
                    disabled: row.disabled != 0,
                    created_at: row.created_at,
                    recovery_codes_left: db::count(row.recovery_codes_left)?,
                    center: row.center,
                })
            })
            .collect()
        })
        .await
    }

    /// Whether an enabled admin account exists (until one does, the first is made on the
    /// server without naming who acts: `acting::Acting::creating_account`).
    pub async fn has_enabled_admin(&self) -> Result<bool, Error> {
        self.run(Mode::Read, async |tx| {
            tx.exists(
                "SELECT 1 FROM console_accounts WHERE role = $1 AND disabled = 0",
                &[Role::Admin.as_str().into()],
            )
            .await
        })
        .await
    }

    /// Disables (and ends every session of) or enables the account `name`, with its audit
    /// entry; refused if there is no such account or it is so already.
    pub async fn set_account_disabled(
        &self,
        name: &str,
        disabled: bool,
        entry: &AuditEntry,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            let changed = tx
                .execute(
                    "UPDATE console_accounts SET disabled = $1 WHERE name = $2 AND disabled <> $1",
                    &[Value::Int(disabled.into()), name.into()],
                )
                .await?;
            if changed == 0 {
                let exists = tx
                    .exists(
                        "SELECT 1 FROM console_accounts WHERE name = $1",
                        &[name.into()],
                    )
                    .await?;
                let state = if disabled { "disabled" } else { "enabled" };
                return Err(invalid(if exists {
                    format!("account {name:?} is {state} already")
                } else {
                    format!("no account is named {name:?}")
                }));
            }
            if disabled {
                tx.execute(
                    "DELETE FROM console_sessions WHERE account IN \
                     (SELECT id FROM console_accounts WHERE name = $1)",
                    &[name.into()],
                )
                .await?;
            }
            audit(tx, entry).await
        })
        .await
    }

    /// The account with this login name.
    pub async fn console_account_named(&self, name: &str) -> Result<Option<Account>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.row::<AccountRow>(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM console_accounts WHERE name = $1"),
                &[name.into()],
            )
            .await?
            .map(AccountRow::account)
            .transpose()
        })
        .await
    }

    /// The account with this id.
    pub async fn console_account(&self, id: &AccountId) -> Result<Option<Account>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.row::<AccountRow>(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM console_accounts WHERE id = $1"),
                &[id.0.as_str().into()],
            )
            .await?
            .map(AccountRow::account)
            .transpose()
        })
        .await
    }

    /// Records TOTP step `step` as used by the account; false if it or a later one was used
    /// (one guarded statement: two logins racing with the same code cannot both pass).
    pub async fn claim_totp_step(&self, id: &AccountId, step: u64) -> Result<bool, Error> {
        let step = i64::try_from(step).map_err(|e| invalid(e.to_string()))?;
        self.run(Mode::Write, async |tx| {
            Ok(tx
                .execute(
                    "UPDATE console_accounts SET totp_last_step = $1 \
                     WHERE id = $2 AND totp_last_step < $1",
                    &[Value::Int(step), id.0.as_str().into()],
                )
                .await?
                == 1)
        })
        .await
    }

    /// Uses up one unused recovery code of the account; false if it has none with this hash.
    pub async fn use_recovery_code(
        &self,
        id: &AccountId,
        code_hash: &str,
        at: Timestamp,
    ) -> Result<bool, Error> {
        self.run(Mode::Write, async |tx| {
            Ok(tx
                .execute(
                    "UPDATE console_recovery_codes SET used_at = $1 \
                     WHERE account = $2 AND code_hash = $3 AND used_at IS NULL",
                    &[stamp(at).into(), id.0.as_str().into(), code_hash.into()],
                )
                .await?
                == 1)
        })
        .await
    }

    /// Records a login attempt; forgets those older than a day meanwhile.
    pub async fn record_login_attempt(&self, attempt: &LoginAttempt) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            tx.execute(
                "INSERT INTO console_login_attempts (at, name, address, ok) \
                 VALUES ($1, $2, $3, $4)",
                &[
                    Value::Int(attempt.at),
                    attempt.name.as_str().into(),
                    attempt.address.as_str().into(),
                    Value::Int(attempt.ok.into()),
                ],
            )
            .await?;
            tx.execute(
                "DELETE FROM console_login_attempts WHERE at < $1",
                &[Value::Int(attempt.at - 24 * 60 * 60)],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Failed login attempts for `name` and from `address` since `since` (unix seconds).
    pub async fn login_failures(
        &self,
        name: &str,
        address: &str,
        since: i64,
    ) -> Result<Failures, Error> {
        let failures = |count: i64| u32::try_from(count).unwrap_or(u32::MAX);
        self.run(Mode::Read, async |tx| {
            let (by_name,) = tx
                .one::<(i64,)>(
                    "SELECT COUNT(*) FROM console_login_attempts \
                     WHERE name = $1 AND at >= $2 AND ok = 0",
                    &[name.into(), Value::Int(since)],
                )
                .await?;
            let (by_address,) = tx
                .one::<(i64,)>(
                    "SELECT COUNT(*) FROM console_login_attempts \
                     WHERE address = $1 AND at >= $2 AND ok = 0",
                    &[address.into(), Value::Int(since)],
                )
                .await?;
            Ok(Failures {
                by_name: failures(by_name),
                by_address: failures(by_address),
            })
        })
        .await
    }

    /// Stores a new session; forgets those past their absolute lifetime meanwhile (a cookie
    /// that never came back leaves no row for long).
    pub async fn create_session(&self, session: &Session) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            tx.execute(
                "DELETE FROM console_sessions WHERE created_at < $1",
                &[Value::Int(
                    session.created_at - guichet_console::ABSOLUTE_LIFETIME_SECS,
                )],
            )
            .await?;
            tx.execute(
                "INSERT INTO console_sessions (token_hash, account, stage, csrf, created_at, \
                 last_seen, privileged_at, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    session.token_hash.as_str().into(),
                    session.account.0.as_str().into(),
                    session.stage.as_str().into(),
                    session.csrf.as_str().into(),
                    Value::Int(session.created_at),
                    Value::Int(session.last_seen),
                    session.privileged_at.into(),
                    session.address.as_str().into(),
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// The session whose token has this hash.
    pub async fn console_session(&self, token_hash: &str) -> Result<Option<Session>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.row::<SessionRow>(
                "SELECT token_hash, account, stage, csrf, created_at, last_seen, privileged_at, \
                 address FROM console_sessions WHERE token_hash = $1",
                &[token_hash.into()],
            )
            .await?
            .map(|row| {
                Ok(Session {
                    token_hash: row.token_hash,
                    account: AccountId(row.account),
                    stage: Stage::parse(&row.stage)
                        .ok_or_else(|| Error::Storage("unknown session stage".into()))?,
                    csrf: row.csrf,
                    created_at: row.created_at,
                    last_seen: row.last_seen,
                    privileged_at: row.privileged_at,
                    address: row.address,
                })
            })
            .transpose()
        })
        .await
    }

    /// Records that a session was used at `at`.
    pub async fn touch_session(&self, token_hash: &str, at: i64) -> Result<(), Error> {
        self.run(Mode::Autocommit, async |tx| {
            tx.execute(
                "UPDATE console_sessions SET last_seen = $1 WHERE token_hash = $2",
                &[Value::Int(at), token_hash.into()],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Makes a session that gave its second factor a full one (from `at`), with the audit entry.
    pub async fn complete_login(
        &self,
        token_hash: &str,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            advance_session(
                tx,
                "UPDATE console_sessions SET stage = 'full', last_seen = $1 \
                 WHERE token_hash = $2 AND stage = 'password'",
                (at, token_hash),
                "this login is over: log in again",
                entry,
            )
            .await
        })
        .await
    }

    /// Opens privilege mode for a full session from `at`, with the audit entry.
    pub async fn elevate_session(
        &self,
        token_hash: &str,
        at: i64,
        entry: &AuditEntry,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            advance_session(
                tx,
                "UPDATE console_sessions SET privileged_at = $1, last_seen = $1 \
                 WHERE token_hash = $2 AND stage = 'full'",
                (at, token_hash),
                "this session is over: log in again",
                entry,
            )
            .await
        })
        .await
    }

    /// Deletes a session, with the audit entry if any.
    pub async fn end_session(
        &self,
        token_hash: &str,
        entry: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            tx.execute(
                "DELETE FROM console_sessions WHERE token_hash = $1",
                &[token_hash.into()],
            )
            .await?;
            audit_if(tx, entry).await
        })
        .await
    }

    /// Disables or enables a kiosk with the audit entry, in one transaction; refused if there
    /// is no such kiosk or it is so already (the entry's "before" is then what it was).
    pub async fn set_device_disabled_audited(
        &self,
        id: &str,
        disabled: bool,
        entry: &AuditEntry,
    ) -> Result<(), Error> {
        self.run(Mode::Write, async |tx| {
            let changed = tx
                .execute(
                    "UPDATE devices SET disabled = $1 WHERE id = $2 AND disabled <> $1",
                    &[Value::Int(disabled.into()), id.into()],
                )
                .await?;
            if changed == 0 {
                let exists = tx
                    .exists("SELECT 1 FROM devices WHERE id = $1", &[id.into()])
                    .await?;
                let state = if disabled { "disabled" } else { "enabled" };
                return Err(invalid(if exists {
                    format!("kiosk {id} is {state} already")
                } else {
                    format!("no kiosk {id}")
                }));
            }
            audit(tx, entry).await
        })
        .await
    }

    /// The latest `limit` audit entries, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        self.run(Mode::Read, async |tx| {
            tx.rows::<AuditRow>(
                &format!("SELECT {AUDIT_COLUMNS} FROM console_audit ORDER BY seq DESC LIMIT $1"),
                &[Value::from(limit)],
            )
            .await?
            .into_iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: row.at,
                    account: row.account,
                    role: row.role.as_deref().map(role_of).transpose()?,
                    address: row.address,
                    action: row.action,
                    object: row.object,
                    before: row.before,
                    after: row.after,
                })
            })
            .collect()
        })
        .await
    }

    /// Accepted redemptions reported on `today` and in its month so far (by report day).
    pub async fn accepted_redemptions(&self, today: Date) -> Result<(u64, u64), Error> {
        let month_start = today.first_of_month().to_string();
        let today = today.to_string();
        self.run(Mode::Read, async |tx| {
            let (on_the_day, in_the_month) = tx
                .one::<(i64, i64)>(
                    "SELECT COUNT(CASE WHEN report_day = $2 THEN 1 END), COUNT(*) \
                     FROM entries WHERE kind = 'redemption' AND state = 'accepted' \
                     AND report_day >= $1 AND report_day <= $2",
                    &[month_start.into(), today.into()],
                )
                .await?;
            Ok((db::count(on_the_day)?, db::count(in_the_month)?))
        })
        .await
    }
}
