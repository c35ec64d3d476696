//! Crafted copies of a captured delivery, sent straight to a receiver: an
//! untouched copy, a changed body, a changed id, a correctly re-signed but
//! stale timestamp, an exact replay. Signatures made here are computed
//! independently of Kassa's own signing code.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::process::{Delivery, Receiver};
use crate::helpers::TestApp;

pub fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// POSTs `body` with `headers` to `url`; the answer's status.
pub async fn post(app: &TestApp, url: &str, body: &str, headers: &[(&str, String)]) -> u16 {
    let mut request = app
        .client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status().as_u16()
}

/// The body with one character changed (`"paid"` becomes `"Paid"`).
fn tampered(raw: &str) -> String {
    assert!(raw.contains(r#""status":"paid""#), "{raw}");
    raw.replacen(r#""status":"paid""#, r#""status":"Paid""#, 1)
}

/// Standard Webhooks `v1,` signature, computed here independently of Kassa.
fn standard_sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The document's route accepts an untouched copy and refuses a one-character change.
pub async fn assert_document_route_refuses_a_tampered_body(
    app: &TestApp,
    receiver: &Receiver,
    delivery: &Delivery,
) {
    let url = receiver.url("/webhook");
    let headers = delivery.signed_headers();
    let name = receiver.lang.name();
    assert_eq!(
        post(app, &url, delivery.raw(), &headers).await,
        200,
        "{name}: an untouched copy of the delivery is accepted"
    );
    assert_eq!(
        post(app, &url, &tampered(delivery.raw()), &headers).await,
        401,
        "{name}: a body with one character changed is refused"
    );
}

/// `/standard` refuses a changed body or id, a stale timestamp and a replay.
pub async fn assert_standard_route_refuses_forgeries(
    app: &TestApp,
    receiver: &Receiver,
    delivery: &Delivery,
    secret: &str,
) {
    let url = receiver.url("/standard");
    let name = receiver.lang.name();
    let raw = delivery.raw();
    let id = delivery.header("webhook-id").to_string();
    let with = |changes: &[(&'static str, String)]| {
        let mut headers = delivery.signed_headers();
        for (header, value) in changes {
            headers.retain(|(h, _)| h != header);
            headers.push((*header, value.clone()));
        }
        headers
    };

    let tampered_body = post(app, &url, &tampered(raw), &with(&[])).await;
    assert_eq!(tampered_body, 401, "{name}: a changed body is refused");

    let other_id = with(&[("webhook-id", format!("{id}x"))]);
    assert_eq!(
        post(app, &url, raw, &other_id).await,
        401,
        "{name}: a changed webhook-id is refused"
    );

    let now = unix_now();
    let fresh_id = format!("{id}_resigned");
    let resigned_now = with(&[
        ("webhook-id", fresh_id.clone()),
        ("webhook-timestamp", now.to_string()),
        (
            "webhook-signature",
            standard_sign(secret, &fresh_id, now, raw),
        ),
    ]);
    assert_eq!(
        post(app, &url, raw, &resigned_now).await,
        200,
        "{name}: control: the test's own signing is valid when the time is now"
    );
    let stale_id = format!("{id}_stale");
    let stale = now - 301;
    let resigned_stale = with(&[
        ("webhook-id", stale_id.clone()),
        ("webhook-timestamp", stale.to_string()),
        (
            "webhook-signature",
            standard_sign(secret, &stale_id, stale, raw),
        ),
    ]);
    assert_eq!(
        post(app, &url, raw, &resigned_stale).await,
        401,
        "{name}: a correctly signed webhook-timestamp 301 s old is refused"
    );

    assert_eq!(
        post(app, &url, raw, &delivery.signed_headers()).await,
        409,
        "{name}: an exact replay of the verified delivery is refused"
    );
}
