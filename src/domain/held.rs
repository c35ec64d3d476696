//! Held money: USDC the gateway received for a merchant's session but has
//! not counted towards a payment (and so will not forward as one).
//!
//! Three kinds: a deposit that arrived after the session's grace window
//! (`late`), money counted for a session that then expired underpaid
//! (`partial`), and what an overpaid session received beyond what it was
//! owed (`excess`).
//!
//! Pure values and rules. This module must not know where the rows come
//! from (the store builds [`HeldMoney`]) nor how they are shown (the CLI).

use std::fmt;

use super::money::UsdcAmount;

/// Why the gateway holds an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeldKind {
    /// A deposit after the session's grace window: never counted.
    Late,
    /// Counted for a session that then expired underpaid.
    Partial,
    /// Received beyond what a paid session was owed.
    Excess,
}

impl HeldKind {
    pub const ALL: [HeldKind; 3] = [HeldKind::Late, HeldKind::Partial, HeldKind::Excess];

    pub fn as_str(self) -> &'static str {
        match self {
            HeldKind::Late => "late",
            HeldKind::Partial => "partial",
            HeldKind::Excess => "excess",
        }
    }
}

impl fmt::Display for HeldKind {
    /// Honours width and alignment (the CLI lines kinds up in columns).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One held amount and the deposit it is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldMoney {
    pub kind: HeldKind,
    pub session_id: i64,
    pub merchant_id: i64,
    pub amount: UsdcAmount,
    /// The deposit row (what `kassa deposits forward|refund` name); `None`
    /// only for an excess with no counted deposit left to attribute it to.
    pub deposit_id: Option<i64>,
    /// `None` only for an excess whose session has no counted deposit left
    /// to attribute it to.
    pub tx_hash: Option<String>,
    /// Where the money came from (and would go back to); `None` for
    /// deposits recorded before senders were kept.
    pub from_address: Option<String>,
    pub block_number: Option<u64>,
    /// When the deposit was observed (unix milliseconds).
    pub observed_at_ms: i64,
}

/// What an overpaid session holds: `received − expected`, or `None` when it
/// received no more than it was owed.
pub fn excess(received: UsdcAmount, expected: UsdcAmount) -> Option<UsdcAmount> {
    (received > expected).then(|| received.saturating_sub(expected))
}

/// The sum of each kind, in [`HeldKind::ALL`] order (zero for a kind with
/// no line). Saturates at the largest amount rather than wrapping.
pub fn totals(held: &[HeldMoney]) -> [(HeldKind, UsdcAmount); 3] {
    HeldKind::ALL.map(|kind| {
        let sum = held
            .iter()
            .filter(|h| h.kind == kind)
            .fold(UsdcAmount::default(), |sum, h| add(sum, h.amount));
        (kind, sum)
    })
}

/// The sum of every held line, saturating like [`totals`].
pub fn grand_total(held: &[HeldMoney]) -> UsdcAmount {
    held.iter()
        .fold(UsdcAmount::default(), |sum, h| add(sum, h.amount))
}

fn add(a: UsdcAmount, b: UsdcAmount) -> UsdcAmount {
    a.checked_add(b).unwrap_or(UsdcAmount::from_units(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usdc(units: u64) -> UsdcAmount {
        UsdcAmount::from_units(units)
    }

    fn line(kind: HeldKind, units: u64) -> HeldMoney {
        HeldMoney {
            deposit_id: Some(1),
            kind,
            session_id: 1,
            merchant_id: 1,
            amount: usdc(units),
            tx_hash: None,
            from_address: None,
            block_number: None,
            observed_at_ms: 0,
        }
    }

    #[test]
    fn excess_is_what_was_received_beyond_what_was_expected() {
        assert_eq!(
            excess(usdc(90_000_000), usdc(85_320_000)),
            Some(usdc(4_680_000))
        );
        assert_eq!(excess(usdc(85_320_001), usdc(85_320_000)), Some(usdc(1)));
    }

    #[test]
    fn an_exact_or_short_payment_has_no_excess() {
        assert_eq!(excess(usdc(85_320_000), usdc(85_320_000)), None);
        assert_eq!(excess(usdc(85_000_000), usdc(85_320_000)), None);
        assert_eq!(excess(usdc(0), usdc(0)), None);
    }

    #[test]
    fn totals_add_up_each_kind_and_show_zero_for_a_kind_without_lines() {
        let held = [
            line(HeldKind::Late, 12_500_000),
            line(HeldKind::Partial, 30_000_000),
            line(HeldKind::Late, 1),
            line(HeldKind::Partial, 10_000_000),
        ];
        assert_eq!(
            totals(&held),
            [
                (HeldKind::Late, usdc(12_500_001)),
                (HeldKind::Partial, usdc(40_000_000)),
                (HeldKind::Excess, usdc(0)),
            ]
        );
        assert_eq!(grand_total(&held), usdc(52_500_001));
    }

    #[test]
    fn totals_saturate_instead_of_wrapping() {
        let held = [line(HeldKind::Excess, u64::MAX), line(HeldKind::Excess, 2)];
        assert_eq!(totals(&held)[2], (HeldKind::Excess, usdc(u64::MAX)));
        assert_eq!(grand_total(&held), usdc(u64::MAX));
    }

    #[test]
    fn kinds_read_as_the_cli_prints_them() {
        let names: Vec<String> = HeldKind::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["late", "partial", "excess"]);
        assert_eq!(format!("[{:<8}]", HeldKind::Late), "[late    ]");
    }
}
