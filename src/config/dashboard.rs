//! The dashboard's account settings: `KASSA_SIGNUP` (`open` or `closed`;
//! open in sandbox, closed in live unless set), `KASSA_TRUSTED_PROXIES`
//! (CIDRs whose `X-Forwarded-For` is believed; none by default), and the
//! session timeouts. Checked once into [`AccountSettings`].

use std::time::Duration;

use anyhow::{anyhow, bail};

use super::{Mode, RawSettings};
use crate::app::accounts::{AccountSettings, Signup};
use crate::domain::client_addr::TrustedProxies;

pub(super) fn check(
    raw: &RawSettings,
    mode: Mode,
    public_url: Option<&str>,
) -> anyhow::Result<AccountSettings> {
    let signup = match raw
        .signup
        .as_deref()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .as_deref()
    {
        Some("open") => Signup::Open,
        Some("closed") => Signup::Closed,
        Some(other) => {
            bail!("setting `signup` (KASSA_SIGNUP): `{other}` is neither `open` nor `closed`")
        }
        None if mode == Mode::Live => Signup::Closed,
        None => Signup::Open,
    };
    let trusted_proxies = TrustedProxies::parse(&raw.trusted_proxies)
        .map_err(|e| anyhow!("setting `trusted_proxies` (KASSA_TRUSTED_PROXIES): {e}"))?;
    if raw.dashboard_idle_minutes == 0 {
        bail!("setting `dashboard_idle_minutes` must be at least 1");
    }
    if raw.dashboard_session_hours == 0 {
        bail!("setting `dashboard_session_hours` must be at least 1");
    }
    Ok(AccountSettings {
        signup,
        idle_timeout: Duration::from_secs(raw.dashboard_idle_minutes.saturating_mul(60)),
        max_age: Duration::from_secs(raw.dashboard_session_hours.saturating_mul(3600)),
        trusted_proxies,
        secure_cookies: public_url.is_some_and(|u| u.starts_with("https://")),
        hsts: mode == Mode::Live,
    })
}
