//! The dashboard's account settings as the configuration checked them: who
//! may sign up, how long a session lives, which proxies' `X-Forwarded-For`
//! is believed, and whether cookies need `Secure`. A plain struct handed
//! down from startup; the timeout arithmetic is here so that lookups and
//! the clean-up agree.

use std::time::Duration;

use crate::domain::client_addr::TrustedProxies;

/// Whether anyone may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signup {
    Open,
    Closed,
}

/// Session activity is written at most this often (the idle timeout is
/// exact to this).
pub const TOUCH_EVERY_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub signup: Signup,
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after login, however busy.
    pub max_age: Duration,
    pub trusted_proxies: TrustedProxies,
    /// The public URL is https: cookies are `__Host-` and `Secure`.
    pub secure_cookies: bool,
    /// Live mode: pages also send HSTS.
    pub hsts: bool,
}

impl AccountSettings {
    /// Whether a session created at `created_ms`, last seen at `seen_ms`,
    /// has ended by `now_ms`.
    pub fn expired(&self, created_ms: i64, seen_ms: i64, now_ms: i64) -> bool {
        let (idle_before, created_before) = self.stale_before(now_ms);
        seen_ms < idle_before || created_ms < created_before
    }

    /// Sessions seen before the first time, or created before the second,
    /// have ended.
    pub fn stale_before(&self, now_ms: i64) -> (i64, i64) {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        (
            now_ms.saturating_sub(ms(self.idle_timeout)),
            now_ms.saturating_sub(ms(self.max_age)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> AccountSettings {
        AccountSettings {
            signup: Signup::Open,
            idle_timeout: Duration::from_secs(60),
            max_age: Duration::from_secs(3600),
            trusted_proxies: TrustedProxies::default(),
            secure_cookies: false,
            hsts: false,
        }
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let s = settings();
        assert!(!s.expired(0, 0, 59_999));
        assert!(s.expired(0, 0, 60_001));
        assert!(!s.expired(0, 3_599_000, 3_600_000));
        assert!(s.expired(0, 3_600_000, 3_600_001));
    }
}
