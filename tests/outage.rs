//! A database outage answers 503 with `Retry-After` quickly, and service
//! resumes by itself when the database returns. The outage is made by a TCP
//! proxy between the server and PostgreSQL that the test cuts and restores
//! (the machine's PostgreSQL is never stopped).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::helpers::{Backend, TestDb, order, spawn_on};

/// A TCP proxy that can be cut (dropping every connection) and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Proxy { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[actix_web::test]
async fn a_database_outage_answers_503_quickly_and_service_resumes() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let real = url::Url::parse(&db.url).unwrap();
    let target = format!(
        "{}:{}",
        real.host_str().unwrap(),
        real.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(target).await;
    let mut through = real.clone();
    through.set_port(Some(proxy.port)).unwrap();
    let proxied = through.to_string();
    let app = spawn_on(db, |s| s.database_url = Some(proxied)).await;
    assert_eq!(app.create_session(&order("BEFORE")).await.status, 200);

    proxy.cut();
    let started = Instant::now();
    let during = app.create_session(&order("DURING")).await;
    let took = started.elapsed();
    let status_during = app.status("order_id=BEFORE").await;
    let ready_during = app.get("/readyz").await;

    assert_eq!(during.status, 503, "{}", during.text);
    assert_eq!(during.error_code(), "service_unavailable");
    assert!(during.headers.contains_key("retry-after"));
    assert!(
        took < Duration::from_secs(10),
        "answered in {took:?}, not hung"
    );
    assert_eq!(status_during.status, 503);
    assert_eq!(ready_during.status, 503);

    proxy.restore();
    let mut recovered = false;
    for _ in 0..100 {
        if app.create_session(&order("AFTER")).await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "service resumes once the database is back");
    assert_eq!(app.status("order_id=BEFORE").await.status, 200);
    app.stop().await;
}
