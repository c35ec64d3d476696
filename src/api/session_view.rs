//! How a session is shown to its merchant (`session_status`, sandbox answers).

use serde_json::{Value, json};

use crate::clock::format_doc_time;
use crate::store::sessions::SessionRecord;

/// The hosted checkout URL of a session.
pub fn checkout_url(public_base: &str, session_id: i64) -> String {
    format!("{public_base}/pay.php?session={session_id}")
}

/// The document's `session` object, plus extra fields clients may ignore.
pub fn session_json(s: &SessionRecord, public_base: &str) -> Value {
    let paid = s.received.units() > 0;
    let meta = s
        .meta
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .unwrap_or(Value::Null);
    let remaining = s.expected.units().saturating_sub(s.received.units());
    json!({
        "id": s.id,
        "order_id": s.order_id,
        "status": s.status.as_str(),
        "amount": s.amount.to_string(),
        "currency": s.amount.currency().code(),
        "shop_domain": s.shop_domain,
        "created_at": format_doc_time(s.created_at_ms),
        "expires_at": format_doc_time(s.expires_at_ms),
        "payment_url": checkout_url(public_base, s.id),
        "txid": s.txid_out.as_ref().or(s.txid_in.as_ref()),
        "txid_in": s.txid_in,
        "txid_out": s.txid_out,
        "paid_value_coin": paid.then(|| s.received.to_string()),
        "paid_coin": paid.then_some("USDC"),
        "last_error": s.last_error,
        "polygon_address_in": s.deposit_address,
        "expected_value_coin": s.expected.to_string(),
        "remaining_value_coin": crate::domain::money::UsdcAmount::from_units(remaining).to_string(),
        "paid_at": s.paid_at_ms.map(format_doc_time),
        "email": s.customer_email,
        "routing_hint": s.routing_hint,
        "test": s.test,
        "meta": meta,
    })
}
