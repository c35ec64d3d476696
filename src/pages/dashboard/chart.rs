//! The overview's paid volume chart: one bar per UTC day, drawn as inline
//! SVG on the server (no script, no charting library), with a title and a
//! description for screen readers, a tooltip per bar, and the same figures
//! as a table. Integer geometry only; the amounts are shown exactly as
//! USDC, never through floating point.

use chrono::DateTime;

use crate::domain::money::UsdcAmount;
use crate::domain::volume::{DayVolume, total};

/// Drawing area, in SVG user units (the SVG scales to its card).
pub const WIDTH: u64 = 600;
pub const HEIGHT: u64 = 160;
/// Space kept under the bars for the day labels.
const LABELS: u64 = 20;

/// One day's bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub x: u64,
    pub y: u64,
    pub width: u64,
    pub height: u64,
    pub day: String,
    pub usdc: String,
    pub units: u64,
    /// A day label under this bar (every seventh day and the last).
    pub label: Option<String>,
}

/// The chart of a window of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub bars: Vec<Bar>,
    pub total: String,
    pub total_units: u64,
    pub best: String,
    pub first_day: String,
    pub last_day: String,
    pub empty: bool,
}

fn day(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Lays out `days` (oldest first).
pub fn chart(days: &[DayVolume]) -> Chart {
    let n = u64::try_from(days.len()).unwrap_or(1).max(1);
    let slot = WIDTH / n;
    let gap = (slot / 5).max(1);
    let max = days.iter().map(|d| d.usdc.units()).max().unwrap_or(0);
    let room = u128::from(HEIGHT - LABELS);
    let last = days.len().saturating_sub(1);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let units = d.usdc.units();
            let height = if max == 0 {
                0
            } else {
                // At least one unit high when anything was paid that day.
                let h = u128::from(units) * room / u128::from(max);
                u64::try_from(h).unwrap_or(0).max(u64::from(units > 0))
            };
            let x = u64::try_from(i).unwrap_or(0) * slot;
            Bar {
                x: x + gap / 2,
                y: HEIGHT - LABELS - height,
                width: slot - gap,
                height,
                day: day(d.day_start_ms),
                usdc: d.usdc.to_string(),
                units,
                label: (i % 7 == 0 || i == last).then(|| day(d.day_start_ms)[5..].to_string()),
            }
        })
        .collect();
    let sum = total(days);
    Chart {
        bars,
        total: sum.to_string(),
        total_units: sum.units(),
        best: UsdcAmount::from_units(max).to_string(),
        first_day: days
            .first()
            .map(|d| day(d.day_start_ms))
            .unwrap_or_default(),
        last_day: days.last().map(|d| day(d.day_start_ms)).unwrap_or_default(),
        empty: max == 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::volume::DAY_MS;

    fn days(units: &[u64]) -> Vec<DayVolume> {
        units
            .iter()
            .enumerate()
            .map(|(i, u)| DayVolume {
                day_start_ms: 1_796_083_200_000 + i64::try_from(i).unwrap_or(0) * DAY_MS,
                usdc: UsdcAmount::from_units(*u),
            })
            .collect()
    }

    #[test]
    fn the_highest_day_fills_the_height_and_a_small_day_stays_visible() {
        let c = chart(&days(&[0, 1, 1_000_000_000]));
        assert_eq!(c.bars[2].height, HEIGHT - LABELS);
        assert_eq!(c.bars[1].height, 1);
        assert_eq!(c.bars[0].height, 0);
        assert_eq!(c.bars[0].y + c.bars[0].height, HEIGHT - LABELS);
        assert_eq!(c.total, "1000.000001");
        assert_eq!(c.first_day, "2026-12-01");
        assert!(!c.empty);
    }

    #[test]
    fn bars_stay_inside_the_width() {
        let c = chart(&days(&[5; 30]));
        let last = c.bars.last().map(|b| b.x + b.width).unwrap_or(0);
        assert!(last <= WIDTH);
        assert_eq!(c.bars.iter().filter(|b| b.label.is_some()).count(), 6);
        assert!(chart(&days(&[0; 30])).empty);
    }
}
