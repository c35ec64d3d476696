//! A scriptable in-process HTTP receiver for webhook tests: records every
//! request (headers, raw body, arrival time) and answers as told; it also
//! counts the most requests it was answering at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// How to answer the next requests: each entry is used once, then `default`.
#[derive(Debug, Clone)]
pub struct Script {
    pub next: VecDeque<(u16, Duration)>,
    pub default: (u16, Duration),
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub script: Arc<Mutex<Script>>,
    /// Requests being answered now, and the most ever at once.
    at_once: Arc<(AtomicUsize, AtomicUsize)>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Starts a receiver answering `200` unless scripted otherwise.
    pub async fn start() -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(Script {
            next: VecDeque::new(),
            default: (200, Duration::ZERO),
        }));
        let at_once: Arc<(AtomicUsize, AtomicUsize)> = Arc::default();
        let (r, s, n) = (received.clone(), script.clone(), at_once.clone());
        let server = HttpServer::new(move || {
            let (r, s, n) = (r.clone(), s.clone(), n.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (r, s, n) = (r.clone(), s.clone(), n.clone());
                async move {
                    let now = n.0.fetch_add(1, Ordering::SeqCst) + 1;
                    n.1.fetch_max(now, Ordering::SeqCst);
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
                        .collect();
                    r.lock().unwrap().push(Received {
                        headers,
                        body: body.to_vec(),
                    });
                    let (status, delay) = {
                        let mut script = s.lock().unwrap();
                        let default = script.default;
                        script.next.pop_front().unwrap_or(default)
                    };
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    n.0.fetch_sub(1, Ordering::SeqCst);
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .body("answer")
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://127.0.0.1:{}/hook", server.addrs()[0].port());
        let server = server.disable_signals().run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            url,
            received,
            script,
            at_once,
            handle,
        }
    }

    pub fn answer_next(&self, answers: &[(u16, Duration)]) {
        self.script
            .lock()
            .unwrap()
            .next
            .extend(answers.iter().copied());
    }

    pub fn answer_by_default(&self, status: u16, delay: Duration) {
        self.script.lock().unwrap().default = (status, delay);
    }

    /// The most requests this receiver was answering at one time.
    pub fn most_at_once(&self) -> usize {
        self.at_once.1.load(Ordering::SeqCst)
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        while self.count() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let all = self.all();
        assert!(all.len() >= n, "expected {n} deliveries, got {}", all.len());
        all
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}
