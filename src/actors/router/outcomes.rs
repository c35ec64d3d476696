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

/// Routed sessions awaiting payment.
#[derive(Debug, Default)]
pub struct Outcomes {
    open: HashMap<i64, Started>,
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
}
