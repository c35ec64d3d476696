//! A merchant's credentials and webhook target: a new API key (shown once,
//! stored hashed), the webhook secret (chosen or generated), and the check a
//! webhook URL passes when it is saved (form, scheme, and the SSRF guard
//! against private, loopback and link-local addresses).
//!
//! The key format, hashing and the address rules themselves stay in
//! `domain::api_key` and `webhooks::ssrf`; this module only applies them the
//! one way every door does. It must never log or return a key's hash as if
//! it were the key.

use crate::domain::api_key::{self, NewApiKey};
use crate::webhooks::ssrf::{self, TargetError};

/// Which webhook targets are accepted (from the checked settings).
#[derive(Debug, Clone, Copy)]
pub struct WebhookTargets {
    /// Live mode: only `https://` URLs.
    pub https_only: bool,
    /// Configuration explicitly allows private and loopback addresses.
    pub allow_private: bool,
}

impl WebhookTargets {
    /// The strictest rules: for changes that set no webhook URL, where no
    /// target is checked at all.
    pub fn strictest() -> WebhookTargets {
        WebhookTargets {
            https_only: true,
            allow_private: false,
        }
    }
}

/// A new API key: the key to show once, its public id and hash to store.
pub fn generate_api_key() -> NewApiKey {
    api_key::generate()
}

/// The webhook secret given, or a new `whsec_…` one.
pub fn webhook_secret_or_new(given: Option<String>) -> String {
    given.unwrap_or_else(api_key::new_webhook_secret)
}

/// A webhook URL is checked when it is saved as well as at each delivery; an
/// absent or empty URL (no webhooks, or clearing it) needs no check.
pub async fn check_webhook_url(
    url: Option<&str>,
    targets: WebhookTargets,
) -> Result<(), TargetError> {
    match url.filter(|u| !u.is_empty()) {
        Some(url) => ssrf::check_url(url, targets.https_only, targets.allow_private).await,
        None => Ok(()),
    }
}
