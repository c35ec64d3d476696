//! Which payment options the checkout offers a customer: the methods the
//! router says are available for the merchant (the same policy `me.php` and
//! create use, so page and API never disagree), iDEAL only for customers
//! from NL, and crypto when the merchant has it enabled.

use super::i18n::Messages;
use crate::domain::merchant::Merchant;
use crate::domain::routing::Method;
use crate::domain::routing::policy::IDEAL_COUNTRY;
use crate::http::state::AppState;

/// A payment option link.
#[derive(Debug, Clone)]
pub struct MethodLink {
    pub slug: &'static str,
    pub label: &'static str,
    pub href: String,
}

/// The options for this merchant and customer, in the document's order.
pub async fn offered(
    state: &AppState,
    merchant: &Merchant,
    country: Option<&str>,
    session_id: i64,
    t: &'static Messages,
    lang_suffix: &str,
) -> Vec<MethodLink> {
    let caps = state.router.capabilities(merchant);
    caps.methods
        .iter()
        .filter(|m| m.available)
        .filter(|m| m.method != Method::Ideal || country == Some(IDEAL_COUNTRY))
        .map(|m| MethodLink {
            slug: m.method.as_str(),
            label: label(m.method, t),
            href: format!(
                "/pay.php?session={session_id}&method={}{lang_suffix}",
                m.method.as_str()
            ),
        })
        .collect()
}

/// The crypto checkout link, when the merchant has crypto enabled.
pub fn crypto(merchant: &Merchant, session_id: i64, lang_suffix: &str) -> Option<String> {
    merchant
        .crypto_enabled
        .then(|| format!("/crypto.php?session={session_id}{lang_suffix}"))
}

pub fn label(method: Method, t: &'static Messages) -> &'static str {
    match method {
        Method::Card => t.method_card,
        Method::Paypal => t.method_paypal,
        Method::Revolut => t.method_revolut,
        Method::Bank => t.method_bank,
        Method::Ideal => t.method_ideal,
        Method::Other => t.method_other,
    }
}
