//! Who an administration command run on the server acts as.
//!
//! Every `guichet-platform` command that changes the platform names a console account with
//! `--by ACCOUNT` (or `GUICHET_ACCOUNT`): it must exist, be enabled, and have a role that
//! allows the command, and the change is written to the audit log under that account, in
//! the transaction of the change. A shell on the server is trusted to say who it is (there is
//! no password here: whoever has the shell has the database too), but no longer with a free
//! text: the name is an account's, and what it did is where the console shows it.
//!
//! The one exception is the first admin account: while no enabled admin exists,
//! `account create --role admin` needs no `--by` (nobody could be named yet; `--by` may name
//! the account being made), and its audit entry names the account it made.

use guichet_console::model::{Account, AuditEntry, Permission, Role};
use jiff::Timestamp;

use crate::error::Error;
use crate::store::Store;

/// The address an audit entry of a server command carries.
pub const CLI_ADDRESS: &str = "cli";

/// The account a command acts as, checked against the accounts (or the first admin account,
/// being made).
#[derive(Clone, Debug)]
pub struct Acting {
    name: String,
    role: Role,
}

impl Acting {
    /// The account `by` names, if it exists, is enabled and its role allows `permission`;
    /// refused otherwise, and when `by` is missing.
    pub async fn named(
        store: &Store,
        by: Option<&str>,
        permission: Permission,
    ) -> Result<Acting, Error> {
        let name = by.ok_or_else(|| {
            Error::Invalid(
                "this command changes the platform: name the console account you act as with \
                 --by ACCOUNT or GUICHET_ACCOUNT (`account list`)"
                    .into(),
            )
        })?;
        let account = store.console_account_named(name).await?.ok_or_else(|| {
            Error::Invalid(format!(
                "--by {name:?} names no console account (`account list`; `account create` first)"
            ))
        })?;
        if account.disabled {
            return Err(Error::Invalid(format!("the account {name:?} is disabled")));
        }
        if !account.role.may(permission) {
            return Err(Error::Invalid(format!(
                "the account {name:?} is a {}: its role does not allow this",
                account.role
            )));
        }
        let Account { name, role, .. } = account;
        Ok(Acting { name, role })
    }

    /// Who creates the account `name` of `role`: an admin named by `by`, except for the
    /// first admin account, made while no enabled admin account exists with no `--by` or
    /// with `--by` naming itself (it is then recorded as made by itself).
    pub async fn creating_account(
        store: &Store,
        by: Option<&str>,
        name: &str,
        role: Role,
    ) -> Result<Acting, Error> {
        let first = role == Role::Admin && by.is_none_or(|by| by == name);
        if first && !store.has_enabled_admin().await? {
            return Ok(Acting {
                name: name.to_owned(),
                role,
            });
        }
        Acting::named(store, by, Permission::ManageAccounts).await
    }

    /// The account's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The audit entry of `action` on `object` done by this account from the server, with
    /// the state after it (JSON), if any.
    pub fn audit(
        &self,
        action: &str,
        object: &str,
        after: Option<serde_json::Value>,
        now: Timestamp,
    ) -> AuditEntry {
        AuditEntry {
            at: now.to_string(),
            account: Some(self.name.clone()),
            role: Some(self.role),
            address: CLI_ADDRESS.into(),
            action: action.into(),
            object: object.into(),
            before: None,
            after: after.map(|v| v.to_string()),
        }
    }
}
