//! Operators of the admin console: created at the command line with a
//! one-time password, logged in with that password (throttled per account
//! like merchants), then a TOTP code — enrolled at the first login, asked
//! at every login after that. TOTP is mandatory in live mode and optional
//! in sandbox; `reset_totp` is the recovery when a phone is lost.
//!
//! Sessions are the account sessions of `app::accounts` in the operator
//! realm. A session opened by the password alone is *pending* while a
//! second factor is still due: the guard lets it reach only the code pages.
//! Nothing here reads a cookie or words an error for a person.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;

use super::accounts::{self, AccountSession, OpenedSession};
use super::audit_log;
use crate::domain::account_realm::Realm;
use crate::domain::audit::{AuditAction, AuditActor};
use crate::domain::email::Email;
use crate::domain::password::{self, NewPassword, PasswordError};
use crate::domain::security_event;
use crate::domain::totp::TotpSecret;
use crate::store::operators::OperatorRow;
use crate::store::{Store, StoreError};

/// The name authenticator apps show beside the code.
pub const TOTP_ISSUER: &str = "Kassa";

/// Why an operator action was refused.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("`{0}` is not an e-mail address")]
    BadEmail(String),
    #[error("an operator with the e-mail address {0} exists already")]
    EmailTaken(String),
    #[error("no operator has the e-mail address {0}")]
    NotFound(String),
    /// Unknown e-mail or wrong password (never says which).
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    #[error("wrong or used code")]
    WrongCode,
    /// The account has no TOTP secret to check a code against.
    #[error("no second factor is being enrolled")]
    NotEnrolling,
    #[error("too many failed attempts; try again in {} s", .0.as_secs().max(1))]
    Throttled(Duration),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An operator as the console shows one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub id: i64,
    pub email: String,
    pub totp_enabled: bool,
    pub created_at_ms: i64,
}

/// What a pending session must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// Give the code of the enrolled authenticator.
    Code,
    /// Scan this secret (a new one, or the one of an enrolment begun
    /// earlier) and give its first code.
    Enrol { secret: TotpSecret, uri: String },
}

/// A new operator and its one-time password (shown once, never stored).
#[derive(Debug)]
pub struct CreatedOperator {
    pub id: i64,
    pub email: String,
    pub password: SecretString,
}

