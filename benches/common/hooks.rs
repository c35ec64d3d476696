//! What the webhook benchmarks share (`webhooks`, `cluster`): sessions
//! created and paid over HTTP, a receiver that answers 200 at once, and the
//! delivery log read back from the database. It measures nothing itself.

use std::time::{Duration, Instant};

/// The create body of the sessions whose payments are delivered.
const SESSION_BODY: &str =
    r#"{"domain":"shop.example","merchant_ref":"HOOK","amount":"10.00","currency":"USD"}"#;

/// Creates `n` sessions at `create_base` (64 at a time) and pays them at
/// `pay_base` (`concurrency` at a time); each paid session is one event.
pub async fn create_and_pay(
    create_base: &str,
    pay_base: &str,
    key: &str,
    n: usize,
    concurrency: usize,
) {
    let client = reqwest::Client::new();
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(64) {
        let created = futures_util::future::join_all(chunk.iter().map(|_| {
            client
                .post(format!("{create_base}/gateway/session.php"))
                .header("X-API-Key", key)
                .body(SESSION_BODY)
                .send()
        }))
        .await;
        for r in created {
            let v: serde_json::Value = r.unwrap().json().await.unwrap();
            ids.push(v["session_id"].as_i64().unwrap());
        }
    }
    for chunk in ids.chunks(concurrency) {
        futures_util::future::join_all(chunk.iter().map(|id| {
            client
                .post(format!("{pay_base}/sandbox/pay"))
                .json(&serde_json::json!({ "session_id": id }))
                .send()
        }))
        .await;
    }
}

/// A small store beside the server, to read the outbox and the delivery log.
pub async fn store(db_url: &str) -> kassa::store::Store {
    kassa::store::Store::connect(&kassa::store::DatabaseSettings {
        url: db_url.to_string(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(10),
        session_cache_ttl: Duration::ZERO,
        sqlite_cache_mb: kassa::store::DEFAULT_SQLITE_CACHE_MB,
        // Only counts are read here, never a secret.
        secrets_key: kassa::store::secrets_key::SecretsKeySource::SandboxGenerated(
            std::env::temp_dir().join("kassa-bench-secrets.key"),
        ),
    })
    .await
    .unwrap()
}

/// Waits (up to 5 minutes) until `n` events are delivered; how many times
/// it asked the database (each ask is one read-only transaction there).
pub async fn wait_delivered(store: &kassa::store::Store, n: usize) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut asked = 1;
    while store.count_webhooks("delivered").await.unwrap() < n as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        asked += 1;
    }
    asked
}

/// Deliveries/s of what the delivery log holds: the delivered events over
/// the time from the first receiver's 200 to the last.
pub async fn delivered_per_second(store: &kassa::store::Store) -> f64 {
    let done: Vec<i64> = store
        .delivery_timings()
        .await
        .unwrap()
        .iter()
        .map(|(_, d)| *d)
        .collect();
    let (first, last) = (
        done.iter().min().copied().unwrap_or(0),
        done.iter().max().copied().unwrap_or(1),
    );
    done.len() as f64 / ((last - first).max(1) as f64 / 1000.0)
}

/// A receiver that answers 200 at once (a well-behaved merchant endpoint),
/// on `port` when given. Prints `READY <addr>`.
pub fn serve_receiver(port: Option<&str>) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    actix_web::rt::System::new().block_on(async {
        let server = HttpServer::new(|| {
            App::new().default_service(web::to(|_body: web::Bytes| async {
                HttpResponse::Ok().body("ok")
            }))
        })
        .bind(format!("127.0.0.1:{}", port.unwrap_or("0")))
        .unwrap();
        println!("READY {}", server.addrs()[0]);
        server.run().await.unwrap();
    });
}
