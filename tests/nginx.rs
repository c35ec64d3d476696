//! nginx in front of several `kassa serve` nodes, as a child process of the
//! test on a free unprivileged port. Its configuration is the README's
//! example, `ops/nginx/kassa.conf`, with only the node addresses and the
//! listen port replaced (a `server` line with no node to name is commented
//! out: the cluster benchmark runs one and two nodes too), wrapped in a
//! main file that keeps nginx's logs, pid and temporary files in the test's
//! own folder.
//!
//! nginx is found at `KASSA_TEST_NGINX`, then `/usr/sbin/nginx` (Debian's
//! package), then `nginx` on `PATH`; without it the suites that need it
//! print `skipped: …` (a failure under `KASSA_TEST_REQUIRE_ALL=1`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The example every deployer starts from.
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ops/nginx/kassa.conf");

/// The node addresses the example names, in order (one per node).
const EXAMPLE_NODES: [&str; 3] = ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"];

/// The nginx binary, if there is one.
pub fn binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("KASSA_TEST_NGINX") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let debian = PathBuf::from("/usr/sbin/nginx");
    if debian.is_file() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("nginx"))
            .find(|p| p.is_file())
    })
}

/// `ops/nginx/kassa.conf` for `nodes` (`host:port`, one to three of them)
/// with nginx listening on 127.0.0.1:`port`; with fewer than three nodes
/// the example's surplus `server` lines are commented out. Panics when the
/// example no longer has the lines replaced here, so it cannot drift from
/// what is tested.
pub fn example_for(nodes: &[String], port: u16) -> String {
    assert!(
        (1..=EXAMPLE_NODES.len()).contains(&nodes.len()),
        "the example has room for one to three nodes"
    );
    let mut conf = std::fs::read_to_string(EXAMPLE).unwrap();
    let mut replace = |from: &str, to: &str| {
        assert_eq!(conf.matches(from).count(), 1, "{from} in {EXAMPLE}");
        conf = conf.replace(from, to);
    };
    for (i, example) in EXAMPLE_NODES.iter().enumerate() {
        let line = format!("server {example} ");
        match nodes.get(i) {
            Some(node) => replace(&line, &format!("server {node} ")),
            // Commented out: the rest of the line stays as it was.
            None => replace(&line, &format!("# {line}")),
        }
    }
    replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    conf
}

/// nginx as a child process; stopped, with its workers, on drop.
pub struct Nginx {
    child: Child,
    /// `http://127.0.0.1:port`.
    pub base: String,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx in front of `nodes` and waits until it passes a request
    /// through; `None` (after `skip`) when nginx is not installed.
    pub async fn start(nodes: &[String]) -> Option<Nginx> {
        let Some(nginx) = binary() else {
            crate::helpers::skip("nginx is not installed (apt-get install nginx)");
            return None;
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            match Self::try_start(&nginx, nodes).await {
                Ok(started) => return Some(started),
                // Another process took the free port in between: again.
                Err(log) if log.contains("Address already in use") && attempts < 3 => {}
                Err(log) => panic!("nginx did not start:\n{log}"),
            }
        }
    }

    async fn try_start(nginx: &Path, nodes: &[String]) -> Result<Nginx, String> {
        let dir = tempfile::tempdir().unwrap();
        // Worker processes may run as another user than the master (root).
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let at = |name: &str| dir.path().join(name).display().to_string();
        std::fs::write(at("kassa.conf"), example_for(nodes, port)).unwrap();
        let main = format!(
            "error_log {error} warn;\n\
             worker_processes 1;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
             \x20   access_log {access};\n\
             \x20   client_body_temp_path {tmp}/body;\n\
             \x20   proxy_temp_path {tmp}/proxy;\n\
             \x20   fastcgi_temp_path {tmp}/fastcgi;\n\
             \x20   uwsgi_temp_path {tmp}/uwsgi;\n\
             \x20   scgi_temp_path {tmp}/scgi;\n\
             \x20   include {example};\n\
             }}\n",
            error = at("error.log"),
            access = at("access.log"),
            tmp = dir.path().display(),
            example = at("kassa.conf"),
        );
        std::fs::write(at("nginx.conf"), main).unwrap();
        let child = Command::new(nginx)
            .args([
                "-p",
                &at(""),
                "-e",
                &at("error.log"),
                "-c",
                &at("nginx.conf"),
            ])
            .args(["-g", &format!("daemon off; pid {};", at("nginx.pid"))])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("stderr.log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let mut started = Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if started.child.try_wait().unwrap().is_some() {
                return Err(started.log());
            }
            let answer = client.get(started.url("/healthz")).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return Ok(started);
            }
            assert!(
                Instant::now() < deadline,
                "nginx never passed a request through:\n{}",
                started.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// nginx's error log and stderr.
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name));
        format!(
            "{}{}",
            read("stderr.log").unwrap_or_default(),
            read("error.log").unwrap_or_default()
        )
    }
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers before it exits (a SIGKILLed
    /// master leaves them running); SIGKILL if it has not exited in 10 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
