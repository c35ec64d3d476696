//! What needs a person, as values: the kinds of item in the operators'
//! attention queue, each with the one action that resolves it, and the
//! target an action names (parsed from a form or a command line once).
//! Pure: `app::attention` reads the items and carries the actions out.

use std::fmt;

/// A kind of item that waits for an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttentionKind {
    /// Money that reached a session's address after it closed: forward it
    /// to the merchant.
    LateDeposit,
    /// A sweep that could not go out: try it again now.
    FailedPayout,
    /// A webhook delivery that gave up: queue it again.
    DeadWebhook,
    /// A merchant endpoint parked after it answered 410 Gone: deliver again.
    DisabledEndpoint,
}

impl AttentionKind {
    /// In the order the queue lists them: money first.
    pub const ALL: [AttentionKind; 4] = [
        AttentionKind::LateDeposit,
        AttentionKind::FailedPayout,
        AttentionKind::DeadWebhook,
        AttentionKind::DisabledEndpoint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttentionKind::LateDeposit => "late_deposit",
            AttentionKind::FailedPayout => "failed_payout",
            AttentionKind::DeadWebhook => "dead_webhook",
            AttentionKind::DisabledEndpoint => "disabled_endpoint",
        }
    }

    pub fn parse(text: &str) -> Option<AttentionKind> {
        AttentionKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The action that resolves an item of this kind, as a verb.
    pub fn action(self) -> &'static str {
        match self {
            AttentionKind::LateDeposit => "forward",
            AttentionKind::FailedPayout => "retry",
            AttentionKind::DeadWebhook => "resend",
            AttentionKind::DisabledEndpoint => "re-enable",
        }
    }
}

impl fmt::Display for AttentionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an action is about: a deposit, a sweep or a merchant by id, a
/// webhook event by its event id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Deposit(i64),
    Sweep(i64),
    Event(String),
    Merchant(i64),
}

/// A target that does not read as one for its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not the id of a {what}")]
pub struct TargetError {
    pub text: String,
    pub what: &'static str,
}

/// The longest event id taken (ours are `evt_…`, well under this).
const MAX_EVENT_ID: usize = 200;

impl Target {
    /// The target of an item of `kind`, from its id as typed.
    pub fn parse(kind: AttentionKind, text: &str) -> Result<Target, TargetError> {
        let text = text.trim();
        let id = || {
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| TargetError {
                    text: text.to_string(),
                    what: Target::what(kind),
                })
        };
        match kind {
            AttentionKind::LateDeposit => id().map(Target::Deposit),
            AttentionKind::FailedPayout => id().map(Target::Sweep),
            AttentionKind::DisabledEndpoint => id().map(Target::Merchant),
            AttentionKind::DeadWebhook => {
                let fits = !text.is_empty()
                    && text.len() <= MAX_EVENT_ID
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if fits {
                    Ok(Target::Event(text.to_string()))
                } else {
                    Err(TargetError {
                        text: text.chars().take(40).collect(),
                        what: Target::what(kind),
                    })
                }
            }
        }
    }

    fn what(kind: AttentionKind) -> &'static str {
        match kind {
            AttentionKind::LateDeposit => "deposit",
            AttentionKind::FailedPayout => "sweep",
            AttentionKind::DeadWebhook => "webhook event",
            AttentionKind::DisabledEndpoint => "merchant",
        }
    }

    /// As the audit log names it: `deposit:12`, `webhook:evt_…`.
    pub fn subject(&self) -> String {
        match self {
            Target::Deposit(id) => format!("deposit:{id}"),
            Target::Sweep(id) => format!("sweep:{id}"),
            Target::Event(id) => format!("webhook:{id}"),
            Target::Merchant(id) => format!("merchant:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in AttentionKind::ALL {
            assert_eq!(AttentionKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AttentionKind::parse("late"), None);
    }

    #[test]
    fn numeric_targets_take_positive_ids_only() {
        assert_eq!(
            Target::parse(AttentionKind::LateDeposit, " 12 "),
            Ok(Target::Deposit(12))
        );
        assert_eq!(
            Target::parse(AttentionKind::FailedPayout, "3"),
            Ok(Target::Sweep(3))
        );
        for bad in ["", "0", "-4", "x", "1.5", "9999999999999999999"] {
            let refused = Target::parse(AttentionKind::DisabledEndpoint, bad).unwrap_err();
            assert_eq!(refused.what, "merchant", "{bad}");
        }
    }

    #[test]
    fn an_event_target_is_an_event_id_and_nothing_else() {
        assert_eq!(
            Target::parse(AttentionKind::DeadWebhook, "evt_12_ab-3"),
            Ok(Target::Event("evt_12_ab-3".into()))
        );
        for bad in ["", "evt 1", "evt_1'; --", &"a".repeat(201)] {
            assert!(
                Target::parse(AttentionKind::DeadWebhook, bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_error_names_what_was_expected() {
        let refused = Target::parse(AttentionKind::FailedPayout, "abc").unwrap_err();

        assert_eq!(refused.to_string(), "`abc` is not the id of a sweep");
    }

    #[test]
    fn subjects_name_the_table_and_the_id() {
        assert_eq!(Target::Deposit(4).subject(), "deposit:4");
        assert_eq!(Target::Event("evt_1".into()).subject(), "webhook:evt_1");
    }
}
