//! The sessions export and the overview's paid volume: the CSV has its
//! header, quotes commas and quotes, defuses spreadsheet formulas, applies
//! the list's filters and streams past one keyset page; the chart's days
//! add up to the settled USDC of the sessions paid in its window.

use std::time::Duration;

use serde_json::json;

use super::session_pages::{new_session_later, signed_in};
use crate::helpers::{Backend, TestApp, WALLET, raw_sql, spawn_app};
use crate::on_both_backends;
use kassa::clock::Clock;
use kassa::domain::session::SessionStatus;

on_both_backends!(
    the_csv_has_its_header_quotes_cells_defuses_formulas_and_applies_filters,
    the_csv_streams_every_session_across_keyset_pages,
    the_chart_adds_up_to_the_settled_usdc_of_sessions_paid_in_its_window,
);

const HEADER: &str = "session_id,created_at,order_id,status,amount,currency,expected_usdc,received_usdc,paid_at,customer_email,provider,txid_in,txid_out,source";

fn rows(csv_text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect()
}

async fn the_csv_has_its_header_quotes_cells_defuses_formulas_and_applies_filters(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let formula = new_session_later(&app, "=HYPERLINK(\"http://evil.example\")").await;
    let quoted = new_session_later(&app, "comma, and \"quotes\"").await;
    let at = new_session_later(&app, "@SUM(1+1)").await;
    let minus = new_session_later(&app, "-5+3").await;
    let paid = app.sandbox_pay(json!({ "session_id": quoted })).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let mut browser = signed_in(&app).await;

    let all = browser.get("/dashboard/sessions.csv").await;
    assert_eq!(all.status, 200, "{}", all.text);
    let header = |name: &str| all.headers.get(name).unwrap().to_str().unwrap().to_string();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert!(header("content-disposition").starts_with("attachment"));
    assert_eq!(all.text.lines().next(), Some(HEADER));
    assert!(
        all.text.contains("\"comma, and \"\"quotes\"\"\""),
        "{}",
        all.text
    );
    let records = rows(&all.text);
    assert_eq!(records.len(), 4);
    let order_of = |id: i64| {
        let r = records.iter().find(|r| r[0] == id.to_string()).unwrap();
        r[2].to_string()
    };
    assert_eq!(order_of(formula), "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(order_of(quoted), "comma, and \"quotes\"");
    assert_eq!(order_of(at), "'@SUM(1+1)");
    assert_eq!(order_of(minus), "'-5+3");
    assert_eq!(records[0][0], minus.to_string(), "newest first");

    let only_paid = browser.get("/dashboard/sessions.csv?status=paid").await;
    let paid_rows = rows(&only_paid.text);
    assert_eq!(paid_rows.len(), 1, "{}", only_paid.text);
    let s = app.store.session(quoted).await.unwrap().unwrap();
    let r = &paid_rows[0];
    assert_eq!(&r[0], quoted.to_string().as_str());
    assert_eq!(&r[3], "paid");
    assert_eq!((&r[4], &r[5]), ("79.00", "EUR"));
    assert_eq!(&r[6], s.expected.to_string().as_str());
    assert_eq!(&r[7], s.received.to_string().as_str());
    assert_eq!(&r[9], "buyer@example.com");
    assert_eq!(&r[11], s.txid_in.unwrap().as_str());
    assert!(r[8].ends_with('Z'), "paid_at is RFC 3339: {}", &r[8]);

    let by_order = browser
        .get("/dashboard/sessions.csv?order_id=%40SUM(1%2B1)")
        .await;
    let found = rows(&by_order.text);
    assert_eq!(found.len(), 1, "{}", by_order.text);
    assert_eq!(&found[0][0], at.to_string().as_str());
    app.stop().await;
}

