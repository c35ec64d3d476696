//! Managing a merchant, the one way every door does it (the CLI today, the
//! merchant dashboard and the admin console later): check the fields a
//! person typed, generate the API key and webhook secret, check the webhook
//! URL against the SSRF rules, then create or update the row in the store;
//! set the dashboard password; queue a test event for the merchant's
//! webhook endpoint. The payout wallet changes behind its cool-off in
//! [`payout_wallet`] ([`update`] does not touch it); the webhook settings,
//! the test sent now, the delivery log and resend are in [`webhooks`].
//! What an operator does to merchants (search, detail, plan, provider
//! lists, partner split, switching off and on) is in [`admin`].
//!
//! Functions over the store; the field rules are in [`fields`], credentials
//! and the webhook target check in [`secrets`]. Nothing here prints, reads
//! configuration or words an error for a person: each door maps
//! [`MerchantError`] to its own text. It must not write a merchant row
//! before every field has passed.

pub mod admin;
pub mod fields;
pub mod password;
pub mod payout_wallet;
pub mod secrets;
pub mod webhooks;

use std::time::Duration;

use rand::Rng;

use crate::domain::merchant::Merchant;
use crate::domain::password::{NewPassword, PasswordError};
use crate::store::merchants::{MerchantUpdate, NewMerchant};
use crate::store::{Store, StoreError};
use crate::webhooks::payload;
use crate::webhooks::ssrf::TargetError;

pub use fields::{BrandingField, BrandingFields, FieldError};
pub use password::{check_password, set_password};
pub use payout_wallet::{
    Timing, WalletChange, WalletView, cancel_payout_wallet_change, current_payout_wallet,
    request_payout_wallet_change,
};
pub use secrets::WebhookTargets;

