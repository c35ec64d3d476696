//! The operators' audit log, as values: who acted ([`AuditActor`]), what
//! they did ([`AuditAction`]), and how a secret is shown in a before/after
//! record ([`redact_secret`]). Pure: the store keeps the rows, `app::audit_log`
//! writes and lists them.
//!
//! Must not: hold or print a secret. A before/after record only ever holds
//! what [`redact_secret`] makes of one.

use std::fmt;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditActor {
    /// An operator of the admin console, by account id.
    Admin(i64),
    /// Someone at the command line of a node.
    Cli,
    /// Kassa itself (a start-up step, an import of the routing file).
    System,
}

/// A stored actor that does not read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an audit actor (admin:<id>, cli or system)")]
pub struct AuditActorError(pub String);

impl AuditActor {
    /// The stored form: `admin:3`, `cli`, `system`.
    pub fn to_text(self) -> String {
        match self {
            AuditActor::Admin(id) => format!("admin:{id}"),
            AuditActor::Cli => "cli".into(),
            AuditActor::System => "system".into(),
        }
    }

    pub fn parse(text: &str) -> Result<AuditActor, AuditActorError> {
        match text {
            "cli" => Ok(AuditActor::Cli),
            "system" => Ok(AuditActor::System),
            other => other
                .strip_prefix("admin:")
                .and_then(|id| id.parse::<i64>().ok())
                .filter(|id| *id > 0)
                .map(AuditActor::Admin)
                .ok_or_else(|| AuditActorError(other.to_string())),
        }
    }
}

impl fmt::Display for AuditActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// What was done. Stored by [`AuditAction::as_str`]; rows written by a newer
/// Kassa may hold names this one does not know, so reading keeps the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// A routing file became the live configuration.
    RoutingImport,
    /// The global Smart Routing switch was set or cleared.
    RoutingGlobalSwitch,
    /// A method's ordered provider list was replaced.
    RoutingMethodProviders,
    /// EPv2 was switched on or off.
    RoutingEpv2,
    /// A provider was switched off for every merchant, or back on.
    RoutingProviderDisabled,
    /// Partner split was switched, or its parameters changed.
    RoutingPartnerSplit,
    /// A provider credential was stored in the database.
    CredentialSet,
    /// A provider credential was removed from the database.
    CredentialClear,
    /// A merchant's settings were changed by an operator.
    MerchantUpdate,
    /// Secrets found in the clear were encrypted at start.
    SecretsEncrypted,
    /// A held deposit's forward to its merchant was queued.
    DepositForward,
    /// A held deposit's refund to its sender was queued.
    DepositRefund,
    /// A retry of a failed sweep was queued.
    PayoutRetry,
    /// A webhook event was queued for delivery again.
    WebhookResend,
    /// A merchant's parked webhook endpoint was re-enabled.
    WebhookEnable,
    /// An operator account was added.
    OperatorCreate,
    /// An operator enrolled a TOTP second factor.
    OperatorTotpEnrol,
    /// An operator's TOTP second factor was removed (recovery).
    OperatorTotpReset,
}

impl AuditAction {
    pub const ALL: [AuditAction; 18] = [
        AuditAction::RoutingImport,
        AuditAction::RoutingGlobalSwitch,
        AuditAction::RoutingMethodProviders,
        AuditAction::RoutingEpv2,
        AuditAction::RoutingProviderDisabled,
        AuditAction::RoutingPartnerSplit,
        AuditAction::CredentialSet,
        AuditAction::CredentialClear,
        AuditAction::MerchantUpdate,
        AuditAction::SecretsEncrypted,
        AuditAction::DepositForward,
        AuditAction::DepositRefund,
        AuditAction::PayoutRetry,
        AuditAction::WebhookResend,
        AuditAction::WebhookEnable,
        AuditAction::OperatorCreate,
        AuditAction::OperatorTotpEnrol,
        AuditAction::OperatorTotpReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::RoutingImport => "routing.import",
            AuditAction::RoutingGlobalSwitch => "routing.global_switch",
            AuditAction::RoutingMethodProviders => "routing.method_providers",
            AuditAction::RoutingEpv2 => "routing.epv2",
            AuditAction::RoutingProviderDisabled => "routing.provider_disabled",
            AuditAction::RoutingPartnerSplit => "routing.partner_split",
            AuditAction::CredentialSet => "credential.set",
            AuditAction::CredentialClear => "credential.clear",
            AuditAction::MerchantUpdate => "merchant.update",
            AuditAction::SecretsEncrypted => "secrets.encrypt",
            AuditAction::DepositForward => "deposit.forward",
            AuditAction::DepositRefund => "deposit.refund",
            AuditAction::PayoutRetry => "payout.retry",
            AuditAction::WebhookResend => "webhook.resend",
            AuditAction::WebhookEnable => "webhook.enable",
            AuditAction::OperatorCreate => "operator.create",
            AuditAction::OperatorTotpEnrol => "operator.totp_enrol",
            AuditAction::OperatorTotpReset => "operator.totp_reset",
        }
    }

    /// The action a stored name stands for, if this Kassa knows it.
    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// One line of the audit log, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor: AuditActor,
    /// The stored action name (see [`AuditAction::parse`]).
    pub action: String,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Shortest secret whose last four characters may be shown: below this,
/// four characters would give away too much of it.
const SHOW_TAIL_FROM: usize = 16;

/// How a secret appears in an audit record or on a console page: its last
/// four characters behind dots when it is long enough that they reveal
/// nothing useful (`••••3f9a`), else only that it is `set`.
pub fn redact_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.trim().chars().collect();
    if chars.len() < SHOW_TAIL_FROM {
        return "set".into();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_read_back_as_written() {
        for actor in [AuditActor::Admin(3), AuditActor::Cli, AuditActor::System] {
            assert_eq!(AuditActor::parse(&actor.to_text()), Ok(actor));
        }
    }

    #[test]
    fn a_malformed_actor_is_refused() {
        for text in ["admin:", "admin:x", "admin:-1", "root", ""] {
            assert!(AuditActor::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("routing.unknown"), None);
    }

    #[test]
    fn a_long_secret_shows_only_its_last_four_characters() {
        let shown = redact_secret("sk_live_0123456789abcdef3f9a");
        assert_eq!(shown, "••••3f9a");
        assert!(!shown.contains("sk_live"));
    }

    #[test]
    fn a_short_secret_shows_only_that_it_is_set() {
        assert_eq!(redact_secret("pk_1234"), "set");
        assert_eq!(redact_secret("0123456789abcde"), "set");
    }
}
