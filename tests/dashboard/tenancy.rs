//! Tenancy: every merchant-scoped read and write of the dashboard and the
//! API, tried by another merchant with the owner's ids, answers exactly what
//! a missing object answers. JSON answers are compared byte for byte; HTML
//! answers once the per-response nonce and CSRF token are blanked out (the
//! only parts that differ between two answers for the same missing object).

use serde_json::json;

use super::browser::Browser;
use super::links::link_and_product;
use crate::helpers::{Answer, Backend, next_merchant_email, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    another_merchants_objects_answer_exactly_like_missing_ones_in_the_dashboard,
    another_merchants_sessions_answer_exactly_like_missing_ones_in_the_api,
);

/// A paid session, a link, a product and a webhook event, all owned by the
/// app's merchant; then the same requests, by another merchant, for those
/// ids and for ids that exist nowhere.
async fn another_merchants_objects_answer_exactly_like_missing_ones_in_the_dashboard(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let session = app.new_session("TENANT-A").await;
    let paid = app.sandbox_pay(json!({ "session_id": session })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let event = app.store.webhooks_of_session(session).await.unwrap()[0]
        .0
        .event_id
        .clone();

    let mut owner = Browser::new(&app);
    owner.sign_up(&next_merchant_email()).await;
    let (link_id, product_id) = link_and_product(&mut owner, "Owned link", "Owned product").await;
    // The session and its event belong to the app's merchant, the link and
    // the product to `owner`: the intruder owns none of them.
    let mut intruder = Browser::new(&app);
    intruder.sign_up(&next_merchant_email()).await;
    intruder.get("/dashboard").await;

    let missing = 999_999_999_i64;
    let reads = [
        "/dashboard/sessions/{}",
        "/dashboard/links/{}",
        "/dashboard/products/{}",
    ];
    let owned = [session, link_id, product_id];
    for (template, id) in reads.iter().zip(owned) {
        let foreign = intruder.get(&template.replace("{}", &id.to_string())).await;
        let absent = intruder
            .get(&template.replace("{}", &missing.to_string()))
            .await;
        same_answer(&foreign, &absent, template);
        assert_eq!(foreign.status, 404, "{template}: {}", foreign.text);
        assert!(!foreign.text.contains("TENANT-A") && !foreign.text.contains("Owned"));
    }

    let writes: [Write; 3] = [
        (
            format!("/dashboard/sessions/{session}/resend"),
            format!("/dashboard/sessions/{missing}/resend"),
            vec![("event", event.as_str())],
        ),
        (
            format!("/dashboard/links/{link_id}"),
            format!("/dashboard/links/{missing}"),
            vec![("action", "disable")],
        ),
        (
            format!("/dashboard/products/{product_id}"),
            format!("/dashboard/products/{missing}"),
            vec![("action", "disable")],
        ),
    ];
    for (foreign_path, missing_path, fields) in &writes {
        intruder.get("/dashboard").await;
        let foreign = intruder.post(foreign_path, fields).await;
        intruder.get("/dashboard").await;
        let absent = intruder.post(missing_path, fields).await;
        same_answer(&foreign, &absent, foreign_path);
        assert_eq!(foreign.status, 404, "{foreign_path}: {}", foreign.text);
    }
    // Resending another merchant's event from the intruder's own webhooks
    // page finds nothing either, exactly like an event id that never was.
    intruder.get("/dashboard/webhooks").await;
    let foreign = intruder
        .post("/dashboard/webhooks/resend", &[("event", event.as_str())])
        .await;
    intruder.get("/dashboard/webhooks").await;
    let absent = intruder
        .post(
            "/dashboard/webhooks/resend",
            &[("event", "evt_999999999_1")],
        )
        .await;
    same_answer(&foreign, &absent, "/dashboard/webhooks/resend");

    // Nothing the intruder did reached the owners' objects.
    let mine = owner.get(&format!("/dashboard/links/{link_id}")).await;
    assert!(
        mine.text.contains("Disable link"),
        "the link is still active"
    );
    app.stop().await;
}

/// The status lookup by each of its three keys, with another merchant's key.
async fn another_merchants_sessions_answer_exactly_like_missing_ones_in_the_api(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.new_session("TENANT-API").await;
    let other =
        crate::helpers::create_merchant(&app.store, crate::helpers::MerchantSpec::default()).await;
    for (foreign, absent) in [
        (
            format!("session_id={id}"),
            "session_id=999999999".to_string(),
        ),
        (
            "order_id=TENANT-API".to_string(),
            "order_id=NO-SUCH-ORDER".to_string(),
        ),
        (
            format!("number=session_{id}"),
            "number=session_999999999".to_string(),
        ),
    ] {
        let f = app.status_as(&other.api_key, &foreign).await;
        let a = app.status_as(&other.api_key, &absent).await;
        assert_eq!(f.status, 404, "{foreign}: {}", f.text);
        assert_eq!(
            f.text, a.text,
            "{foreign}: byte-identical to a missing session"
        );
        // And the owner does see it: the ids were real.
        let own = app.status(&foreign).await;
        assert_eq!(own.status, 200, "{foreign}: {}", own.text);
    }
    app.stop().await;
}

/// A form post tried on another merchant's object and on a missing one:
/// the two paths and the fields.
type Write<'a> = (String, String, Vec<(&'a str, &'a str)>);

/// Two answers are the same but for the per-response nonce and CSRF token.
fn same_answer(foreign: &Answer, absent: &Answer, what: &str) {
    assert_eq!(foreign.status, absent.status, "{what}: {}", foreign.text);
    assert_eq!(
        blank_tokens(&foreign.text),
        blank_tokens(&absent.text),
        "{what}: another merchant's object answers like a missing one"
    );
}

/// Blanks the values of `nonce="…"` attributes and of the hidden `csrf`
/// input, which are new in every response.
fn blank_tokens(html: &str) -> String {
    let mut out = html.to_string();
    for marker in ["nonce=\"", "name=\"csrf\" value=\""] {
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(marker) {
            let start = at + marker.len();
            result.push_str(&rest[..start]);
            let end = rest[start..].find('"').map_or(rest.len(), |e| start + e);
            result.push('…');
            rest = &rest[end..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}
