//! A merchant as the gateway sees it: package, checkout mode, allowlist and
//! payout wallet, and the rules that follow from them. The wallet in force
//! depends on the time (a change may be waiting out its cool-off), so it is
//! only read through [`Merchant::payout_wallet`] with the caller's clock.
//!
//! Pure data and rules; loading and saving live in `store/merchants.rs`.

use std::fmt;
use std::str::FromStr;

use super::branding::Branding;
use super::payout_wallet::PayoutWallets;
use super::shop_domain::ShopDomain;
use super::wallet::WalletAddress;

/// The merchant's plan; Smart Routing needs Pro or Unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Package {
    Free,
    Pro,
    Unlimited,
}

/// How the hosted checkout chooses a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutMode {
    Standard,
    SmartRouter,
}

/// A setting value that is not one of the known names.
#[derive(Debug, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

impl Package {
    pub fn as_str(self) -> &'static str {
        match self {
            Package::Free => "free",
            Package::Pro => "pro",
            Package::Unlimited => "unlimited",
        }
    }

    /// Whether this package may use Smart Routing at all.
    pub fn allows_smart_routing(self) -> bool {
        match self {
            Package::Free => false,
            Package::Pro | Package::Unlimited => true,
        }
    }
}

impl FromStr for Package {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "free" => Ok(Package::Free),
            "pro" => Ok(Package::Pro),
            "unlimited" => Ok(Package::Unlimited),
            _ => Err(UnknownValue(s.to_string())),
        }
    }
}

impl CheckoutMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutMode::Standard => "standard",
            CheckoutMode::SmartRouter => "smart_router",
        }
    }
}

impl FromStr for CheckoutMode {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(CheckoutMode::Standard),
            "smart_router" | "smart-router" | "smartrouter" => Ok(CheckoutMode::SmartRouter),
            _ => Err(UnknownValue(s.to_string())),
        }
    }
}

impl fmt::Display for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CheckoutMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A merchant account (secrets excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub id: i64,
    pub email: String,
    pub package: Package,
    pub checkout_mode: CheckoutMode,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<String>,
    pub crypto_enabled: bool,
    pub disabled: bool,
    /// As stored, with a pending change if any; checked when a session is
    /// created, so a merchant who fixes it sees the effect at once.
    pub payout_wallets: PayoutWallets,
    pub webhook_url: Option<String>,
    /// Name, logo and accent colour on the hosted pages.
    pub branding: Branding,
    pub domains: Vec<String>,
}

/// Why a merchant cannot take payments yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutWalletProblem {
    Missing,
    Invalid,
}

impl Merchant {
    /// Whether `domain` is on this merchant's allowlist.
    pub fn allows(&self, domain: &ShopDomain) -> bool {
        self.domains.iter().any(|d| d == domain.as_str())
    }

    /// The payout wallet in force at `now_ms`, checked.
    pub fn payout_wallet(&self, now_ms: i64) -> Result<WalletAddress, PayoutWalletProblem> {
        match self
            .payout_wallets
            .in_force_at(now_ms)
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            None => Err(PayoutWalletProblem::Missing),
            Some(raw) => WalletAddress::parse(raw).map_err(|_| PayoutWalletProblem::Invalid),
        }
    }

    /// Smart Routing is in force for this merchant (given the global switch).
    pub fn smart_routing_effective(&self, enabled_global: bool) -> bool {
        enabled_global
            && self.package.allows_smart_routing()
            && self.checkout_mode == CheckoutMode::SmartRouter
    }
}

/// Parses an ISO 3166-1 alpha-2 country code (`nl` → `NL`).
pub fn parse_country(s: &str) -> Option<String> {
    let s = s.trim();
    (s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}

#[cfg(test)]
impl Merchant {
    /// A merchant of `shop.example` in the Netherlands with a valid payout
    /// wallet, for unit tests.
    pub(crate) fn for_tests(
        package: Package,
        checkout_mode: CheckoutMode,
        crypto_enabled: bool,
    ) -> Merchant {
        Merchant {
            id: 1,
            email: "m@shop.example".into(),
            package,
            checkout_mode,
            country: Some("NL".into()),
            crypto_enabled,
            disabled: false,
            payout_wallets: PayoutWallets::current_only(Some(
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".into(),
            )),
            webhook_url: None,
            branding: Branding::default(),
            domains: vec!["shop.example".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn merchant() -> Merchant {
        Merchant::for_tests(Package::Pro, CheckoutMode::SmartRouter, true)
    }

    #[test]
    fn only_allowlisted_domains_are_allowed() {
        let m = merchant();
        assert!(m.allows(&ShopDomain::parse("www.shop.example").unwrap()));
        assert!(!m.allows(&ShopDomain::parse("other.example").unwrap()));
    }

    #[test]
    fn a_missing_or_broken_payout_wallet_is_reported() {
        let mut m = merchant();
        assert!(m.payout_wallet(0).is_ok());
        m.payout_wallets = PayoutWallets::current_only(Some("  ".into()));
        assert_eq!(m.payout_wallet(0), Err(PayoutWalletProblem::Missing));
        m.payout_wallets =
            PayoutWallets::current_only(Some("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD".into()));
        assert_eq!(m.payout_wallet(0), Err(PayoutWalletProblem::Invalid));
    }

    #[test]
    fn smart_routing_needs_package_mode_and_the_global_switch() {
        let mut m = merchant();
        assert!(m.smart_routing_effective(true));
        assert!(!m.smart_routing_effective(false));
        m.package = Package::Free;
        assert!(!m.smart_routing_effective(true));
        m.package = Package::Unlimited;
        m.checkout_mode = CheckoutMode::Standard;
        assert!(!m.smart_routing_effective(true));
    }

    #[test]
    fn names_parse_back() {
        for p in [Package::Free, Package::Pro, Package::Unlimited] {
            assert_eq!(p.as_str().parse::<Package>().unwrap(), p);
        }
        for c in [CheckoutMode::Standard, CheckoutMode::SmartRouter] {
            assert_eq!(c.as_str().parse::<CheckoutMode>().unwrap(), c);
        }
        assert_eq!(parse_country("nl").as_deref(), Some("NL"));
        assert_eq!(parse_country("NLD"), None);
    }
}
