//! Receiver programs as child processes: start one on a free loopback port
//! (killed when dropped), wait until it listens, and read its request log.
//! Nothing here blocks the test thread: waits are `tokio::time::sleep`, and
//! file reads and builds run in `spawn_blocking`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::runtime::{Lang, node_modules, run};

/// Where the receiver programs live.
const RECEIVERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/receivers");
/// How long a paid event may take to reach a receiver.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a receiver may take to listen (Node and Python start in < 1 s).
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A free loopback port (bound, then released for the receiver to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One receiver program running as a child process; killed when dropped.
pub struct Receiver {
    pub lang: Lang,
    child: Child,
    port: u16,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Receiver {
    // Reaping after SIGKILL returns at once, so this does not stall the thread.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    /// Starts the `lang` receiver keyed by `secret` and waits until it listens.
    pub async fn start(lang: Lang, secret: &str) -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let go_binary = match lang {
            Lang::Go => Some(build_go_receiver(dir.path()).await),
            Lang::Php | Lang::Node | Lang::Python => None,
        };
        let log = dir.path().join("requests.jsonl");
        let mut why = String::new();
        // A port freed by `free_port` can be taken by someone else before the
        // receiver binds it: the receiver then exits, and we try another.
        for _ in 0..3 {
            let port = free_port();
            let mut cmd = match lang {
                Lang::Php => {
                    let mut c = Command::new("php");
                    c.arg("-S")
                        .arg(format!("127.0.0.1:{port}"))
                        .arg(format!("{RECEIVERS}/receiver.php"));
                    c
                }
                Lang::Node => {
                    let mut c = Command::new("node");
                    c.arg(format!("{RECEIVERS}/receiver.mjs"))
                        .env("NODE_PATH", node_modules());
                    c
                }
                Lang::Go => Command::new(go_binary.as_ref().unwrap()),
                Lang::Python => {
                    let mut c = Command::new("python3");
                    c.arg(format!("{RECEIVERS}/receiver.py"))
                        .env("PYTHONUNBUFFERED", "1");
                    c
                }
            };
            cmd.env("RECEIVER_PORT", port.to_string())
                .env("WEBHOOK_SECRET", secret)
                .env("RECEIVER_LOG", &log)
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(File::create(dir.path().join("stdout.txt")).unwrap())
                .stderr(File::create(dir.path().join("stderr.txt")).unwrap());
            let mut child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("starting the {} receiver: {e}", lang.name()));
            match wait_ready(lang, &mut child, port, dir.path()).await {
                Ok(()) => {
                    return Receiver {
                        lang,
                        child,
                        port,
                        log,
                        dir,
                    };
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    why = e;
                }
            }
        }
        panic!("the {} receiver did not start: {why}", lang.name());
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every complete line of the receiver's request log.
    pub async fn requests(&self) -> Vec<Value> {
        let log = self.log.clone();
        let text =
            actix_web::rt::task::spawn_blocking(move || std::fs::read(log).unwrap_or_default())
                .await
                .unwrap();
        let text = String::from_utf8_lossy(&text);
        text.split_inclusive('\n')
            .filter(|line| line.ends_with('\n') && !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!(
                        "{} receiver log line is not JSON ({e}): {line}",
                        self.lang.name()
                    )
                })
            })
            .collect()
    }

    /// What the receiver printed on stderr (for failure messages).
    async fn stderr(&self) -> String {
        let path = self.dir.path().join("stderr.txt");
        actix_web::rt::task::spawn_blocking(move || std::fs::read_to_string(path))
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// The first request to `path` carrying the `paid` event of `session_id`.
    pub async fn paid_delivery(&self, path: &str, session_id: i64) -> Delivery {
        let deadline = Instant::now() + DELIVERY_TIMEOUT;
        loop {
            let requests = self.requests().await;
            let found = requests.iter().cloned().map(Delivery).find(|d| {
                let body = d.body();
                d.0["path"] == json!(path)
                    && body["session_id"] == json!(session_id)
                    && body["status"] == json!("paid")
            });
            if let Some(delivery) = found {
                return delivery;
            }
            if Instant::now() > deadline {
                panic!(
                    "no paid event for session {session_id} reached the {} receiver's {path} \
                     within {DELIVERY_TIMEOUT:?}; it logged {requests:#?}; stderr: {}",
                    self.lang.name(),
                    self.stderr().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `go build`s the Go receiver into `dir` (so killing it kills the server
/// itself; `go run` would leave its child running).
async fn build_go_receiver(dir: &Path) -> PathBuf {
    let binary = dir.join("receiver-go");
    let source = format!("{RECEIVERS}/receiver.go");
    let out = run(
        "go",
        &["build", "-o", &binary.display().to_string(), &source],
        Some(dir),
    )
    .await
    .unwrap_or_else(|e| panic!("go build: {e}"));
    assert!(
        out.status.success(),
        "go build {source} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    binary
}

/// Waits until the receiver says it listens (and the port answers).
async fn wait_ready(lang: Lang, child: &mut Child, port: u16, dir: &Path) -> Result<(), String> {
    // PHP's built-in server announces itself on stderr; the others print READY.
    let (file, marker) = match lang {
        Lang::Php => ("stderr.txt", "started"),
        Lang::Node | Lang::Go | Lang::Python => ("stdout.txt", "READY"),
    };
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let (said, stderr) = {
            let (out, err) = (dir.join(file), dir.join("stderr.txt"));
            actix_web::rt::task::spawn_blocking(move || {
                (
                    std::fs::read_to_string(out).unwrap_or_default(),
                    std::fs::read_to_string(err).unwrap_or_default(),
                )
            })
            .await
            .unwrap()
        };
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited ({status}): {stderr}"));
        }
        if said.contains(marker)
            && tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "not listening on {port} after {READY_TIMEOUT:?}: {stderr}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One request as a receiver logged it.
#[derive(Debug, Clone)]
pub struct Delivery(pub Value);

impl Delivery {
    /// The raw body, exactly as received.
    pub fn raw(&self) -> &str {
        self.0["body"].as_str().unwrap_or_default()
    }

    pub fn body(&self) -> Value {
        serde_json::from_str(self.raw()).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> &str {
        self.0["headers"][name]
            .as_str()
            .unwrap_or_else(|| panic!("the delivery has no {name} header: {:#?}", self.0))
    }

    /// The delivery's own headers, to send a copy of it.
    pub fn signed_headers(&self) -> Vec<(&'static str, String)> {
        [
            "x-signature",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        ]
        .into_iter()
        .map(|name| (name, self.header(name).to_string()))
        .collect()
    }
}
