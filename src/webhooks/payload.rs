//! The `payment.session` event body, built from a committed session record,
//! and the merchant-level bodies (a test event, a payout wallet change).
//!
//! The document's fields come first and keep their names and types
//! (`session_id` an integer, `amount` a string); `sent_at` is added by the
//! sender at delivery time, so the stored payload omits it.

use serde_json::{Map, Value, json};

use crate::clock::format_doc_time;
use crate::domain::checkout_session::SessionRecord;
use crate::domain::session::EventKind;

/// The stable id of a session's n-th event (the same across retries).
pub fn event_id(session_id: i64, sequence: i32) -> String {
    format!("evt_{session_id}_{sequence}")
}

/// The event body (without `sent_at`) for `kind` on `session`.
pub fn build(session: &SessionRecord, kind: EventKind, sequence: i32) -> Value {
    let paid = session.has_received();
    let mut body = Map::new();
    body.insert("event".into(), json!("payment.session"));
    body.insert("event_id".into(), json!(event_id(session.id, sequence)));
    body.insert("sequence".into(), json!(sequence));
    body.insert("session_id".into(), json!(session.id));
    body.insert("merchant_id".into(), json!(session.merchant_id));
    body.insert("order_id".into(), json!(session.order_id));
    body.insert("status".into(), json!(kind.as_str()));
    body.insert("session_status".into(), json!(session.status.as_str()));
    body.insert("amount".into(), json!(session.amount.to_string()));
    body.insert("currency".into(), json!(session.amount.currency().code()));
    body.insert("shop_domain".into(), json!(session.shop_domain.as_str()));
    body.insert(
        "email".into(),
        json!(session.customer_email.as_ref().map(|e| e.as_str())),
    );
    body.insert(
        "txid".into(),
        json!(session.txid_out.as_ref().or(session.txid_in.as_ref())),
    );
    body.insert("txid_in".into(), json!(session.txid_in));
    body.insert("txid_out".into(), json!(session.txid_out));
    body.insert(
        "paid_value_coin".into(),
        json!(paid.then(|| session.received.to_string())),
    );
    body.insert("paid_coin".into(), json!(paid.then_some("USDC")));
    body.insert(
        "expected_value_coin".into(),
        json!(session.expected.to_string()),
    );
    body.insert(
        "polygon_address_in".into(),
        json!(session.deposit_address.checksummed()),
    );
    body.insert("provider".into(), json!(session.selected_provider));
    body.insert("test".into(), json!(session.test));
    body.insert(
        "created_at".into(),
        json!(format_doc_time(session.created_at_ms)),
    );
    body.insert(
        "expires_at".into(),
        json!(format_doc_time(session.expires_at_ms)),
    );
    body.insert("source".into(), json!(session.source.as_str()));
    body.insert("source_id".into(), json!(session.source.id()));
    let meta = session
        .meta
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .unwrap_or(Value::Null);
    body.insert("meta".into(), meta);
    Value::Object(body)
}

/// The body of a merchant-triggered test event, shaped like the live
/// gateway's dashboard test: session 0, amount "0.00", status `test`.
pub fn build_test(merchant_id: i64, event_id: &str, now_ms: i64) -> Value {
    let suffix = event_id.rsplit('_').next().unwrap_or("0");
    let mut body = Map::new();
    body.insert("event".into(), json!("payment.session"));
    body.insert("event_id".into(), json!(event_id));
    body.insert("sequence".into(), json!(0));
    body.insert("session_id".into(), json!(0));
    body.insert("merchant_id".into(), json!(merchant_id));
    body.insert("order_id".into(), json!(format!("TEST-WEBHOOK-{suffix}")));
    body.insert("status".into(), json!("test"));
    body.insert("amount".into(), json!("0.00"));
    body.insert("currency".into(), json!("EUR"));
    body.insert("shop_domain".into(), Value::Null);
    body.insert("email".into(), Value::Null);
    body.insert("txid".into(), Value::Null);
    body.insert("txid_in".into(), Value::Null);
    body.insert("txid_out".into(), Value::Null);
    body.insert("paid_value_coin".into(), Value::Null);
    body.insert("paid_coin".into(), Value::Null);
    body.insert("polygon_address_in".into(), Value::Null);
    body.insert("provider".into(), Value::Null);
    body.insert("test".into(), json!(true));
    body.insert("created_at".into(), json!(format_doc_time(now_ms)));
    body.insert("expires_at".into(), json!(format_doc_time(now_ms)));
    body.insert("meta".into(), Value::Null);
    Value::Object(body)
}

/// A payout wallet change as its event tells it.
#[derive(Debug, Clone)]
pub struct WalletChangeEvent<'a> {
    pub merchant_id: i64,
    pub event_id: &'a str,
    /// `payout_wallet_changed` or `payout_wallet_change_cancelled`.
    pub status: &'a str,
    /// In force before the change (and still, when it was cancelled).
    pub old_wallet: Option<&'a str>,
    /// Asked for (the cancelled one, when it was cancelled).
    pub new_wallet: &'a str,
    /// When the new wallet takes (or would have taken) effect.
    pub effective_at_ms: i64,
    pub test: bool,
    pub now_ms: i64,
}

/// The body of a merchant-level payout wallet event (session 0, no order):
/// the merchant learns of a change while the cool-off still lets it cancel.
pub fn build_wallet_change(e: &WalletChangeEvent<'_>) -> Value {
    let mut body = Map::new();
    body.insert("event".into(), json!("merchant.payout_wallet"));
    body.insert("event_id".into(), json!(e.event_id));
    body.insert("sequence".into(), json!(0));
    body.insert("session_id".into(), json!(0));
    body.insert("merchant_id".into(), json!(e.merchant_id));
    body.insert("status".into(), json!(e.status));
    body.insert("old_wallet".into(), json!(e.old_wallet));
    body.insert("new_wallet".into(), json!(e.new_wallet));
    body.insert(
        "effective_at".into(),
        json!(format_doc_time(e.effective_at_ms)),
    );
    body.insert("immediate".into(), json!(e.effective_at_ms <= e.now_ms));
    body.insert("test".into(), json!(e.test));
    body.insert("created_at".into(), json!(format_doc_time(e.now_ms)));
    Value::Object(body)
}