/// Adds an operator with a generated password.
pub async fn create(
    store: &Store,
    email: &str,
    actor: AuditActor,
    now_ms: i64,
) -> Result<CreatedOperator, OperatorError> {
    let email = Email::parse(&email.trim().to_lowercase())
        .map_err(|_| OperatorError::BadEmail(email.to_string()))?;
    let raw = password::generate();
    let hash = hash(NewPassword::parse(raw.clone())?).await?;
    let id = match store.insert_operator(email.as_str(), &hash, now_ms).await {
        Ok(id) => id,
        Err(StoreError::Conflict) => {
            return Err(OperatorError::EmailTaken(email.as_str().to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    audit_log::record(
        store,
        now_ms,
        actor,
        AuditAction::OperatorCreate,
        &format!("operator:{id}"),
        None,
        Some(json!({ "email": email.as_str() })),
    )
    .await?;
    Ok(CreatedOperator {
        id,
        email: email.as_str().to_string(),
        password: raw,
    })
}

/// Every operator, oldest first.
pub async fn list(store: &Store) -> Result<Vec<Operator>, StoreError> {
    Ok(store.operators().await?.iter().map(operator).collect())
}

/// The operator a session belongs to, if it still exists.
pub async fn find(store: &Store, id: i64) -> Result<Option<Operator>, StoreError> {
    Ok(store.operator(id).await?.as_ref().map(operator))
}

/// Checks an e-mail and password and opens a session, pending when a
/// second factor is due (always once enrolled; before enrolment only when
/// `totp_required`). Refused while the account is throttled, even with the
/// right password.
pub async fn log_in(
    store: &Store,
    email: &str,
    raw_password: SecretString,
    totp_required: bool,
    client_ip: &str,
    now_ms: i64,
) -> Result<OpenedSession, OperatorError> {
    let email = email.trim().to_lowercase();
    let Some(row) = store.operator_by_email(&email).await? else {
        // The same work as a real check: timing does not tell who is an operator.
        accounts::burn_a_check(raw_password).await;
        return Err(OperatorError::WrongCredentials);
    };
    check_throttle(&row, now_ms)?;
    if !verify(raw_password, row.password_hash.clone()).await {
        store.record_operator_failure(row.id, now_ms).await?;
        tracing::info!(
            operator = row.id,
            client_ip,
            "operator login failed: wrong password"
        );
        return Err(OperatorError::WrongCredentials);
    }
    let pending = row.totp_enabled || totp_required;
    if !pending {
        store.clear_operator_failures(row.id).await?;
    }
    tracing::info!(
        operator = row.id,
        client_ip,
        pending,
        "operator password accepted"
    );
    Ok(accounts::open_session(store, Realm::Operator, row.id, pending, client_ip, now_ms).await?)
}

/// What the pending session's operator must do: give a code, or enrol
/// (beginning an enrolment if none is under way).
pub async fn second_factor(
    store: &Store,
    session: &AccountSession,
) -> Result<SecondFactor, OperatorError> {
    let row = row_of(store, session).await?;
    if row.totp_enabled {
        return Ok(SecondFactor::Code);
    }
    let stored = store.operator_totp_secret(&row)?;
    let secret = match stored.as_deref().and_then(TotpSecret::parse) {
        Some(secret) => secret,
        None => {
            let secret = TotpSecret::generate();
            store
                .begin_operator_totp(row.id, &secret.to_base32())
                .await?;
            secret
        }
    };
    let uri = secret.enrolment_uri(TOTP_ISSUER, &row.email);
    Ok(SecondFactor::Enrol { secret, uri })
}

/// Checks a code for the session's operator: on success the session opens
/// every admin page (and a first code completes enrolment). A wrong code
/// counts toward the same throttle as a wrong password.
pub async fn check_code(
    store: &Store,
    session: &AccountSession,
    code: &str,
    now_ms: i64,
) -> Result<(), OperatorError> {
    let row = row_of(store, session).await?;
    check_throttle(&row, now_ms)?;
    let secret = store
        .operator_totp_secret(&row)?
        .as_deref()
        .and_then(TotpSecret::parse)
        .ok_or(OperatorError::NotEnrolling)?;
    let unix_secs = u64::try_from(now_ms / 1000).unwrap_or(0);
    let last = row.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let accepted = secret
        .accept(code, unix_secs, last)
        .and_then(|step| i64::try_from(step).ok());
    let Some(step) = accepted else {
        store.record_operator_failure(row.id, now_ms).await?;
        return Err(OperatorError::WrongCode);
    };
    // Another node may have taken this step a moment ago: then it is used.
    if !store.accept_operator_totp_step(row.id, step).await? {
        store.record_operator_failure(row.id, now_ms).await?;
        return Err(OperatorError::WrongCode);
    }
    store.clear_operator_failures(row.id).await?;
    if !row.totp_enabled {
        audit_log::record(
            store,
            now_ms,
            AuditActor::Admin(row.id),
            AuditAction::OperatorTotpEnrol,
            &format!("operator:{}", row.id),
            Some(json!({ "totp": "off" })),
            Some(json!({ "totp": "on" })),
        )
        .await?;
    }
    accounts::complete_second_factor(store, session).await?;
    Ok(())
}

/// Removes an operator's TOTP secret (lost phone) and ends its sessions:
/// the next login enrols a new one.
pub async fn reset_totp(
    store: &Store,
    email: &str,
    actor: AuditActor,
    now_ms: i64,
) -> Result<Operator, OperatorError> {
    let email = email.trim().to_lowercase();
    let row = store
        .operator_by_email(&email)
        .await?
        .ok_or_else(|| OperatorError::NotFound(email.clone()))?;
    store.reset_operator_totp(row.id).await?;
    store
        .delete_other_account_sessions(Realm::Operator, row.id, None)
        .await?;
    audit_log::record(
        store,
        now_ms,
        actor,
        AuditAction::OperatorTotpReset,
        &format!("operator:{}", row.id),
        Some(json!({ "totp": if row.totp_enabled { "on" } else { "off" } })),
        Some(json!({ "totp": "off" })),
    )
    .await?;
    Ok(Operator {
        totp_enabled: false,
        ..operator(&row)
    })
}

/// Ends the session (logout).
pub async fn log_out(store: &Store, session: &AccountSession) -> Result<(), StoreError> {
    accounts::end_session(store, session).await
}

async fn row_of(store: &Store, session: &AccountSession) -> Result<OperatorRow, OperatorError> {
    store
        .operator(session.owner_id)
        .await?
        .ok_or_else(|| OperatorError::NotFound(format!("#{}", session.owner_id)))
}

fn operator(row: &OperatorRow) -> Operator {
    Operator {
        id: row.id,
        email: row.email.clone(),
        totp_enabled: row.totp_enabled,
        created_at_ms: row.created_at,
    }
}

fn check_throttle(row: &OperatorRow, now_ms: i64) -> Result<(), OperatorError> {
    let window_ms = i64::try_from(security_event::THROTTLE_WINDOW.as_millis()).unwrap_or(0);
    let recent = row.last_failed_at.filter(|at| now_ms - at < window_ms);
    let failures = if recent.is_some() {
        u64::try_from(row.failed_logins).unwrap_or(0)
    } else {
        0
    };
    match security_event::login_wait(failures, recent, now_ms) {
        Some(wait) => Err(OperatorError::Throttled(wait)),
        None => Ok(()),
    }
}

async fn hash(new: NewPassword) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || new.hash())
        .await
        .map_err(|_| PasswordError::Hashing)?
}

async fn verify(raw: SecretString, hash: String) -> bool {
    tokio::task::spawn_blocking(move || password::verify(&raw, &hash))
        .await
        .unwrap_or(false)
}
