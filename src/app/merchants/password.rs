//! A merchant's dashboard password: set it (checked and hashed with argon2id
//! by `domain::password`) and check one presented at login.
//!
//! Hashing takes tens of milliseconds of CPU and 19 MiB, so it runs on the
//! blocking pool, never on an actor or request thread. Nothing here logs,
//! prints or returns a password.

use secrecy::SecretString;

use super::MerchantError;
use crate::domain::password::{self, NewPassword, PasswordError};
use crate::store::Store;

/// Checks the new password's length, hashes it and stores the hash;
/// [`MerchantError::NotFound`] when there is no such merchant (checked
/// before the work of hashing).
pub async fn set_password(
    store: &Store,
    id: i64,
    raw: SecretString,
    now_ms: i64,
) -> Result<(), MerchantError> {
    let new = NewPassword::parse(raw)?;
    super::find(store, id).await?;
    let hash = hash(new).await?;
    if !store.set_merchant_password_hash(id, &hash, now_ms).await? {
        return Err(MerchantError::NotFound(id));
    }
    Ok(())
}

/// The argon2id hash of a checked new password, computed on the blocking pool.
pub async fn hash(new: NewPassword) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || new.hash())
        .await
        .map_err(|_| PasswordError::Hashing)?
}

/// Whether `raw` is the merchant's password; `false` when none is set.
pub async fn check_password(
    store: &Store,
    id: i64,
    raw: SecretString,
) -> Result<bool, MerchantError> {
    let Some(stored) = store.merchant_password_hash(id).await? else {
        return Err(MerchantError::NotFound(id));
    };
    let Some(hash) = stored else {
        return Ok(false);
    };
    let matches = tokio::task::spawn_blocking(move || password::verify(&raw, &hash))
        .await
        .map_err(|_| PasswordError::Hashing)?;
    Ok(matches)
}