/// Inserts `n` expired sessions for the app's merchant behind its back,
/// one second apart, the newest `newest_ms`; returns their ids, newest first.
pub async fn insert_sessions(app: &TestApp, n: i64, newest_ms: i64) -> Vec<i64> {
    let m = app.merchant.id;
    let values: Vec<String> = (0..n)
        .map(|i| {
            let (id, at) = (900_000_000 + i, newest_ms - i * 1000);
            format!(
                "({id}, {m}, {hd}, '{WALLET}', 'BULK-{i}', 1000, 'EUR', 1080000, 0, 'expired', 1, 0, \
                 'shop.example', TRUE, {at}, {exp})",
                hd = 800_000_000 + i,
                exp = at + 900_000
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO sessions (id, merchant_id, hd_index, deposit_address, order_id, amount_minor, \
         currency, expected_usdc, received_usdc, status, version, event_count, shop_domain, test, \
         created_at, expires_at) VALUES {}",
        values.join(",")
    );
    raw_sql(&app.db.url, &sql).await;
    (0..n).map(|i| 900_000_000 + i).collect()
}

async fn the_csv_streams_every_session_across_keyset_pages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ids = insert_sessions(&app, 1234, app.clock.now_ms() - 60_000).await;
    let mut browser = signed_in(&app).await;

    let all = browser.get("/dashboard/sessions.csv").await;
    assert_eq!(all.status, 200);
    let got: Vec<i64> = rows(&all.text)
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    assert_eq!(
        got, ids,
        "every session once, newest first, over three pages"
    );
    assert_eq!(all.text.matches(HEADER).count(), 1, "one header");

    let day = kassa::clock::format_doc_time(app.clock.now_ms())[..10].to_string();
    let expired = browser
        .get(&format!(
            "/dashboard/sessions.csv?status=expired&from={day}&to={day}"
        ))
        .await;
    let n = rows(&expired.text).len();
    assert!(n > 0 && n <= ids.len(), "{n}");
    assert!(rows(&expired.text).iter().all(|r| &r[3] == "expired"));
    app.stop().await;
}

async fn the_chart_adds_up_to_the_settled_usdc_of_sessions_paid_in_its_window(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let long_ago = app.new_session("LONG-AGO").await;
    assert_eq!(
        app.sandbox_pay(json!({ "session_id": long_ago }))
            .await
            .status,
        200
    );
    app.clock.advance(Duration::from_secs(31 * 86_400));
    let exact = app.new_session("EXACT").await;
    let over = app.new_session("OVER").await;
    let under = app.new_session("UNDER").await;
    let open = app.new_session("OPEN").await;
    for body in [
        json!({ "session_id": exact }),
        json!({ "session_id": over, "simulate": "overpaid" }),
        json!({ "session_id": under, "simulate": "underpaid" }),
    ] {
        let answer = app.sandbox_pay(body).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let mut expected = 0u64;
    for id in [exact, over, under, open, long_ago] {
        let s = app.store.session(id).await.unwrap().unwrap();
        let in_window = s
            .paid_at_ms
            .is_some_and(|at| at > app.clock.now_ms() - 30 * 86_400_000);
        if s.status == SessionStatus::Paid && in_window {
            expected += s.received.units();
        }
    }
    let old = app.store.session(long_ago).await.unwrap().unwrap();
    assert!(
        old.received.units() > 0,
        "the old payment would change the sum"
    );
    let mut browser = signed_in(&app).await;

    let home = browser.get("/dashboard").await;
    assert_eq!(home.status, 200, "{}", home.text);
    let table = &home.text[home.text.find("id=\"volume-table\"").unwrap()..];
    let days: Vec<u64> = table
        .split("data-units=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(days.len(), 30);
    assert_eq!(days.iter().sum::<u64>(), expected);
    assert_eq!(*days.last().unwrap(), expected, "all paid today");
    assert!(
        expected > old.received.units(),
        "exact and overpaid both count"
    );
    assert!(
        home.text
            .contains(&format!("id=\"volume-total\" data-units=\"{expected}\"")),
        "{}",
        home.text
    );
    assert!(home.text.contains("<title id=\"chart-title\">"));
    assert!(home.text.contains("role=\"img\""));
    app.stop().await;
}
