//! The checkout session as a typed value: what the merchant asked for
//! ([`NewSession`]), what the gateway stored ([`SessionRecord`]) and what is
//! still owed on it.
//!
//! Pure values: the store maps rows to and from them, actors and pages read
//! them. This module must not do I/O or decide transitions (that is
//! [`super::session::decide`]).

use super::email::Email;
use super::money::{Money, UsdcAmount};
use super::session::SessionStatus;
use super::session_source::SessionSource;
use super::shop_domain::ShopDomain;
use super::wallet::WalletAddress;

/// A session about to be created (id, index and address not yet assigned).
#[derive(Debug, Clone)]
pub struct NewSession {
    pub merchant_id: i64,
    pub order_id: Option<String>,
    pub amount: Money,
    pub expected: UsdcAmount,
    pub shop_domain: ShopDomain,
    pub customer_email: Option<Email>,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
    pub webhook_url: Option<String>,
    /// The `meta` object as the merchant sent it (JSON text).
    pub meta: Option<String>,
    pub routing_hint: Option<String>,
    /// What routing decided for the hint, stored with the session (both
    /// `None` without a hint).
    pub selected_provider: Option<String>,
    pub routing_reason: Option<String>,
    /// The door it was opened through.
    pub source: SessionSource,
    pub test: bool,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A stored session, as the rest of the gateway reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: i64,
    pub merchant_id: i64,
    pub hd_index: i64,
    pub deposit_address: WalletAddress,
    pub order_id: Option<String>,
    pub amount: Money,
    pub expected: UsdcAmount,
    pub received: UsdcAmount,
    pub status: SessionStatus,
    pub version: i64,
    pub event_count: i32,
    pub shop_domain: ShopDomain,
    pub customer_email: Option<Email>,
    pub return_url: Option<String>,
    pub cancel_url: Option<String>,
    pub webhook_url: Option<String>,
    pub meta: Option<String>,
    pub routing_hint: Option<String>,
    pub selected_provider: Option<String>,
    pub routing_reason: Option<String>,
    pub txid_in: Option<String>,
    pub txid_out: Option<String>,
    pub last_error: Option<String>,
    pub test: bool,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub paid_at_ms: Option<i64>,
    pub source: SessionSource,
}

impl SessionRecord {
    /// USDC still owed: what was expected less what counted so far (zero
    /// once paid in full or more).
    pub fn owed(&self) -> UsdcAmount {
        self.expected.saturating_sub(self.received)
    }

    /// Whether any counted money has arrived.
    pub fn has_received(&self) -> bool {
        self.received.units() > 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::domain::money::Currency;

    fn record(expected: u64, received: u64) -> SessionRecord {
        SessionRecord {
            id: 1,
            merchant_id: 1,
            hd_index: 0,
            deposit_address: WalletAddress::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
                .unwrap(),
            order_id: None,
            amount: Money::from_minor(100, Currency::parse("USD").unwrap()),
            expected: UsdcAmount::from_units(expected),
            received: UsdcAmount::from_units(received),
            status: SessionStatus::Created,
            version: 0,
            event_count: 0,
            shop_domain: ShopDomain::parse("shop.example").unwrap(),
            customer_email: None,
            return_url: None,
            cancel_url: None,
            webhook_url: None,
            meta: None,
            routing_hint: None,
            selected_provider: None,
            routing_reason: None,
            txid_in: None,
            txid_out: None,
            last_error: None,
            test: true,
            created_at_ms: 0,
            expires_at_ms: 0,
            paid_at_ms: None,
            source: SessionSource::Api,
        }
    }

    #[test]
    fn nothing_received_owes_everything() {
        assert_eq!(record(1_000_000, 0).owed().units(), 1_000_000);
    }

    #[test]
    fn a_partial_payment_owes_the_rest() {
        assert_eq!(record(1_000_000, 400_000).owed().units(), 600_000);
    }

    #[test]
    fn an_overpayment_owes_nothing() {
        assert_eq!(record(1_000_000, 1_500_000).owed().units(), 0);
    }
}
