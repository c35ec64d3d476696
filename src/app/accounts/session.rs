//! The logged-in browser behind a cookie, for both realms: opened at login,
//! found again from the cookie's token while its idle and absolute timeouts
//! allow, ended at logout. Merchants' and operators' sessions share these
//! rules; a session is only ever found for the realm it was opened in.
//!
//! Nothing here decides who may log in (`app::accounts` for merchants,
//! `app::operators` for operators) nor reads a cookie.

use secrecy::SecretString;

use super::settings::{self, AccountSettings};
use super::{OpenedSession, session_token};
use crate::domain::account_realm::Realm;
use crate::store::accounts::{AccountSessionRow, NewAccountSession};
use crate::store::{Store, StoreError};

/// The session a request's cookie stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSession {
    pub id: i64,
    pub realm: Realm,
    /// The merchant's id, or the operator's.
    pub owner_id: i64,
    /// The synchronizer token every form of this session carries.
    pub csrf_token: String,
    /// An operator who gave the password but not yet the TOTP code: only
    /// the second-factor pages accept this session.
    pub second_factor_pending: bool,
}

/// The live `realm` session behind a cookie token: `None` when there is
/// none or it timed out (idle or absolute; a timed-out row is deleted).
/// Activity is recorded at most once a minute.
pub async fn session_for(
    store: &Store,
    settings: &AccountSettings,
    realm: Realm,
    token: &str,
    now_ms: i64,
) -> Result<Option<AccountSession>, StoreError> {
    let Some(row) = store
        .account_session(realm, &session_token::hash(token))
        .await?
    else {
        return Ok(None);
    };
    if settings.expired(row.created_at, row.last_seen_at, now_ms) {
        store.delete_account_session(row.id).await?;
        return Ok(None);
    }
    if now_ms.saturating_sub(row.last_seen_at) >= settings::TOUCH_EVERY_MS {
        store.touch_account_session(row.id, now_ms).await?;
    }
    Ok(Some(session_of(row)))
}

/// `session_for` without counting as activity: for a stream that outlives
/// the request that opened it, which must end when the session does
/// (logout, a timeout) but must not keep it alive by itself.
pub async fn peek_session(
    store: &Store,
    settings: &AccountSettings,
    realm: Realm,
    token: &str,
    now_ms: i64,
) -> Result<Option<AccountSession>, StoreError> {
    let row = store
        .account_session(realm, &session_token::hash(token))
        .await?;
    Ok(row
        .filter(|row| !settings.expired(row.created_at, row.last_seen_at, now_ms))
        .map(session_of))
}

/// Opens a session for the `realm` account `owner_id`; with
/// `second_factor_pending` it reaches only the second-factor pages until
/// [`complete_second_factor`].
pub async fn open_session(
    store: &Store,
    realm: Realm,
    owner_id: i64,
    second_factor_pending: bool,
    client_ip: &str,
    now_ms: i64,
) -> Result<OpenedSession, StoreError> {
    let token = session_token::new_token();
    let csrf_token = session_token::new_token();
    let id = store
        .insert_account_session(
            NewAccountSession {
                token_hash: session_token::hash(&token),
                realm,
                owner_id,
                second_factor_pending,
                csrf_token: csrf_token.clone(),
                client_ip: client_ip.to_string(),
            },
            now_ms,
        )
        .await?;
    Ok(OpenedSession {
        token: SecretString::from(token),
        session: AccountSession {
            id,
            realm,
            owner_id,
            csrf_token,
            second_factor_pending,
        },
    })
}

/// The session has given its second factor: every page of its realm opens.
pub async fn complete_second_factor(
    store: &Store,
    session: &AccountSession,
) -> Result<(), StoreError> {
    store.complete_second_factor(session.id).await
}

/// Ends a session without a log line (the old one, rotated at login).
pub async fn end_session(store: &Store, session: &AccountSession) -> Result<(), StoreError> {
    store.delete_account_session(session.id).await
}

/// Deletes sessions past their timeouts (a periodic clean-up; lookups
/// refuse them anyway).
pub async fn delete_stale_sessions(
    store: &Store,
    settings: &AccountSettings,
    now_ms: i64,
) -> Result<u64, StoreError> {
    let (idle_before, created_before) = settings.stale_before(now_ms);
    store
        .delete_stale_account_sessions(idle_before, created_before)
        .await
}

fn session_of(row: AccountSessionRow) -> AccountSession {
    AccountSession {
        id: row.id,
        realm: row.realm,
        owner_id: row.owner_id,
        csrf_token: row.csrf_token,
        second_factor_pending: row.second_factor_pending,
    }
}
