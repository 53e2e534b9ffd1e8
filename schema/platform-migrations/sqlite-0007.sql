-- Guichet platform database, version 7 (SQLite; PostgreSQL: postgres-0007.sql).
-- Issue 24, the operator's console (crates/guichet-console): accounts, sessions, login
-- attempts, the audit log.
--
-- console_accounts: one per person and party. password_hash: argon2id PHC string.
--   totp_secret: base32 (as secret as the database itself). totp_last_step: the latest RFC 6238
--   time step accepted (a code of that step or an earlier one is never accepted again).
-- console_recovery_codes: SHA-256 (hex) of each one-time recovery code; used_at once used.
-- console_sessions: token_hash is the SHA-256 (hex) of the cookie's token (the token itself is
--   never stored); stage 'password' (second factor owed) or 'full'; csrf the token every form of
--   the session carries; times in unix seconds; privileged_at the latest re-authentication.
-- console_login_attempts: every attempt (name as typed, address, ok 0/1), for the lockout.
-- console_audit: append-only (the triggers refuse UPDATE and DELETE); seq orders it; before
--   and after are JSON text.
CREATE TABLE console_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'auditor')),
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE console_recovery_codes (
    account TEXT NOT NULL REFERENCES console_accounts (id),
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (account, code_hash)
);
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES console_accounts (id),
    stage TEXT NOT NULL CHECK (stage IN ('password', 'full')),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    privileged_at INTEGER,
    address TEXT NOT NULL
);
CREATE INDEX console_sessions_account ON console_sessions (account);
CREATE TABLE console_login_attempts (
    at INTEGER NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX console_login_attempts_name ON console_login_attempts (name, at);
CREATE INDEX console_login_attempts_address ON console_login_attempts (address, at);
CREATE TABLE console_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    account TEXT,
    role TEXT,
    address TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE TRIGGER console_audit_no_update BEFORE UPDATE ON console_audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER console_audit_no_delete BEFORE DELETE ON console_audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
