//! Storefront benchmark: customers opening a payment link and buying from a
//! product page, `POST /l/{slug}` and `POST /p/{slug}` → 303 to the
//! checkout, each request opening a real session, driven over HTTP from this
//! process against Kassa in a child process at concurrency 1 and 64. Beside
//! them, in the same run, the baseline: a bare actix-web endpoint that reads
//! a form and answers 303. The link's page itself (`GET /l/{slug}`, which
//! opens nothing) is measured too. Only the ratios mean anything across
//! machines.
//!
//! Kassa runs as if behind a reverse proxy (`trusted_proxies` = loopback)
//! and every request names a different customer address in
//! `X-Forwarded-For`, so the per-address limit on opened sessions applies
//! as it does in production without throttling the load generator.
//!
//! After each run the sessions opened through the link are counted in the
//! database: every 303 must be one session, none lost, none doubled.
//!
//! Run: `cargo bench --bench storefront` (options after `--`:
//! `--seconds N`, `--db sqlite|postgres|both`; PostgreSQL needs
//! `KASSA_TEST_POSTGRES_URL`, a server where databases may be created).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::load::{Request, Stats, load, serve_baseline};
use common::{BenchDb, Server, bench_merchant, flag};

const LINK_SLUG: &str = "bench-link";
const PRODUCT_SLUG: &str = "bench-product";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve-baseline") => return serve_baseline(),
        Some("serve-storefront") => return serve(&args[2]),
        _ => {}
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seconds: u64 = flag(&args, "--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let db = flag(&args, "--db").unwrap_or_else(|| "both".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(Duration::from_secs(seconds), &db));
}

async fn run(duration: Duration, db: &str) {
    println!(
        "# Kassa storefront benchmark ({}s per measurement, load generator in this process)",
        duration.as_secs()
    );
    let mut rows = Vec::new();
    {
        let baseline = Server::start(&["serve-baseline"]);
        let url = format!("http://{}/form", baseline.addr);
        for c in [1, 64] {
            let r = load(
                std::slice::from_ref(&url),
                Request::Form("amount=".into()),
                None,
                c,
                duration,
            )
            .await;
            rows.push(("baseline bare actix-web form POST → 303".to_string(), c, r));
        }
    }
    for label in ["sqlite", "postgres"] {
        if db != label && db != "both" {
            continue;
        }
        let Some(database) = BenchDb::create(label).await else {
            println!("(postgres skipped: KASSA_TEST_POSTGRES_URL is not set)");
            continue;
        };
        let kassa = Server::start(&["serve-storefront", &database.url]);
        let link = format!("http://{}/l/{LINK_SLUG}", kassa.addr);
        let product = format!("http://{}/p/{PRODUCT_SLUG}", kassa.addr);
        let mut redirects = 0u64;
        for c in [1, 64] {
            let r = load(
                std::slice::from_ref(&link),
                Request::Form("amount=".into()),
                None,
                c,
                duration,
            )
            .await;
            redirects += r.answered_ok;
            rows.push((format!("{label}: POST /l/{{slug}} → 303"), c, r));
        }
        for c in [1, 64] {
            let r = load(
                std::slice::from_ref(&product),
                Request::Form(String::new()),
                None,
                c,
                duration,
            )
            .await;
            rows.push((format!("{label}: POST /p/{{slug}} → 303"), c, r));
        }
        for c in [1, 64] {
            let r = load(std::slice::from_ref(&link), Request::Get, None, c, duration).await;
            rows.push((format!("{label}: GET /l/{{slug}} (page)"), c, r));
        }
        let opened = link_sessions(&database.url).await;
        println!(
            "{label}: {redirects} link openings answered 303, {opened} link sessions in the database{}",
            if opened == redirects {
                " (equal)"
            } else {
                " (MISMATCH)"
            }
        );
        assert_eq!(opened, redirects, "every 303 is exactly one session");
    }
    report(&rows);
}

/// Sessions opened through the benchmark's link, counted in the database.
async fn link_sessions(url: &str) -> u64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM sessions WHERE source = 'link'".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    n as u64
}

fn report(rows: &[(String, usize, Stats)]) {
    let base = |c: usize| {
        rows.iter()
            .find(|(n, rc, _)| n.starts_with("baseline") && *rc == c)
            .map(|(_, _, s)| s.rps)
            .unwrap_or(1.0)
    };
    println!("\n| what | concurrency | requests/s | vs baseline | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|---|");
    for (name, c, s) in rows {
        println!(
            "| {name} | {c} | {:.0} | {:.0}% | {:.2} | {:.2} | {} |",
            s.rps,
            100.0 * s.rps / base(*c),
            s.p50_ms,
            s.p99_ms,
            s.errors
        );
    }
}

/// Kassa on `db` behind a pretend loopback proxy, with the benchmark
/// merchant, a fixed-amount payment link and a product. Prints
/// `READY <addr> <merchant id>`.
fn serve(db: &str) {
    use kassa::domain::money::{Currency, Money};
    use kassa::domain::payment_link::{LinkAmount, LinkDraft};
    use kassa::domain::product::ProductDraft;
    use kassa::domain::slug::Slug;

    let _ = rustls::crypto::ring::default_provider().install_default();
    kassa::telemetry::init("warn");
    actix_web::rt::System::new().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let raw = kassa::config::RawSettings {
            bind: "127.0.0.1:0".into(),
            data_dir: dir.path().display().to_string(),
            database_url: Some(db.to_string()),
            trusted_proxies: "127.0.0.1".into(),
            payout_poll_ms: 3_600_000,
            ..kassa::config::RawSettings::default()
        };
        let settings = kassa::config::Settings::check(raw).unwrap();
        let app = kassa::startup::Application::build(settings, Arc::new(kassa::clock::SystemClock))
            .await
            .unwrap();
        let key = kassa::domain::api_key::generate();
        let store = app.store();
        let id = store
            .create_merchant(bench_merchant(&key, None), 0)
            .await
            .unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let price =
            |s: &str| Money::parse_text(s, eur, rust_decimal::Decimal::from(100_000)).unwrap();
        let link = LinkDraft {
            title: "Workshop seat".into(),
            description: String::new(),
            amount: LinkAmount::Fixed(price("49.00")),
            max_uses: None,
            expires_at_ms: None,
            return_url: None,
            active: true,
        };
        store
            .insert_payment_link(id, &Slug::parse(LINK_SLUG).unwrap(), &link, 0)
            .await
            .unwrap();
        let product = ProductDraft {
            name: "Linen apron".into(),
            description: String::new(),
            price: price("35.00"),
            image_url: None,
            active: true,
        };
        store
            .insert_product(id, &Slug::parse(PRODUCT_SLUG).unwrap(), &product, 0)
            .await
            .unwrap();
        println!("READY {} {id}", app.address());
        app.run_until_stopped().await.unwrap();
    });
}
