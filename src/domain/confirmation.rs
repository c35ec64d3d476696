//! When a deposit seen on chain counts: depth below the head, and, where the
//! policy asks for it (or the amount is large), the node's `finalized` block.
//!
//! Pure: the chain watcher reads head and finality and asks [`counts`]; it
//! must not decide this itself. No I/O here.

/// How finality is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finality {
    /// Deep enough *and* at or below the node's `finalized` block.
    Finalized,
    /// Deep enough: `required` blocks, the deposit's own included.
    Depth,
}

/// The operator's confirmation rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmationPolicy {
    /// Blocks from the deposit's block to the head, both included.
    pub required: u64,
    pub finality: Finality,
    /// Above this many base units a deposit waits for both depth and the
    /// node's `finalized` block, whatever `finality` says.
    pub large_units: u64,
}

/// What the chain looks like right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainView {
    pub head: u64,
    /// The node's `finalized` block, if it reports one.
    pub finalized: Option<u64>,
}

/// How far a waiting deposit has come: "confirming (k of N)". `k` never
/// shows above `N` (a deposit deep enough may still wait for finality).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub confirmations: u64,
    pub required: u64,
}

impl Progress {
    pub fn new(confirmations: u64, required: u64) -> Progress {
        Progress {
            confirmations: confirmations.min(required),
            required,
        }
    }
}

/// Confirmations of a deposit in `block`: 1 in the head block itself, 0 if
/// the block is above the head (the head moved back).
pub fn confirmations(block: u64, head: u64) -> u64 {
    if block > head { 0 } else { head - block + 1 }
}

/// Whether a deposit of `amount_units` in `block` counts now.
pub fn counts(
    policy: &ConfirmationPolicy,
    amount_units: u64,
    block: u64,
    chain: ChainView,
) -> bool {
    let deep = confirmations(block, chain.head) >= policy.required.max(1);
    let needs_finality =
        policy.finality == Finality::Finalized || amount_units > policy.large_units;
    let final_enough = !needs_finality || chain.finalized.is_some_and(|f| block <= f);
    deep && final_enough
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPTH: ConfirmationPolicy = ConfirmationPolicy {
        required: 12,
        finality: Finality::Depth,
        large_units: 1_000_000_000,
    };
    const FINALIZED: ConfirmationPolicy = ConfirmationPolicy {
        finality: Finality::Finalized,
        ..DEPTH
    };

    fn view(head: u64, finalized: Option<u64>) -> ChainView {
        ChainView { head, finalized }
    }

    #[test]
    fn the_head_block_has_one_confirmation() {
        assert_eq!(confirmations(100, 100), 1);
        assert_eq!(confirmations(100, 111), 12);
    }

    #[test]
    fn a_block_above_the_head_has_none() {
        assert_eq!(confirmations(101, 100), 0);
    }

    #[test]
    fn a_deposit_counts_at_exactly_the_required_depth_under_depth_finality() {
        assert!(!counts(&DEPTH, 5, 100, view(110, None)));
        assert!(counts(&DEPTH, 5, 100, view(111, None)));
    }

    #[test]
    fn finalized_policy_waits_for_the_finalized_block_too() {
        assert!(!counts(&FINALIZED, 5, 100, view(120, Some(99))));
        assert!(!counts(&FINALIZED, 5, 100, view(120, None)));
        assert!(counts(&FINALIZED, 5, 100, view(120, Some(100))));
    }

    #[test]
    fn finalized_policy_still_needs_the_depth() {
        assert!(!counts(&FINALIZED, 5, 100, view(105, Some(104))));
    }

    #[test]
    fn a_large_payment_waits_for_finality_even_under_depth_finality() {
        let large = DEPTH.large_units + 1;
        assert!(!counts(&DEPTH, large, 100, view(130, Some(90))));
        assert!(counts(&DEPTH, large, 100, view(130, Some(100))));
        assert!(counts(&DEPTH, DEPTH.large_units, 100, view(130, Some(90))));
    }

    #[test]
    fn progress_never_shows_more_confirmations_than_required() {
        assert_eq!(Progress::new(2, 12).confirmations, 2);
        assert_eq!(Progress::new(40, 12).confirmations, 12);
    }

    #[test]
    fn zero_required_confirmations_still_needs_the_block_mined() {
        let policy = ConfirmationPolicy {
            required: 0,
            ..DEPTH
        };
        assert!(counts(&policy, 5, 100, view(100, None)));
        assert!(!counts(&policy, 5, 101, view(100, None)));
    }
}
