//! Paid volume per day: the settled USDC of a merchant's paid sessions,
//! summed per UTC day (by the time each was paid) over a window of days
//! ending today. Every day of the window has an entry, zero when nothing
//! was paid, so a chart of it has no gaps. Pure: the store sums, this
//! fills the window. Must not do I/O.

use super::money::UsdcAmount;

/// Milliseconds in a (UTC) day.
pub const DAY_MS: i64 = 86_400_000;

/// The settled USDC of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayVolume {
    /// 00:00 UTC of the day (unix ms).
    pub day_start_ms: i64,
    pub usdc: UsdcAmount,
}

/// The window of `days` UTC days that ends with the day of `now_ms`:
/// `(start, end)` in unix ms, the end exclusive.
pub fn window(now_ms: i64, days: u32) -> (i64, i64) {
    let end = now_ms
        .div_euclid(DAY_MS)
        .saturating_add(1)
        .saturating_mul(DAY_MS);
    (
        end.saturating_sub(i64::from(days).saturating_mul(DAY_MS)),
        end,
    )
}

/// One entry per day of the window (oldest first) from the store's sums,
/// `(day number since 1970-01-01, base units)`; sums outside the window
/// are ignored.
pub fn daily(now_ms: i64, days: u32, sums: &[(i64, u64)]) -> Vec<DayVolume> {
    let (start, _) = window(now_ms, days);
    let first_day = start.div_euclid(DAY_MS);
    (0..i64::from(days))
        .map(|i| {
            let day = first_day + i;
            let units = sums
                .iter()
                .filter(|(d, _)| *d == day)
                .fold(0u64, |sum, (_, u)| sum.saturating_add(*u));
            DayVolume {
                day_start_ms: day.saturating_mul(DAY_MS),
                usdc: UsdcAmount::from_units(units),
            }
        })
        .collect()
}

/// The whole window's volume.
pub fn total(days: &[DayVolume]) -> UsdcAmount {
    UsdcAmount::from_units(
        days.iter()
            .fold(0u64, |sum, d| sum.saturating_add(d.usdc.units())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_083_200_000 + 15 * 3_600_000; // 2026-12-01 15:00 UTC

    #[test]
    fn the_window_ends_with_today_and_spans_whole_days() {
        let (start, end) = window(NOW, 30);
        assert_eq!(end, 1_796_083_200_000 + DAY_MS);
        assert_eq!(end - start, 30 * DAY_MS);
    }

    #[test]
    fn every_day_has_an_entry_and_sums_land_on_their_day() {
        let today = NOW / DAY_MS;
        let days = daily(
            NOW,
            30,
            &[(today, 5), (today - 29, 7), (today, 1), (today - 30, 99)],
        );
        assert_eq!(days.len(), 30);
        assert_eq!(days[29].usdc.units(), 6);
        assert_eq!(days[29].day_start_ms, today * DAY_MS);
        assert_eq!(days[0].usdc.units(), 7);
        assert!(days[1..29].iter().all(|d| d.usdc.units() == 0));
        assert_eq!(
            total(&days).units(),
            13,
            "the day before the window is left out"
        );
    }
}
