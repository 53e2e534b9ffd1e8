//! Who is asking: the session a cookie names (its timeouts, its account), the checks of a
//! post (same origin, form token, role, privilege mode), and the login's checks (lockout,
//! password, second factor never accepted twice).

use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;

use crate::backend::ConsoleBackend;
use crate::guard::same_origin;
use crate::i18n::Lang;
use crate::model::{Account, AuditEntry, LoginAttempt, Permission, Session, Stage};
use crate::secrets::{recovery_hash, same_token, token_hash, totp_step, verify_password};
use crate::web::{cookie, Fail};
use crate::ClientAddress;

/// The session cookie (`__Host-`: Secure, Path=/, no Domain, so no other host sets it).
pub const COOKIE: &str = "__Host-guichet";
/// A session unused this long ends (30 minutes).
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// A session ends this long after its login, used or not (12 hours).
pub const ABSOLUTE_LIFETIME_SECS: i64 = 12 * 60 * 60;
/// A session that typed its password has this long to give its second factor (5 minutes).
pub const SECOND_FACTOR_SECS: i64 = 5 * 60;
/// A re-authentication opens privilege mode this long (10 minutes).
pub const PRIVILEGE_SECS: i64 = 10 * 60;
/// Failed logins are counted over this window (15 minutes)…
pub const LOCKOUT_WINDOW_SECS: i64 = 15 * 60;
/// …and this many for one account name lock it until they are older than the window…
pub const MAX_FAILURES_PER_NAME: u32 = 5;
/// …and this many from one address lock that address out.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 10;
/// A session's last use is written at most this often (not one write per page).
const TOUCH_EVERY_SECS: i64 = 60;

/// A logged-in request: its account and session.
pub struct Current {
    /// The account.
    pub account: Account,
    /// Its session.
    pub session: Session,
    /// The page language.
    pub lang: Lang,
}

impl Current {
    /// Refuses (403) unless the account's role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Fail> {
        if self.account.role.may(permission) {
            return Ok(());
        }
        Err(Fail::page(
            StatusCode::FORBIDDEN,
            self.lang,
            self.lang.t(
                "Votre rôle ne permet pas cette action.",
                "Your role does not allow this action.",
            ),
        ))
    }

    /// Whether privilege mode is open at `now`.
    pub fn privileged(&self, now: i64) -> bool {
        self.session
            .privileged_at
            .is_some_and(|at| now - at < PRIVILEGE_SECS && at <= now)
    }

    /// Refuses with the re-authentication page unless privilege mode is open.
    pub fn require_privilege(&self, now: i64, back: &str) -> Result<(), Fail> {
        if self.privileged(now) {
            return Ok(());
        }
        Err(Fail::Privilege(self.lang, back.to_owned()))
    }

    /// An audit entry of an action of this account from `address` now.
    pub fn audit(
        &self,
        address: ClientAddress,
        action: &str,
        object: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> AuditEntry {
        AuditEntry {
            at: Timestamp::now().to_string(),
            account: Some(self.account.name.clone()),
            role: Some(self.account.role),
            address: address.0.to_string(),
            action: action.to_owned(),
            object: object.to_owned(),
            before: before.map(|v| v.to_string()),
            after: after.map(|v| v.to_string()),
        }
    }
}

