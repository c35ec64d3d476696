//! Merchant accounts on the dashboard: sign up, log in (throttled per
//! account), the logged-in session behind the cookie (idle and absolute
//! timeouts), log out, re-authentication before protected changes, password
//! changes, and the security log.
//!
//! Functions over the store, called by the dashboard pages (and later the
//! admin console). The cookie's token is random; only its SHA-256 is stored.
//! Nothing here reads cookies, forms or headers, and nothing here words an
//! error for a person: the pages map [`AccountError`] to their text. A
//! password is never logged, stored in the clear or returned.

mod session;
mod session_token;

pub use session::{
    AccountSession, complete_second_factor, delete_stale_sessions, end_session, open_session,
    peek_session, session_for,
};
pub use session_token::new_token;
pub mod settings;

use std::sync::OnceLock;
use std::time::Duration;

use secrecy::SecretString;

pub use settings::{AccountSettings, Signup};

use super::merchants::{
    self, BrandingFields, CreatedMerchant, MerchantError, NewMerchantFields, WebhookTargets,
};
use crate::domain::account_realm::Realm;
use crate::domain::password::{self, NewPassword, PasswordError};
use crate::domain::security_event::{self, SecurityEventKind};
use crate::store::accounts::SecurityEventRow;
use crate::store::{Store, StoreError};

/// Why an account action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("sign-up is closed on this Kassa")]
    SignupClosed,
    /// Unknown e-mail or wrong password (never says which).
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    /// Too many failed passwords for this account: try again after this.
    #[error("too many failed attempts; try again in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
    #[error(transparent)]
    Merchant(#[from] MerchantError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PasswordError> for AccountError {
    fn from(err: PasswordError) -> Self {
        AccountError::Merchant(MerchantError::Password(err))
    }
}

/// A logged-in browser: the cookie's token (to set once, at login) and
/// what the pages need of the session.
#[derive(Debug)]
pub struct OpenedSession {
    pub token: SecretString,
    pub session: AccountSession,
}

/// One line of the security log, for people.
#[derive(Debug, Clone)]
pub struct SecurityLine {
    pub id: i64,
    pub label: &'static str,
    pub kind: String,
    pub detail: String,
    pub client_ip: String,
    pub at_ms: i64,
}

/// Creates a merchant from the sign-up form (e-mail and password; the rest
/// is set in the dashboard later) and logs it in.
pub async fn sign_up(
    store: &Store,
    settings: &AccountSettings,
    email: &str,
    raw_password: SecretString,
    client_ip: &str,
    now_ms: i64,
) -> Result<(CreatedMerchant, OpenedSession), AccountError> {
    if settings.signup == Signup::Closed {
        return Err(AccountError::SignupClosed);
    }
    let password = NewPassword::parse(raw_password)?;
    let fields = NewMerchantFields {
        email: email.to_string(),
        domains: Vec::new(),
        payout_wallet: None,
        package: "free".into(),
        checkout_mode: "standard".into(),
        country: None,
        crypto_enabled: true,
        webhook_url: None,
        webhook_secret: None,
        branding: BrandingFields::default(),
        password: Some(password),
    };
    let targets = WebhookTargets::strictest();
    let created = merchants::create(store, fields, targets, now_ms).await?;
    record(
        store,
        created.id,
        SecurityEventKind::SignedUp,
        "",
        client_ip,
        now_ms,
    )
    .await?;
    let opened = open_session(store, Realm::Merchant, created.id, false, client_ip, now_ms).await?;
    Ok((created, opened))
}

/// Checks an e-mail and password and opens a session. Refused while the
/// account is throttled, even with the right password; every wrong
/// password is logged and counts toward the throttle.
pub async fn log_in(
    store: &Store,
    email: &str,
    raw_password: SecretString,
    client_ip: &str,
    now_ms: i64,
) -> Result<OpenedSession, AccountError> {
    let email = email.trim().to_lowercase();
    let Some(id) = store.merchant_id_by_email(&email).await? else {
        // Spend the same work as a real check, so timing does not tell
        // which addresses have accounts.
        burn_a_check(raw_password).await;
        return Err(AccountError::WrongCredentials);
    };
    check_throttle(store, id, now_ms).await?;
    let merchant = merchants::find(store, id).await?;
    let matches = merchants::check_password(store, id, raw_password).await?;
    if !matches || merchant.disabled {
        let detail = if merchant.disabled {
            "account disabled"
        } else {
            "wrong password"
        };
        record(
            store,
            id,
            SecurityEventKind::LoginFailed,
            detail,
            client_ip,
            now_ms,
        )
        .await?;
        return Err(AccountError::WrongCredentials);
    }
    record(
        store,
        id,
        SecurityEventKind::LoggedIn,
        "",
        client_ip,
        now_ms,
    )
    .await?;
    Ok(open_session(store, Realm::Merchant, id, false, client_ip, now_ms).await?)
}

