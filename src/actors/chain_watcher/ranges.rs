//! How many blocks the chain watcher asks for in one `eth_getLogs`.
//!
//! A fixed range is wrong both ways: on a busy token a wide range returns
//! tens of thousands of logs in one answer (slow to encode and decode, and
//! refused outright by many providers), while a narrow one wastes requests
//! when transfers are sparse. The sizer aims each request at about
//! [`TARGET_LOGS`] logs from the density the previous answer showed,
//! starting narrow, growing at most twofold per request and halving when
//! the node refuses a range. Smaller answers also let the watcher hand one
//! range's deposits to their sessions while the next range is being read.
//!
//! Pure arithmetic: it reads nothing and never exceeds the configured
//! `chain_max_block_range`.

/// Logs one request should return, about.
pub const TARGET_LOGS: u64 = 5_000;
/// The first request's width (before any density is known).
pub const FIRST_RANGE: u64 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeSizer {
    max: u64,
    next: u64,
}

impl RangeSizer {
    pub fn new(max: u64) -> Self {
        let max = max.max(1);
        Self {
            max,
            next: FIRST_RANGE.min(max),
        }
    }

    /// The width of the next request.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// The node refused `blocks` as too many: ask for half as many.
    pub fn refused(&mut self, blocks: u64) {
        self.next = (blocks / 2).max(1);
        // A node that refused this width will refuse it again: the cap
        // moves down with it.
        self.max = self.max.min(self.next.max(1));
    }

    /// A request over `blocks` blocks returned `logs` logs.
    pub fn answered(&mut self, blocks: u64, logs: usize) {
        let blocks = blocks.max(1);
        let logs = u64::try_from(logs).unwrap_or(u64::MAX).max(1);
        let aimed = TARGET_LOGS.saturating_mul(blocks) / logs;
        self.next = aimed.clamp(1, blocks.saturating_mul(2)).min(self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_is_narrow_but_never_above_the_setting() {
        assert_eq!(RangeSizer::new(1000).next(), FIRST_RANGE);
        assert_eq!(RangeSizer::new(5).next(), 5);
        assert_eq!(RangeSizer::new(0).next(), 1);
    }

    #[test]
    fn sparse_answers_grow_the_range_at_most_twofold_up_to_the_setting() {
        let mut s = RangeSizer::new(1000);
        s.answered(16, 3);
        assert_eq!(s.next(), 32);
        s.answered(32, 0);
        assert_eq!(s.next(), 64);
        for _ in 0..10 {
            let n = s.next();
            s.answered(n, 0);
        }
        assert_eq!(s.next(), 1000);
    }

    #[test]
    fn dense_answers_aim_at_the_target_number_of_logs() {
        let mut s = RangeSizer::new(1000);
        // 500 logs a block: 10 blocks make the target.
        s.answered(16, 8000);
        assert_eq!(s.next(), 10);
        s.answered(10, 5000);
        assert_eq!(s.next(), 10);
        // One block alone over the target still asks for one block.
        s.answered(10, 200_000);
        assert_eq!(s.next(), 1);
    }

    #[test]
    fn a_refused_range_halves_and_caps_later_growth() {
        let mut s = RangeSizer::new(1000);
        s.refused(16);
        assert_eq!(s.next(), 8);
        s.answered(8, 0);
        assert_eq!(s.next(), 8, "never back above what the node refused");
        s.refused(1);
        assert_eq!(s.next(), 1);
    }
}
