//! Payout rules: how a sweep splits between merchant and platform, when a
//! deposit is final enough to send on, how much a stuck transaction's fee
//! rises, what a gas top-up carries and the fees it allows, and the names
//! a sweep's states are stored under.
//!
//! Pure: no I/O, no clock. The payout actor asks these and the store keeps
//! the answers; nothing here knows how a transaction is signed or sent.

use std::fmt;
use std::str::FromStr;

/// Basis points in a whole.
const BPS: u64 = 10_000;

/// How a sweep's amount splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// What the destination receives.
    pub net_units: u64,
    /// What the fee wallet receives.
    pub fee_units: u64,
}

/// Splits `amount_units` with a platform fee of `fee_bps` basis points. The
/// fee is rounded down, so the merchant never receives less than
/// `amount × (1 − fee)`, and the two parts always add up to the amount.
pub fn split(amount_units: u64, fee_bps: u32) -> Split {
    let bps = u128::from(fee_bps.min(BPS as u32));
    let fee = u128::from(amount_units) * bps / u128::from(BPS);
    // fee ≤ amount, so it fits in u64 and the subtraction cannot wrap.
    let fee_units = u64::try_from(fee).unwrap_or(amount_units);
    Split {
        net_units: amount_units - fee_units.min(amount_units),
        fee_units,
    }
}

/// The highest block a deposit may sit in to be swept now: at or below the
/// node's `finalized` block **and** `confirmations` deep (its own block
/// counting as the first). `None` when no block qualifies yet.
pub fn sweepable_through(head: u64, finalized: Option<u64>, confirmations: u64) -> Option<u64> {
    let finalized = finalized?;
    let deep = (head + 1).checked_sub(confirmations.max(1))?;
    Some(finalized.min(deep))
}

/// The fee of a replacement: nodes take one only if it pays at least 10 %
/// more than the transaction it replaces; 12.5 % (plus one wei) clears that
/// bar whatever the rounding.
pub fn bumped(fee_wei: u128) -> u128 {
    fee_wei.saturating_add(fee_wei / 8).saturating_add(1)
}

/// EIP-1559 fees to offer: the tip is at least `floor_wei`; the cap covers
/// two doublings of the base fee on top of it, so a rising base fee does not
/// leave the transaction behind.
pub fn offered_fees(base_fee_wei: u128, tip_wei: u128, floor_wei: u128) -> (u128, u128) {
    let tip = tip_wei.max(floor_wei);
    (base_fee_wei.saturating_mul(2).saturating_add(tip), tip)
}

/// The POL (wei) a gas top-up carries: `transfers` token transfers of
/// `transfer_gas` each at `max_fee_wei`, with room for two replacements.
pub fn top_up_wei(max_fee_wei: u128, transfer_gas: u64, transfers: u64) -> u128 {
    let gas = u128::from(transfer_gas).saturating_mul(u128::from(transfers));
    bumped(bumped(max_fee_wei)).saturating_mul(gas)
}

/// The highest fee per gas the transfers of a topped-up address may offer:
/// all of them in flight at once never need more than `top_up_wei`.
/// `None` when there is no gas to pay for.
pub fn fee_cap(top_up_wei: u128, transfer_gas: u64, transfers: u64) -> Option<u128> {
    let gas = u128::from(transfer_gas).saturating_mul(u128::from(transfers));
    top_up_wei.checked_div(gas)
}

/// The `(max fee, tip)` of a transfer paid from a top-up: the node's
/// `offer` held to `cap`; a replacement outbids the `(max fee, tip)` it
/// replaces, and is `None` when that would pass the cap (it keeps waiting).
pub fn capped_fees(
    offer: (u128, u128),
    cap: u128,
    replacing: Option<(u128, u128)>,
) -> Option<(u128, u128)> {
    let max_fee = offer.0.min(cap);
    let tip = offer.1.min(max_fee);
    let Some((old_max, old_tip)) = replacing else {
        return Some((max_fee, tip));
    };
    let max_fee = max_fee.max(bumped(old_max));
    let tip = tip.max(bumped(old_tip));
    (max_fee <= cap && tip <= max_fee).then_some((max_fee, tip))
}

/// Why money leaves a deposit address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SweepKind {
    /// Counted money of a paid session, to the merchant's payout wallet.
    Sweep,
    /// Held money an operator forwarded to the merchant.
    Forward,
    /// Held money an operator sent back to the customer.
    Refund,
}

/// How a sweep's transactions are paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SweepMethod {
    /// The deposit key signs EIP-3009 authorizations; a gas account submits.
    Eip3009,
    /// A gas account tops the deposit address up with POL; the deposit key
    /// sends plain transfers.
    TopUp,
}

/// Where a sweep stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SweepState {
    /// Made, nothing signed yet.
    Queued,
    /// Its transactions are signed and being sent.
    Sending,
    /// Every transaction mined with status 1.
    Sent,
    /// Could not go out (a revert, no gas, a refusal); retried with backoff.
    Failed,
}