/// Asks for the password again before a protected change (password,
/// payout wallet, webhook, API keys); a wrong one is logged and throttled
/// like a failed login.
pub async fn reauthenticate(
    store: &Store,
    merchant_id: i64,
    raw_password: SecretString,
    client_ip: &str,
    now_ms: i64,
) -> Result<(), AccountError> {
    check_throttle(store, merchant_id, now_ms).await?;
    if merchants::check_password(store, merchant_id, raw_password).await? {
        return Ok(());
    }
    record(
        store,
        merchant_id,
        SecurityEventKind::ReauthFailed,
        "",
        client_ip,
        now_ms,
    )
    .await?;
    Err(AccountError::WrongCredentials)
}

/// Changes the password after checking the current one, and ends every
/// other session of the account.
pub async fn change_password(
    store: &Store,
    session: &AccountSession,
    current: SecretString,
    new: SecretString,
    client_ip: &str,
    now_ms: i64,
) -> Result<(), AccountError> {
    let new = NewPassword::parse(new)?;
    reauthenticate(store, session.owner_id, current, client_ip, now_ms).await?;
    let hash = merchants::password::hash(new).await?;
    if !store
        .set_merchant_password_hash(session.owner_id, &hash, now_ms)
        .await?
    {
        return Err(MerchantError::NotFound(session.owner_id).into());
    }
    let ended = store
        .delete_other_account_sessions(Realm::Merchant, session.owner_id, Some(session.id))
        .await?;
    let detail = format!("{ended} other session(s) ended");
    record(
        store,
        session.owner_id,
        SecurityEventKind::PasswordChanged,
        &detail,
        client_ip,
        now_ms,
    )
    .await?;
    Ok(())
}

/// Ends the session (logout).
pub async fn log_out(
    store: &Store,
    session: &AccountSession,
    client_ip: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    store.delete_account_session(session.id).await?;
    record(
        store,
        session.owner_id,
        SecurityEventKind::LoggedOut,
        "",
        client_ip,
        now_ms,
    )
    .await
}

/// Appends a line to the merchant's security log.
pub async fn record(
    store: &Store,
    merchant_id: i64,
    kind: SecurityEventKind,
    detail: &str,
    client_ip: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    store
        .record_security_event(merchant_id, kind.as_str(), detail, client_ip, now_ms)
        .await
}

/// The newest lines of the merchant's security log, older than line
/// `before` when given.
pub async fn security_log(
    store: &Store,
    merchant_id: i64,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<SecurityLine>, StoreError> {
    let rows = store.security_events(merchant_id, before, limit).await?;
    Ok(rows.into_iter().map(line).collect())
}

fn line(row: SecurityEventRow) -> SecurityLine {
    SecurityLine {
        id: row.id,
        label: SecurityEventKind::parse(&row.kind).map_or("Other", SecurityEventKind::label),
        kind: row.kind,
        detail: row.detail,
        client_ip: row.client_ip,
        at_ms: row.created_at,
    }
}

async fn check_throttle(store: &Store, merchant_id: i64, now_ms: i64) -> Result<(), AccountError> {
    let window_ms = i64::try_from(security_event::THROTTLE_WINDOW.as_millis()).unwrap_or(0);
    let kinds: Vec<&str> = SecurityEventKind::ALL
        .into_iter()
        .filter(|k| k.is_failed_password())
        .map(SecurityEventKind::as_str)
        .collect();
    let (failures, newest) = store
        .security_events_since(merchant_id, &kinds, now_ms - window_ms)
        .await?;
    match security_event::login_wait(failures, newest, now_ms) {
        Some(wait) => Err(AccountError::Throttled(wait)),
        None => Ok(()),
    }
}

/// Verifies `raw` against a hash of a random password made once, so a
/// login for an unknown address costs what a real one does.
pub(crate) async fn burn_a_check(raw: SecretString) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let _ = tokio::task::spawn_blocking(move || {
        let dummy = DUMMY.get_or_init(|| {
            NewPassword::parse(password::generate())
                .ok()
                .and_then(|p| p.hash().ok())
        });
        if let Some(hash) = dummy {
            password::verify(&raw, hash);
        }
    })
    .await;
}
