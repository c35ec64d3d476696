//! Graceful shutdown: SIGTERM under a load of creates finishes the requests
//! in progress (each create answers only after its commit), stops taking new
//! ones, and exits 0 within a bound; after a restart on the same folder
//! every acknowledged session is there. A webhook delivery cut short by the
//! shutdown stays pending and is delivered after the restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use tokio::sync::Mutex;

use crate::helpers::{Backend, TestDb, TestMerchant};
use crate::single_node::{Node, integrity_check, merchant_on, sqlite_with_merchant};

/// How long SIGTERM may take to end the process (the server's own shutdown
/// timeout is 5 s; the rest is slack for a loaded 2-core machine).
const EXIT_WITHIN: Duration = Duration::from_secs(20);

crate::on_both_backends!(
    sigterm_under_load_answers_or_refuses_each_create_and_loses_no_acknowledged_one
);

async fn sigterm_under_load_answers_or_refuses_each_create_and_loses_no_acknowledged_one(
    backend: Backend,
) {
    // Arrange: a server under 16 concurrent loops of creates.
    crate::single_node::install_crypto();
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let merchant = merchant_on(&db.url).await;
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(&db.url, data.path(), data.path()).await;
    let node_ref = Arc::new(node.base.clone());
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let refused = Arc::new(AtomicU64::new(0));
    let shed = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (base, merchant, client) = (node_ref.clone(), merchant.clone(), client.clone());
            let (acked, refused, next) = (acked.clone(), refused.clone(), next.clone());
            let shed = shed.clone();
            actix_web::rt::spawn(async move {
                // Each loop stops at its first create that gets no answer.
                loop {
                    let reference = format!("term-{}", next.fetch_add(1, Ordering::SeqCst));
                    let Some((status, text)) = create(&client, &base, &merchant, &reference).await
                    else {
                        refused.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    // Shed or short of a database connection on a loaded
                    // machine: refused with an answer, nothing acknowledged.
                    if status == 503 && text.contains("service_unavailable") {
                        shed.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    assert_eq!(status, 200, "an answer during shutdown: {text}");
                    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let id = body["session_id"].as_i64().unwrap();
                    acked.lock().await.push((id, reference));
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().await.len() < 100 {
        assert!(Instant::now() < deadline, "the load never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Act: SIGTERM in the middle of the load.
    node.terminate();
    let terminated = Instant::now();
    let status = node.exited_within(EXIT_WITHIN).await;
    let exit_took = terminated.elapsed();
    for task in tasks {
        task.await.unwrap();
    }

    // Assert: a clean exit in time, nothing new accepted after it, and after
    // a restart every acknowledged create is there.
    let status = status.unwrap_or_else(|| panic!("still running {EXIT_WITHIN:?} after SIGTERM"));
    assert!(status.success(), "exit {status}:\n{}", node.log_text());
    assert!(exit_took < EXIT_WITHIN, "took {exit_took:?}");
    assert_eq!(refused.load(Ordering::SeqCst), 16);
    let acked = acked.lock().await.clone();
    assert!(acked.len() >= 100);
    println!(
        "{backend:?}: exited {exit_took:?} after SIGTERM; {} creates acknowledged, {} answered 503",
        acked.len(),
        shed.load(Ordering::SeqCst)
    );
    if backend == Backend::Sqlite {
        assert_eq!(integrity_check(&db.url).await, ["ok"]);
    }
    let again = Node::start(&db.url, data.path(), data.path()).await;
    again.assert_sessions_exist(&merchant, &acked).await;
}

async fn create(
    client: &reqwest::Client,
    base: &str,
    merchant: &TestMerchant,
    reference: &str,
) -> Option<(u16, String)> {
    let answer = client
        .post(format!("{base}/gateway/session.php"))
        .bearer_auth(&merchant.api_key)
        .json(&crate::helpers::order(reference))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .ok()?;
    let status = answer.status().as_u16();
    Some((status, answer.text().await.ok()?))
}

/// A webhook receiver that holds every request for `hold`, counting the
/// event ids it received in full.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    arrived: Arc<AtomicU64>,
    server: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start(hold: Duration) -> Receiver {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let arrived = Arc::new(AtomicU64::new(0));
        let (seen2, arrived2) = (seen.clone(), arrived.clone());
        let server = HttpServer::new(move || {
            let (seen, arrived) = (seen2.clone(), arrived2.clone());
            App::new().default_service(web::to(move |body: web::Bytes| {
                let (seen, arrived) = (seen.clone(), arrived.clone());
                async move {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(hold).await;
                    let event: serde_json::Value =
                        serde_json::from_slice(&body).unwrap_or_default();
                    seen.lock()
                        .await
                        .push(event["event_id"].as_str().unwrap_or_default().to_string());
                    HttpResponse::Ok().finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            seen,
            arrived,
            server: handle,
        }
    }
}

#[actix_rt::test]
async fn a_webhook_delivery_cut_by_sigterm_is_sent_again_after_the_restart() {
    // Arrange: the merchant's receiver holds each delivery for a minute.
    let (db, merchant) = sqlite_with_merchant().await;
    let slow = Receiver::start(Duration::from_secs(60)).await;
    point_at(&db.url, &merchant, &slow.url).await;
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start_allowing_private_webhooks(&db.url, data.path()).await;
    let id = paid_session(&node, &merchant).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while slow.arrived.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the webhook was never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Act: SIGTERM while the delivery is in progress; restart with a
    // receiver that answers at once.
    node.terminate();
    let status = node.exited_within(EXIT_WITHIN).await.expect("exits");
    assert!(status.success(), "{}", node.log_text());
    let fast = Receiver::start(Duration::ZERO).await;
    point_at(&db.url, &merchant, &fast.url).await;
    let _again = Node::start_allowing_private_webhooks(&db.url, data.path()).await;

    // Assert: the cut delivery is sent again and completes.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fast.seen.lock().await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "session {id}'s webhook was never sent again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(slow.seen.lock().await.is_empty());
    slow.server.stop(false).await;
    fast.server.stop(false).await;
}

/// Points the merchant's webhooks at `url`, behind the servers' backs.
async fn point_at(db_url: &str, merchant: &TestMerchant, url: &str) {
    crate::helpers::raw_sql(
        db_url,
        &format!(
            "UPDATE merchants SET webhook_url = '{url}' WHERE id = {}",
            merchant.id
        ),
    )
    .await;
}

/// A session paid through the sandbox (its `paid` webhook goes out).
async fn paid_session(node: &Node, merchant: &TestMerchant) -> i64 {
    let answer = node.try_create(merchant, "hooked").await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    let id = answer.json()["session_id"].as_i64().unwrap();
    let paid = reqwest::Client::new()
        .post(node.url("/sandbox/pay"))
        .json(&serde_json::json!({ "session_id": id, "simulate": "paid" }))
        .send()
        .await
        .unwrap();
    assert!(
        paid.status().is_success(),
        "{}",
        paid.text().await.unwrap_or_default()
    );
    id
}