/// One transaction of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Leg {
    /// POL to the deposit address so it can pay its own transfers.
    TopUp,
    /// The net amount to the destination (the merchant's transfer: `txid_out`).
    Merchant,
    /// The platform fee to the fee wallet.
    Fee,
}

/// Where one signed transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxState {
    /// Stored, not yet handed to a node (a restart broadcasts these bytes).
    Signed,
    Broadcast,
    /// Mined with status 1.
    Mined,
    /// Mined with status 0.
    Reverted,
    /// A replacement with a higher fee took its nonce.
    Replaced,
}

macro_rules! named {
    ($ty:ident, $what:literal, $($variant:ident => $name:literal),+ $(,)?) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownName { what: $what, name: s.to_string() })
            }
        }
    };
}

named!(SweepKind, "sweep kind", Sweep => "sweep", Forward => "forward", Refund => "refund");
named!(SweepMethod, "sweep method", Eip3009 => "eip3009", TopUp => "topup");
named!(SweepState, "sweep state", Queued => "queued", Sending => "sending", Sent => "sent", Failed => "failed");
named!(Leg, "transaction leg", TopUp => "topup", Merchant => "merchant", Fee => "fee");
named!(TxState, "transaction state", Signed => "signed", Broadcast => "broadcast", Mined => "mined", Reverted => "reverted", Replaced => "replaced");

/// A stored name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{name}`")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_rounds_down_and_the_parts_add_up() {
        assert_eq!(
            split(1_000_000, 100),
            Split {
                net_units: 990_000,
                fee_units: 10_000
            }
        );
        // 0.5 % of 199 base units is 0.995: the merchant keeps the fraction.
        assert_eq!(split(199, 50).fee_units, 0);
        assert_eq!(split(u64::MAX, 10_000).net_units, 0);
        for (amount, bps) in [(1, 1), (12_345_678, 250), (u64::MAX, 9_999), (7, 0)] {
            let s = split(amount, bps);
            assert_eq!(s.net_units + s.fee_units, amount, "{amount} at {bps}");
        }
    }

    #[test]
    fn a_fee_above_the_whole_takes_the_whole() {
        assert_eq!(split(500, 20_000).fee_units, 500);
    }

    #[test]
    fn only_blocks_both_final_and_deep_enough_are_sweepable() {
        // Head 100, 64 confirmations: block 37 is the deepest qualifying one.
        assert_eq!(sweepable_through(100, Some(90), 64), Some(37));
        // The node's finalized block is the tighter bound.
        assert_eq!(sweepable_through(100, Some(20), 64), Some(20));
        // No finalized block yet, or a chain shorter than the depth.
        assert_eq!(sweepable_through(100, None, 1), None);
        assert_eq!(sweepable_through(10, Some(10), 64), None);
        // One confirmation: the head block itself.
        assert_eq!(sweepable_through(10, Some(10), 1), Some(10));
    }

    #[test]
    fn a_replacement_pays_more_than_ten_percent_more() {
        for fee in [0u128, 1, 9, 30_000_000_000, u128::MAX / 16] {
            let new = bumped(fee);
            assert!(new * 10 >= fee * 11, "{fee} → {new}");
        }
        assert_eq!(bumped(u128::MAX), u128::MAX);
    }

    #[test]
    fn the_tip_never_goes_under_the_floor() {
        let gwei = 1_000_000_000;
        assert_eq!(
            offered_fees(10 * gwei, gwei, 30 * gwei),
            (50 * gwei, 30 * gwei)
        );
        assert_eq!(
            offered_fees(10 * gwei, 40 * gwei, 30 * gwei),
            (60 * gwei, 40 * gwei)
        );
    }

    #[test]
    fn a_top_up_pays_for_two_bumps_and_not_a_third() {
        let gwei = 1_000_000_000;
        let offer = (50 * gwei, 30 * gwei);
        let top_up = top_up_wei(offer.0, 150_000, 2);
        let cap = fee_cap(top_up, 150_000, 2).unwrap();
        assert_eq!(cap, bumped(bumped(offer.0)));
        assert!(cap * 150_000 * 2 <= top_up);

        let first = capped_fees(offer, cap, None).unwrap();
        assert_eq!(first, offer);
        let second = capped_fees(offer, cap, Some(first)).unwrap();
        let third = capped_fees(offer, cap, Some(second)).unwrap();
        assert_eq!(third.0, cap);
        assert!(third.1 * 10 >= second.1 * 11);
        assert_eq!(capped_fees(offer, cap, Some(third)), None);
    }

    #[test]
    fn a_transfer_never_offers_more_than_the_top_up_paid_for() {
        assert_eq!(capped_fees((900, 800), 100, None), Some((100, 100)));
        assert_eq!(fee_cap(1_000, 0, 2), None);
        assert_eq!(top_up_wei(u128::MAX, 150_000, 2), u128::MAX);
    }

    #[test]
    fn names_round_trip() {
        for state in SweepState::ALL {
            assert_eq!(state.as_str().parse::<SweepState>().unwrap(), *state);
        }
        for leg in Leg::ALL {
            assert_eq!(leg.as_str().parse::<Leg>().unwrap(), *leg);
        }
        assert!("paid".parse::<TxState>().is_err());
    }
}