/// The session the request's cookie names, at whatever stage, if it is alive at `now` (an
/// expired one is deleted) and its account is enabled; with its account.
pub async fn session_of<B: ConsoleBackend>(
    backend: &B,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<(Session, Account)>, Fail> {
    let lang = Lang::of(headers);
    let Some(token) = cookie(headers, COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some(session) = backend.session(&hash).await.map_err(Fail::backend(lang))? else {
        return Ok(None);
    };
    let alive = match session.stage {
        Stage::Password => now - session.created_at < SECOND_FACTOR_SECS,
        Stage::Full => {
            now - session.last_seen < IDLE_TIMEOUT_SECS
                && now - session.created_at < ABSOLUTE_LIFETIME_SECS
        }
    };
    let account = backend
        .account(&session.account)
        .await
        .map_err(Fail::backend(lang))?
        .filter(|account| !account.disabled);
    let Some(account) = account.filter(|_| alive) else {
        backend
            .end_session(&hash, None)
            .await
            .map_err(Fail::backend(lang))?;
        return Ok(None);
    };
    if session.stage == Stage::Full && now - session.last_seen >= TOUCH_EVERY_SECS {
        backend
            .touch_session(&hash, now)
            .await
            .map_err(Fail::backend(lang))?;
    }
    Ok(Some((session, account)))
}

/// The logged-in session of a page (password and second factor), or where to go instead.
pub async fn current<B: ConsoleBackend>(backend: &B, headers: &HeaderMap) -> Result<Current, Fail> {
    let now = Timestamp::now().as_second();
    match session_of(backend, headers, now).await? {
        None => Err(Fail::Login),
        Some((session, _)) if session.stage == Stage::Password => Err(Fail::SecondFactor),
        Some((session, account)) => Ok(Current {
            account,
            session,
            lang: Lang::of(headers),
        }),
    }
}

/// The checks of a form post, before anything else: from this console's own pages (same
/// origin), then the logged-in session, then the session's form token.
pub async fn posting<B: ConsoleBackend>(
    backend: &B,
    headers: &HeaderMap,
    form_token: &str,
) -> Result<Current, Fail> {
    check_origin(headers)?;
    let current = current(backend, headers).await?;
    check_token(&current.session, form_token, current.lang)?;
    Ok(current)
}

/// Refuses (403) a post from another site.
pub fn check_origin(headers: &HeaderMap) -> Result<(), Fail> {
    same_origin(headers).map_err(|why| {
        tracing::warn!("console: a cross-site post refused ({why})");
        let lang = Lang::of(headers);
        Fail::page(
            StatusCode::FORBIDDEN,
            lang,
            lang.t(
                "Formulaire refusé : il ne vient pas de cette console.",
                "Form refused: it does not come from this console.",
            ),
        )
    })
}

/// Refuses (403) a form whose token is not its session's.
pub fn check_token(session: &Session, form_token: &str, lang: Lang) -> Result<(), Fail> {
    if same_token(&session.csrf, form_token) {
        return Ok(());
    }
    Err(Fail::page(
        StatusCode::FORBIDDEN,
        lang,
        lang.t(
            "Formulaire refusé : jeton de formulaire absent ou périmé. Rechargez la page.",
            "Form refused: missing or stale form token. Reload the page.",
        ),
    ))
}

/// Refuses (429) when the account name or the address has failed too often lately.
pub async fn check_lockout<B: ConsoleBackend>(
    backend: &B,
    name: &str,
    address: ClientAddress,
    now: i64,
    lang: Lang,
) -> Result<(), Fail> {
    let failures = backend
        .failures_since(name, &address.0.to_string(), now - LOCKOUT_WINDOW_SECS)
        .await
        .map_err(Fail::backend(lang))?;
    if failures.by_name >= MAX_FAILURES_PER_NAME || failures.by_address >= MAX_FAILURES_PER_ADDRESS
    {
        return Err(Fail::page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            lang.t(
                "Trop d'essais manqués : connexion bloquée 15 minutes pour ce compte ou cette adresse.",
                "Too many failed attempts: login blocked for 15 minutes for this account or address.",
            ),
        ));
    }
    Ok(())
}

/// Records a login attempt.
pub async fn record_attempt<B: ConsoleBackend>(
    backend: &B,
    name: &str,
    address: ClientAddress,
    now: i64,
    ok: bool,
    lang: Lang,
) -> Result<(), Fail> {
    backend
        .record_login_attempt(&LoginAttempt {
            at: now,
            name: name.to_owned(),
            address: address.0.to_string(),
            ok,
        })
        .await
        .map_err(Fail::backend(lang))
}

/// Whether `password` is the account's (a decoy hash is checked when there is no account, so
/// the time taken tells nothing). The argon2id check (about 19 MiB and tens of milliseconds of
/// CPU) runs on tokio's blocking pool, not on the async threads that serve the other requests.
pub async fn password_matches(account: Option<&Account>, password: &str) -> Result<bool, Fail> {
    let hash = account.map(|account| account.password_hash.clone());
    let enabled = account.is_some_and(|account| !account.disabled);
    let password = password.to_owned();
    let verified = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&hash, &password),
        None => {
            verify_password(crate::secrets::decoy_hash(), &password);
            false
        }
    })
    .await
    .map_err(|e| Fail::Internal(format!("the password check failed: {e}")))?;
    Ok(verified && enabled)
}

/// Whether `code` is the account's second factor now: a TOTP code of a time step later than
/// any accepted before (recorded as used), or one of its unused recovery codes (used up).
pub async fn second_factor_matches<B: ConsoleBackend>(
    backend: &B,
    account: &Account,
    code: &str,
    now: Timestamp,
    lang: Lang,
) -> Result<bool, Fail> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let step = totp_step(&account.totp_secret, &digits, now.as_second().max(0) as u64)
            .map_err(|e| Fail::Internal(e.to_string()))?;
        return match step {
            Some(step) => backend
                .claim_totp_step(&account.id, step)
                .await
                .map_err(Fail::backend(lang)),
            None => Ok(false),
        };
    }
    backend
        .use_recovery_code(&account.id, &recovery_hash(code), now)
        .await
        .map_err(Fail::backend(lang))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::model::{AccountId, Role};
    use crate::secrets::hash_password;

    fn account(password: &str, disabled: bool) -> Account {
        Account {
            id: AccountId("a1".into()),
            name: "camille".into(),
            role: Role::Admin,
            password_hash: hash_password(password).unwrap(),
            totp_secret: String::new(),
            disabled,
            center: None,
        }
    }

    /// On a runtime with one thread, other tasks keep running while a password is checked:
    /// the argon2id work is not on the async thread.
    #[tokio::test(flavor = "current_thread")]
    async fn the_password_check_leaves_the_async_thread_free() {
        let camille = account("correct horse battery", false);
        let done = Arc::new(AtomicBool::new(false));
        let ticker = tokio::spawn({
            let done = done.clone();
            async move {
                let mut ticks = 0u32;
                while !done.load(Ordering::SeqCst) {
                    ticks += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                ticks
            }
        });
        // The ticker runs once before the check starts.
        tokio::task::yield_now().await;
        let right = password_matches(Some(&camille), "correct horse battery").await;
        let wrong = password_matches(Some(&camille), "correct horse batterz").await;
        let nobody = password_matches(None, "correct horse battery").await;
        done.store(true, Ordering::SeqCst);
        let ticks = ticker.await.unwrap();
        assert!(matches!(right, Ok(true)));
        assert!(matches!(wrong, Ok(false)));
        assert!(matches!(nobody, Ok(false)));
        // Three argon2id checks take tens of milliseconds at least; had they run on the one
        // async thread, the ticker would have run once or twice.
        assert!(ticks >= 5, "the ticker ran {ticks} times during the checks");
    }

    #[tokio::test]
    async fn a_disabled_account_never_matches() {
        let camille = account("correct horse battery", true);
        assert!(matches!(
            password_matches(Some(&camille), "correct horse battery").await,
            Ok(false)
        ));
    }
}