/// Why a merchant could not be created, changed or found.
#[derive(Debug, thiserror::Error)]
pub enum MerchantError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("webhook URL: {0}")]
    WebhookUrl(#[source] TargetError),
    #[error("no merchant with id {0}")]
    NotFound(i64),
    /// Another merchant already has this address (stored lower-cased, so
    /// case does not matter).
    #[error("the e-mail address {0} is already taken by another merchant")]
    EmailTaken(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Nothing to cancel: no payout wallet change is waiting.
    #[error("merchant {0} has no pending payout wallet change")]
    NoPendingWalletChange(i64),
    /// No webhook URL or no secret: nothing can be sent.
    #[error("merchant {0} has no webhook URL or secret")]
    NoWebhookEndpoint(i64),
    /// No such event for this merchant (another merchant's is not found either).
    #[error("no webhook event {0} for this merchant")]
    EventNotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new merchant as typed (the package and checkout mode by name).
#[derive(Debug, Clone)]
pub struct NewMerchantFields {
    pub email: String,
    pub domains: Vec<String>,
    /// `None`: no wallet yet (a merchant who signed up sets it later; the
    /// API refuses sessions until then).
    pub payout_wallet: Option<String>,
    pub package: String,
    pub checkout_mode: String,
    pub country: Option<String>,
    pub crypto_enabled: bool,
    pub webhook_url: Option<String>,
    /// `None`: a new `whsec_…` secret is generated.
    pub webhook_secret: Option<String>,
    pub branding: BrandingFields,
    /// The dashboard password, when the merchant chose one (sign-up).
    pub password: Option<NewPassword>,
}

/// A created merchant and the secrets to show once.
#[derive(Debug)]
pub struct CreatedMerchant {
    pub id: i64,
    pub api_key: String,
    pub webhook_secret: String,
    pub domains: Vec<String>,
}

/// Changes to a merchant as typed: `None` (or `false`) leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct MerchantChanges {
    pub email: Option<String>,
    /// Replaces the whole allowlist.
    pub domains: Option<Vec<String>>,
    pub package: Option<String>,
    pub checkout_mode: Option<String>,
    pub country: Option<String>,
    pub crypto_enabled: Option<bool>,
    pub disabled: Option<bool>,
    /// An empty URL clears it.
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    pub branding: BrandingFields,
    /// Issue a new API key and revoke every other active key of the merchant.
    pub rotate_api_key: bool,
    /// Issue a new webhook secret; the old one keeps signing for this long.
    pub rotate_webhook_secret: Option<Duration>,
    /// Re-enable a webhook endpoint parked after it answered 410 Gone.
    pub enable_webhook: bool,
    /// Statuses to deliver, comma-separated; `all` for every status.
    pub webhook_statuses: Option<String>,
}

/// What an update issued, to show once.
#[derive(Debug)]
pub struct UpdatedMerchant {
    pub api_key: Option<String>,
    pub webhook_secret: Option<String>,
}

/// Checks every field, generates the key (and the secret unless given), and
/// creates the merchant with its allowlist.
pub async fn create(
    store: &Store,
    fields: NewMerchantFields,
    targets: WebhookTargets,
    now_ms: i64,
) -> Result<CreatedMerchant, MerchantError> {
    secrets::check_webhook_url(fields.webhook_url.as_deref(), targets)
        .await
        .map_err(MerchantError::WebhookUrl)?;
    let email = fields::email(&fields.email)?;
    let domains = fields::domains(&fields.domains)?;
    let wallet = fields
        .payout_wallet
        .as_deref()
        .map(fields::payout_wallet)
        .transpose()?;
    let country = fields.country.as_deref().map(fields::country).transpose()?;
    let branding = fields.branding.for_create()?;
    let key = secrets::generate_api_key();
    let webhook_secret = secrets::webhook_secret_or_new(fields.webhook_secret);
    let new = NewMerchant {
        email,
        api_key_id: key.id,
        api_key_hash: key.hash,
        domains: domains.clone(),
        payout_wallet: wallet,
        package: fields::package(&fields.package)?,
        checkout_mode: fields::checkout_mode(&fields.checkout_mode)?,
        country,
        crypto_enabled: fields.crypto_enabled,
        webhook_url: fields.webhook_url,
        webhook_secret: Some(webhook_secret.clone()),
        branding,
        password_hash: None,
    };
    if store.merchant_id_by_email(&new.email).await?.is_some() {
        return Err(MerchantError::EmailTaken(new.email));
    }
    let mut new = new;
    if let Some(password) = fields.password {
        new.password_hash = Some(password::hash(password).await?);
    }
    let email = new.email.clone();
    let id = store
        .create_merchant(new, now_ms)
        .await
        .map_err(|e| taken_or(e, &email))?;
    Ok(CreatedMerchant {
        id,
        api_key: key.key,
        webhook_secret,
        domains,
    })
}

/// Checks the changed fields, issues what is rotated, and applies the
/// changes; [`MerchantError::NotFound`] when there is no such merchant.
pub async fn update(
    store: &Store,
    id: i64,
    changes: MerchantChanges,
    targets: WebhookTargets,
    now_ms: i64,
) -> Result<UpdatedMerchant, MerchantError> {
    secrets::check_webhook_url(changes.webhook_url.as_deref(), targets)
        .await
        .map_err(MerchantError::WebhookUrl)?;
    let new_key = changes.rotate_api_key.then(secrets::generate_api_key);
    let new_secret = changes
        .rotate_webhook_secret
        .map(|window| (secrets::webhook_secret_or_new(None), window));
    let statuses = changes
        .webhook_statuses
        .as_deref()
        .map(fields::webhook_statuses)
        .transpose()?;
    let email = changes.email.as_deref().map(fields::email).transpose()?;
    let domains = changes
        .domains
        .as_deref()
        .map(fields::domains)
        .transpose()?;
    let package = changes
        .package
        .as_deref()
        .map(fields::package)
        .transpose()?;
    let checkout_mode = changes
        .checkout_mode
        .as_deref()
        .map(fields::checkout_mode)
        .transpose()?;
    let country = changes
        .country
        .as_deref()
        .map(fields::country)
        .transpose()?;
    let branding = changes.branding.changes()?;
    if let Some(email) = &email
        && let Some(owner) = store.merchant_id_by_email(email).await?
        && owner != id
    {
        return Err(MerchantError::EmailTaken(email.clone()));
    }
    let new_email = email.clone();
    let update = MerchantUpdate {
        email,
        domains,
        payout_wallet: None,
        package,
        checkout_mode,
        country,
        crypto_enabled: changes.crypto_enabled,
        disabled: changes.disabled,
        webhook_url: changes.webhook_url,
        webhook_secret: changes.webhook_secret,
        display_name: branding.display_name,
        logo_url: branding.logo_url,
        accent_color: branding.accent_color,
        api_key: new_key.as_ref().map(|k| (k.id.clone(), k.hash.clone())),
        webhook_disabled: changes.enable_webhook.then_some(false),
        webhook_statuses: statuses,
        rotate_webhook_secret: new_secret.as_ref().map(|(secret, window)| {
            let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
            (secret.clone(), now_ms.saturating_add(window_ms))
        }),
    };
    let found = store
        .update_merchant(id, update, now_ms)
        .await
        .map_err(|e| match &new_email {
            Some(email) => taken_or(e, email),
            None => MerchantError::Store(e),
        })?;
    if !found {
        return Err(MerchantError::NotFound(id));
    }
    Ok(UpdatedMerchant {
        api_key: new_key.map(|k| k.key),
        webhook_secret: new_secret.map(|(secret, _)| secret),
    })
}

/// A uniqueness conflict on writing a merchant row is the e-mail address
/// (taken between the check and the write); API key ids are random.
fn taken_or(err: StoreError, email: &str) -> MerchantError {
    match err {
        StoreError::Conflict => MerchantError::EmailTaken(email.to_string()),
        other @ (StoreError::Unavailable(_) | StoreError::Fenced | StoreError::Unexpected(_)) => {
            MerchantError::Store(other)
        }
    }
}

/// One merchant by id; [`MerchantError::NotFound`] when there is none.
pub async fn find(store: &Store, id: i64) -> Result<Merchant, MerchantError> {
    store.merchant(id).await?.ok_or(MerchantError::NotFound(id))
}

/// Queues a test event (`status: test`, `session_id: 0`) for the merchant's
/// webhook endpoint; the running server's sender delivers it. Returns the
/// event id.
pub async fn queue_test_webhook(
    store: &Store,
    id: i64,
    now_ms: i64,
) -> Result<String, MerchantError> {
    find(store, id).await?;
    let event_id = format!("evt_test_{id}_{:016x}", rand::rng().random::<u64>());
    let body = payload::build_test(id, &event_id, now_ms);
    store
        .insert_test_webhook(id, &event_id, body.to_string(), now_ms)
        .await?;
    Ok(event_id)
}
