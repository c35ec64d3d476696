//! What a merchant's security log records, and the login throttle that
//! counts its failed logins.
//!
//! Pure rules: the store keeps the lines, `app::accounts` decides with
//! [`login_wait`] whether a login may be tried now.

use std::time::Duration;

/// The kinds of line in the security log, by their stored names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEventKind {
    SignedUp,
    LoggedIn,
    LoginFailed,
    LoggedOut,
    ReauthFailed,
    PasswordChanged,
    DomainsChanged,
    PayoutWalletChangeRequested,
    PayoutWalletChangeCancelled,
    WebhookChanged,
    WebhookSecretRotated,
    WebhookTestSent,
    WebhookResent,
    ApiKeyCreated,
    ApiKeyRevoked,
    CheckoutChanged,
    BrandingChanged,
    PaymentLinkCreated,
    PaymentLinkChanged,
    ProductCreated,
    ProductChanged,
}

impl SecurityEventKind {
    /// Every kind, for parsing stored names.
    pub const ALL: [SecurityEventKind; 21] = [
        SecurityEventKind::SignedUp,
        SecurityEventKind::LoggedIn,
        SecurityEventKind::LoginFailed,
        SecurityEventKind::LoggedOut,
        SecurityEventKind::ReauthFailed,
        SecurityEventKind::PasswordChanged,
        SecurityEventKind::DomainsChanged,
        SecurityEventKind::PayoutWalletChangeRequested,
        SecurityEventKind::PayoutWalletChangeCancelled,
        SecurityEventKind::WebhookChanged,
        SecurityEventKind::WebhookSecretRotated,
        SecurityEventKind::WebhookTestSent,
        SecurityEventKind::WebhookResent,
        SecurityEventKind::ApiKeyCreated,
        SecurityEventKind::ApiKeyRevoked,
        SecurityEventKind::CheckoutChanged,
        SecurityEventKind::BrandingChanged,
        SecurityEventKind::PaymentLinkCreated,
        SecurityEventKind::PaymentLinkChanged,
        SecurityEventKind::ProductCreated,
        SecurityEventKind::ProductChanged,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityEventKind::SignedUp => "signup",
            SecurityEventKind::LoggedIn => "login",
            SecurityEventKind::LoginFailed => "login_failed",
            SecurityEventKind::LoggedOut => "logout",
            SecurityEventKind::ReauthFailed => "reauth_failed",
            SecurityEventKind::PasswordChanged => "password_changed",
            SecurityEventKind::DomainsChanged => "domains_changed",
            SecurityEventKind::PayoutWalletChangeRequested => "payout_wallet_change_requested",
            SecurityEventKind::PayoutWalletChangeCancelled => "payout_wallet_change_cancelled",
            SecurityEventKind::WebhookChanged => "webhook_changed",
            SecurityEventKind::WebhookSecretRotated => "webhook_secret_rotated",
            SecurityEventKind::WebhookTestSent => "webhook_test_sent",
            SecurityEventKind::WebhookResent => "webhook_resent",
            SecurityEventKind::ApiKeyCreated => "api_key_created",
            SecurityEventKind::ApiKeyRevoked => "api_key_revoked",
            SecurityEventKind::CheckoutChanged => "checkout_changed",
            SecurityEventKind::BrandingChanged => "branding_changed",
            SecurityEventKind::PaymentLinkCreated => "payment_link_created",
            SecurityEventKind::PaymentLinkChanged => "payment_link_changed",
            SecurityEventKind::ProductCreated => "product_created",
            SecurityEventKind::ProductChanged => "product_changed",
        }
    }

    /// The kind stored as `name`, if it is one.
    pub fn parse(name: &str) -> Option<SecurityEventKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A short label for people.
    pub fn label(self) -> &'static str {
        match self {
            SecurityEventKind::SignedUp => "Account created",
            SecurityEventKind::LoggedIn => "Logged in",
            SecurityEventKind::LoginFailed => "Failed login",
            SecurityEventKind::LoggedOut => "Logged out",
            SecurityEventKind::ReauthFailed => "Wrong password on a protected change",
            SecurityEventKind::PasswordChanged => "Password changed",
            SecurityEventKind::DomainsChanged => "Shop domains changed",
            SecurityEventKind::PayoutWalletChangeRequested => "Payout wallet change requested",
            SecurityEventKind::PayoutWalletChangeCancelled => "Payout wallet change cancelled",
            SecurityEventKind::WebhookChanged => "Webhook settings changed",
            SecurityEventKind::WebhookSecretRotated => "Webhook secret rotated",
            SecurityEventKind::WebhookTestSent => "Test webhook sent",
            SecurityEventKind::WebhookResent => "Webhook event resent",
            SecurityEventKind::ApiKeyCreated => "API key created",
            SecurityEventKind::ApiKeyRevoked => "API key revoked",
            SecurityEventKind::CheckoutChanged => "Checkout settings changed",
            SecurityEventKind::BrandingChanged => "Branding changed",
            SecurityEventKind::PaymentLinkCreated => "Payment link created",
            SecurityEventKind::PaymentLinkChanged => "Payment link changed",
            SecurityEventKind::ProductCreated => "Product created",
            SecurityEventKind::ProductChanged => "Product changed",
        }
    }

    /// Whether a line of this kind counts against the login throttle.
    pub fn is_failed_password(self) -> bool {
        matches!(
            self,
            SecurityEventKind::LoginFailed | SecurityEventKind::ReauthFailed
        )
    }
}

/// How far back failed passwords count.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed passwords allowed in the window before each try must wait.
pub const FREE_FAILURES: u64 = 4;

/// The longest wait between tries.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// How long a login must still wait, given `failures` failed passwords in
/// the window, the newest at `last_failure_ms`: nothing for the first
/// [`FREE_FAILURES`], then 2 s, 4 s, 8 s … (doubling, at most [`MAX_WAIT`])
/// after the newest failure. `None`: try now.
pub fn login_wait(failures: u64, last_failure_ms: Option<i64>, now_ms: i64) -> Option<Duration> {
    let last = last_failure_ms?;
    let over = failures.checked_sub(FREE_FAILURES).filter(|n| *n > 0)?;
    let wait = 2u64
        .checked_pow(u32::try_from(over).unwrap_or(u32::MAX))
        .map(Duration::from_secs)
        .unwrap_or(MAX_WAIT)
        .min(MAX_WAIT);
    let elapsed = Duration::from_millis(u64::try_from(now_ms.saturating_sub(last)).unwrap_or(0));
    wait.checked_sub(elapsed).filter(|left| !left.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_four_failures_cost_nothing() {
        for failures in 0..=FREE_FAILURES {
            assert_eq!(login_wait(failures, Some(1_000), 1_000), None);
        }
    }

    #[test]
    fn each_further_failure_doubles_the_wait() {
        assert_eq!(login_wait(5, Some(0), 0), Some(Duration::from_secs(2)));
        assert_eq!(login_wait(6, Some(0), 1_000), Some(Duration::from_secs(3)));
        assert_eq!(login_wait(9, Some(0), 0), Some(Duration::from_secs(32)));
    }

    #[test]
    fn the_wait_is_capped_and_ends() {
        assert_eq!(login_wait(60, Some(0), 0), Some(MAX_WAIT));
        assert_eq!(login_wait(5, Some(0), 2_000), None);
    }

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SecurityEventKind::parse("nope"), None);
    }
}
