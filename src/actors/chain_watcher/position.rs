//! Where the watcher stood after its last step, as the admin console shows
//! it beside the `kassa_chain_*` gauges (which the step sets from the same
//! reads). The actor keeps it; the handle asks for it.

use serde::Serialize;

use super::step::StepReport;

/// The chain head, the finalized block and the last block scanned for
/// deposits, as one completed step read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChainPosition {
    pub head: u64,
    /// `None` when the chain does not report one.
    pub finalized: Option<u64>,
    pub processed: u64,
    /// Blocks from the last one scanned to the head.
    pub lag: u64,
    /// When the step ended (ms since the epoch).
    pub at_ms: i64,
}

impl ChainPosition {
    pub fn after(report: &StepReport, at_ms: i64) -> Self {
        ChainPosition {
            head: report.head,
            finalized: report.finalized,
            processed: report.processed,
            lag: report.head.saturating_sub(report.processed),
            at_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lag_is_the_distance_from_the_last_scanned_block_to_the_head() {
        let report = StepReport {
            head: 1_000,
            finalized: Some(970),
            processed: 990,
            ..StepReport::default()
        };

        let position = ChainPosition::after(&report, 7);

        assert_eq!(
            (position.lag, position.finalized, position.at_ms),
            (10, Some(970), 7)
        );
    }

    #[test]
    fn a_scan_ahead_of_a_head_that_went_back_has_no_lag() {
        let report = StepReport {
            head: 990,
            processed: 1_000,
            ..StepReport::default()
        };

        assert_eq!(ChainPosition::after(&report, 0).lag, 0);
    }
}
