//! Provider slugs, the layer each belongs to, and how a merchant's routing
//! hint (`provider` / `method` / `payment_provider` / `payment_method`) reads.
//!
//! Pure names only: building a provider's URL lives in `providers/`.

use std::fmt;

use super::Method;

/// A payment provider the router can send a customer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// The sandbox on-ramp page (sandbox mode only).
    Sandbox,
    Moonpay,
    Transak,
    RampNetwork,
    Wert,
    Robinhood,
    Revolut,
    Ideal,
    BankTransfer,
    /// The reseller checkout (v3 with `partner_*` parameters), tried first
    /// for EPv2 while partner split is active.
    Epv2Partner,
    /// The EPv2 provider list: `/pay.php?session=N&provider=epv2`.
    Epv2,
    /// Crypto checkout (EPv3): `/crypto.php?session=N`.
    Crypto,
}

/// The document's provider layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Fiat on-ramp network (card, paypal, revolut, bank, ideal).
    Epv1,
    /// Provider-list flow, only for `method=other` / `provider=epv2`.
    Epv2,
    /// Crypto checkout.
    Epv3,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Epv1 => "epv1",
            Layer::Epv2 => "epv2",
            Layer::Epv3 => "epv3",
        }
    }
}

impl Provider {
    pub const ALL: [Provider; 12] = [
        Provider::Sandbox,
        Provider::Moonpay,
        Provider::Transak,
        Provider::RampNetwork,
        Provider::Wert,
        Provider::Robinhood,
        Provider::Revolut,
        Provider::Ideal,
        Provider::BankTransfer,
        Provider::Epv2Partner,
        Provider::Epv2,
        Provider::Crypto,
    ];

    /// The slug, as the document spells it (`selected_provider`).
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Sandbox => "sandbox",
            Provider::Moonpay => "moonpay",
            Provider::Transak => "transak",
            Provider::RampNetwork => "rampnetwork",
            Provider::Wert => "wert",
            Provider::Robinhood => "robinhood",
            Provider::Revolut => "revolut",
            Provider::Ideal => "ideal",
            Provider::BankTransfer => "banktransfer",
            Provider::Epv2Partner => "epv2_partner",
            Provider::Epv2 => "epv2",
            Provider::Crypto => "crypto",
        }
    }

    /// Providers whose widget takes the customer's e-mail up front (their
    /// KYC forms start from it); the others ask for it themselves or do not
    /// need it.
    pub fn wants_email(self) -> bool {
        match self {
            Provider::Moonpay
            | Provider::Transak
            | Provider::RampNetwork
            | Provider::Wert
            | Provider::BankTransfer => true,
            Provider::Sandbox
            | Provider::Robinhood
            | Provider::Revolut
            | Provider::Ideal
            | Provider::Epv2Partner
            | Provider::Epv2
            | Provider::Crypto => false,
        }
    }

    pub fn layer(self) -> Layer {
        match self {
            Provider::Sandbox
            | Provider::Moonpay
            | Provider::Transak
            | Provider::RampNetwork
            | Provider::Wert
            | Provider::Robinhood
            | Provider::Revolut
            | Provider::Ideal
            | Provider::BankTransfer => Layer::Epv1,
            Provider::Epv2Partner | Provider::Epv2 => Layer::Epv2,
            Provider::Crypto => Layer::Epv3,
        }
    }

    /// The method a direct slug stands for when its table lists it there.
    pub fn home_method(self) -> Option<Method> {
        match self {
            Provider::Sandbox
            | Provider::Moonpay
            | Provider::Transak
            | Provider::RampNetwork
            | Provider::Wert
            | Provider::Robinhood => Some(Method::Card),
            Provider::Revolut => Some(Method::Revolut),
            Provider::Ideal => Some(Method::Ideal),
            Provider::BankTransfer => Some(Method::Bank),
            Provider::Epv2Partner | Provider::Epv2 => Some(Method::Other),
            Provider::Crypto => None,
        }
    }

    /// A slug or a common spelling of it (configuration and hints).
    pub fn from_slug(s: &str) -> Option<Provider> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let found = match s.as_str() {
            "ramp" | "ramp_network" => Provider::RampNetwork,
            "bank_transfer" | "sepa" => Provider::BankTransfer,
            "robinhood_connect" => Provider::Robinhood,
            "partner" => Provider::Epv2Partner,
            other => return Provider::ALL.into_iter().find(|p| p.as_str() == other),
        };
        Some(found)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A routing hint as understood. The raw text is kept with the session
/// whatever it parses to; an unusable hint is ignored, never an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// A route family (`card`, `paypal`, …).
    Method(Method),
    /// A direct provider slug (`moonpay`, `epv2`, …).
    Provider(Provider),
    /// Crypto checkout (EPv3).
    Crypto,
    /// Not a method, a provider or crypto.
    Unknown,
}

impl Hint {
    /// Reads a hint. Names that are both a method and a slug (`revolut`,
    /// `ideal`) read as the method, whose table lists that provider first.
    pub fn parse(raw: &str) -> Hint {
        let s = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        if let Ok(method) = s.parse::<Method>() {
            return Hint::Method(method);
        }
        match s.as_str() {
            "crypto" | "usdc" | "epv3" => return Hint::Crypto,
            "credit_card" | "creditcard" | "debit_card" | "cards" => {
                return Hint::Method(Method::Card);
            }
            "pay_pal" => return Hint::Method(Method::Paypal),
            "revolut_pay" => return Hint::Method(Method::Revolut),
            "provider_list" => return Hint::Method(Method::Other),
            _ => {}
        }
        match Provider::from_slug(&s) {
            // Internal routes are not for merchants to pick.
            Some(Provider::Epv2Partner) | None => Hint::Unknown,
            Some(Provider::Crypto) => Hint::Crypto,
            Some(p) => Hint::Provider(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_slug_is_a_provider_hint_or_its_method() {
        for slug in [
            "wert",
            "moonpay",
            "transak",
            "rampnetwork",
            "robinhood",
            "banktransfer",
            "epv2",
        ] {
            assert!(
                matches!(Hint::parse(slug), Hint::Provider(p) if p.as_str() == slug),
                "{slug}"
            );
        }
        assert_eq!(Hint::parse("revolut"), Hint::Method(Method::Revolut));
        assert_eq!(Hint::parse("iDEAL"), Hint::Method(Method::Ideal));
    }

    #[test]
    fn method_aliases_and_odd_spellings_are_understood() {
        assert_eq!(Hint::parse(" Card "), Hint::Method(Method::Card));
        assert_eq!(Hint::parse("credit-card"), Hint::Method(Method::Card));
        assert_eq!(Hint::parse("other"), Hint::Method(Method::Other));
        assert_eq!(Hint::parse("Ramp"), Hint::Provider(Provider::RampNetwork));
        assert_eq!(Hint::parse("crypto"), Hint::Crypto);
        assert_eq!(Hint::parse("partner"), Hint::Unknown);
        assert_eq!(Hint::parse("bitcoin-atm"), Hint::Unknown);
    }

    #[test]
    fn slugs_parse_back() {
        for p in Provider::ALL {
            assert_eq!(Provider::from_slug(p.as_str()), Some(p));
        }
    }
}
