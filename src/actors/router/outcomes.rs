//! Outcome figures per provider × customer country × method: sessions
//! started (a direct URL was handed out), completed (paid), and the time
//! until paid. Exposed on `/metrics` as `kassa_routing_*`.

use std::collections::HashMap;

use crate::domain::routing::{Method, Provider};

/// Routed sessions not yet paid are forgotten after this long (their
/// `started` figure stays; only the time-to-paid is lost).
const FORGET_AFTER_MS: i64 = 48 * 3600 * 1000;
/// At most this many routed sessions are remembered at once.
const MAX_OPEN: usize = 200_000;

#[derive(Debug, Clone)]
struct Started {
    provider: Provider,
    country: String,
    method: &'static str,
    at_ms: i64,
}

/// Routed sessions awaiting payment, and the totals so far.
#[derive(Debug, Default)]
pub struct Outcomes {
    open: HashMap<i64, Started>,
    totals: HashMap<(Provider, String, &'static str), Totals>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    started: u64,
    completed: u64,
    paid_after_ms_sum: i64,
}

/// One provider × country × method line of the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeFigures {
    pub provider: Provider,
    pub country: String,
    pub method: &'static str,
    pub started: u64,
    pub completed: u64,
    /// Mean time from routing to paid, when something was paid.
    pub mean_ms_to_paid: Option<i64>,
}

fn method_label(m: Option<Method>) -> &'static str {
    m.map_or("crypto", Method::as_str)
}

impl Outcomes {
    /// A direct URL was handed out for `session_id`.
    pub fn started(
        &mut self,
        session_id: i64,
        provider: Provider,
        country: Option<&str>,
        method: Option<Method>,
        now_ms: i64,
    ) {
        let country = country.unwrap_or("unknown").to_string();
        let method = method_label(method);
        metrics::counter!(
            "kassa_routing_sessions_started_total",
            "provider" => provider.as_str(),
            "country" => country.clone(),
            "method" => method
        )
        .increment(1);
        self.totals
            .entry((provider, country.clone(), method))
            .or_default()
            .started += 1;
        if self.open.len() >= MAX_OPEN {
            self.forget_older_than(now_ms - FORGET_AFTER_MS / 4);
        }
        if self.open.len() < MAX_OPEN {
            self.open.insert(
                session_id,
                Started {
                    provider,
                    country,
                    method,
                    at_ms: now_ms,
                },
            );
        }
    }

    /// `session_id` was paid; true when it had been routed here.
    pub fn completed(&mut self, session_id: i64, now_ms: i64) -> bool {
        let Some(s) = self.open.remove(&session_id) else {
            return false;
        };
        let totals = self
            .totals
            .entry((s.provider, s.country.clone(), s.method))
            .or_default();
        totals.completed += 1;
        totals.paid_after_ms_sum += (now_ms - s.at_ms).max(0);
        let labels = [
            ("provider", s.provider.as_str().to_string()),
            ("country", s.country),
            ("method", s.method.to_string()),
        ];
        metrics::counter!("kassa_routing_sessions_completed_total", &labels).increment(1);
        let secs = (now_ms - s.at_ms).max(0) as f64 / 1000.0;
        metrics::histogram!("kassa_routing_time_to_paid_seconds", &labels).record(secs);
        true
    }

    /// The figures since this node started, busiest first.
    pub fn figures(&self) -> Vec<OutcomeFigures> {
        let mut rows: Vec<OutcomeFigures> = self
            .totals
            .iter()
            .map(|((provider, country, method), t)| OutcomeFigures {
                provider: *provider,
                country: country.clone(),
                method,
                started: t.started,
                completed: t.completed,
                mean_ms_to_paid: (t.completed > 0)
                    .then(|| t.paid_after_ms_sum / i64::try_from(t.completed).unwrap_or(i64::MAX)),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.started
                .cmp(&a.started)
                .then_with(|| a.provider.as_str().cmp(b.provider.as_str()))
                .then_with(|| a.country.cmp(&b.country))
                .then_with(|| a.method.cmp(b.method))
        });
        rows
    }

    /// Drops routed sessions started before `cutoff_ms`.
    pub fn forget_older_than(&mut self, cutoff_ms: i64) {
        self.open.retain(|_, s| s.at_ms >= cutoff_ms);
    }

    /// Periodic housekeeping.
    pub fn prune(&mut self, now_ms: i64) {
        self.forget_older_than(now_ms - FORGET_AFTER_MS);
    }

    #[cfg(test)]
    pub fn open_count(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_session_completes_once_and_old_ones_are_forgotten() {
        let mut o = Outcomes::default();
        o.started(1, Provider::Moonpay, Some("NL"), Some(Method::Card), 1_000);
        o.started(2, Provider::Transak, None, Some(Method::Card), 1_000);
        assert!(o.completed(1, 61_000));
        assert!(!o.completed(1, 62_000));
        o.prune(1_000 + FORGET_AFTER_MS + 1);
        assert_eq!(o.open_count(), 0);
    }

    #[test]
    fn figures_add_up_per_provider_country_and_method() {
        let mut o = Outcomes::default();
        o.started(1, Provider::Moonpay, Some("NL"), Some(Method::Card), 1_000);
        o.started(2, Provider::Moonpay, Some("NL"), Some(Method::Card), 2_000);
        o.started(3, Provider::Transak, None, Some(Method::Bank), 2_000);
        assert!(o.completed(1, 11_000));
        assert!(o.completed(2, 32_000));
        let rows = o.figures();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].provider, Provider::Moonpay);
        assert_eq!((rows[0].started, rows[0].completed), (2, 2));
        assert_eq!(rows[0].mean_ms_to_paid, Some(20_000));
        assert_eq!(rows[1].country, "unknown");
        assert_eq!((rows[1].started, rows[1].completed), (1, 0));
        assert_eq!(rows[1].mean_ms_to_paid, None);
    }
}
