//! How a session is shown to its merchant (`session_status`, sandbox answers):
//! the document's `session` object, then extra fields clients may ignore.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::clock::format_doc_time;
use crate::domain::checkout_session::SessionRecord;
use crate::domain::confirmation::Progress;
use crate::http::urls::checkout_url;

/// A checkout session as its merchant sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    /// Session id (a JSON integer, below 2^53).
    #[schema(example = 4815162342108_i64)]
    pub id: i64,
    /// The merchant's order reference (`merchant_ref`/`order_id` at creation).
    #[schema(example = "ORDER_123")]
    pub order_id: Option<String>,
    /// `created`, `pending`, `paid`, `underpaid`, `expired` or `cancelled` (by the
    /// customer on the checkout page). Only `paid` is success.
    #[schema(example = "paid")]
    pub status: &'static str,
    /// Amount with the currency's decimals, as a string.
    #[schema(example = "79.00")]
    pub amount: String,
    #[schema(example = "EUR")]
    pub currency: &'static str,
    #[schema(example = "yourshop.com")]
    pub shop_domain: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    #[schema(example = "2026-02-25 12:00:00")]
    pub created_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    #[schema(example = "2026-02-25 12:15:00")]
    pub expires_at: String,
    /// The hosted checkout page.
    pub payment_url: String,
    /// The payout transaction once known, else the deposit transaction; null until paid.
    pub txid: Option<String>,
    /// The deposit transaction on Polygon.
    pub txid_in: Option<String>,
    /// The payout transaction to the merchant's wallet.
    pub txid_out: Option<String>,
    /// USDC received, null until a deposit counts.
    #[schema(example = "85.32")]
    pub paid_value_coin: Option<String>,
    /// `USDC` once paid.
    #[schema(example = "USDC")]
    pub paid_coin: Option<&'static str>,
    pub last_error: Option<String>,
    /// The session's own Polygon deposit address.
    #[schema(example = "0xB4d4EF55C6439dbcfB982E75d0FC9B2c27f26CDF")]
    pub polygon_address_in: String,
    /// USDC owed, fixed at creation.
    #[schema(example = "85.32")]
    pub expected_value_coin: String,
    /// USDC still owed (an underpaid session shows the rest).
    #[schema(example = "0.00")]
    pub remaining_value_coin: String,
    pub paid_at: Option<String>,
    pub email: Option<String>,
    /// The normalised routing hint sent at creation.
    pub routing_hint: Option<String>,
    /// The provider Smart Routing chose for the hint, if any.
    pub selected_provider: Option<String>,
    /// Why routing chose (or did not choose) a provider for the hint.
    pub routing_reason: Option<String>,
    /// True for sessions created in sandbox mode.
    pub test: bool,
    /// Where the session was opened: `api`, `link` (a payment link) or
    /// `product` (a product page).
    #[schema(example = "api")]
    pub source: &'static str,
    /// The payment link's or product's id; null for `api`.
    pub source_id: Option<i64>,
    /// While a seen payment waits to count: its confirmations so far …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmations: Option<u64>,
    /// … of those required ("confirming (k of N)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_confirmations: Option<u64>,
    /// The `meta` object as sent at creation.
    #[schema(value_type = Option<Object>)]
    pub meta: Value,
}

impl SessionView {
    /// The view with "confirming (k of N)" where a payment waits.
    pub fn confirming(mut self, progress: Option<Progress>) -> SessionView {
        self.confirmations = progress.map(|p| p.confirmations);
        self.required_confirmations = progress.map(|p| p.required);
        self
    }

    pub fn new(s: &SessionRecord, public_base: &str) -> SessionView {
        let paid = s.has_received();
        SessionView {
            id: s.id,
            order_id: s.order_id.clone(),
            status: s.status.as_str(),
            amount: s.amount.to_string(),
            currency: s.amount.currency().code(),
            shop_domain: s.shop_domain.as_str().to_string(),
            created_at: format_doc_time(s.created_at_ms),
            expires_at: format_doc_time(s.expires_at_ms),
            payment_url: checkout_url(public_base, s.id),
            txid: s.txid_out.clone().or_else(|| s.txid_in.clone()),
            txid_in: s.txid_in.clone(),
            txid_out: s.txid_out.clone(),
            paid_value_coin: paid.then(|| s.received.to_string()),
            paid_coin: paid.then_some("USDC"),
            last_error: s.last_error.clone(),
            polygon_address_in: s.deposit_address.checksummed(),
            expected_value_coin: s.expected.to_string(),
            remaining_value_coin: s.owed().to_string(),
            paid_at: s.paid_at_ms.map(format_doc_time),
            email: s.customer_email.as_ref().map(|e| e.as_str().to_string()),
            routing_hint: s.routing_hint.clone(),
            selected_provider: s.selected_provider.clone(),
            routing_reason: s.routing_reason.clone(),
            test: s.test,
            source: s.source.as_str(),
            source_id: s.source.id(),
            confirmations: None,
            required_confirmations: None,
            meta: s
                .meta
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or(Value::Null),
        }
    }
}
