//! Which receiver runtimes this machine has: PHP, Node (plus express and
//! standardwebhooks in `KASSA_TEST_NODE_MODULES`), Go, Python (plus
//! standardwebhooks). It only probes; it starts nothing long-lived.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A receiver program in `tests/receivers/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Php,
    Node,
    Go,
    Python,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::Php => "PHP",
            Lang::Node => "Node",
            Lang::Go => "Go",
            Lang::Python => "Python",
        }
    }

    /// Whether the receiver also serves `/standard` (Standard Webhooks).
    pub fn has_standard_route(self) -> bool {
        match self {
            Lang::Node | Lang::Python => true,
            Lang::Php | Lang::Go => false,
        }
    }
}

/// The `node_modules` directory holding express and standardwebhooks.
pub fn node_modules() -> PathBuf {
    std::env::var_os("KASSA_TEST_NODE_MODULES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/kassa-node/node_modules"))
}

/// Runs `program args…` to completion off the test thread.
pub async fn run(program: &str, args: &[&str], cwd: Option<&Path>) -> std::io::Result<Output> {
    let program = program.to_string();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let cwd = cwd.map(Path::to_path_buf);
    actix_web::rt::task::spawn_blocking(move || {
        let mut cmd = Command::new(&program);
        cmd.args(&args).stdin(Stdio::null());
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        cmd.output()
    })
    .await
    .unwrap()
}

/// `Err(why)` when `program args…` cannot run successfully here.
async fn probe(program: &str, args: &[&str], what: &str) -> Result<(), String> {
    match run(program, args, None).await {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{what}: `{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("{what}: `{program}` is not runnable ({e})")),
    }
}

/// Why the `lang` receiver cannot run on this machine, if it cannot.
pub async fn missing(lang: Lang) -> Option<String> {
    let found = match lang {
        Lang::Php => probe("php", &["-v"], "PHP receiver (apt-get install -y php-cli)").await,
        Lang::Go => {
            probe(
                "go",
                &["version"],
                "Go receiver (apt-get install -y golang-go)",
            )
            .await
        }
        Lang::Python => {
            probe(
                "python3",
                &["-c", "from standardwebhooks.webhooks import Webhook"],
                "Python receiver (pip install standardwebhooks)",
            )
            .await
        }
        Lang::Node => match probe("node", &["--version"], "Node receiver").await {
            Err(e) => Err(e),
            Ok(()) => {
                let dir = node_modules();
                let absent: Vec<&str> = ["express", "standardwebhooks"]
                    .into_iter()
                    .filter(|p| !dir.join(p).join("package.json").is_file())
                    .collect();
                if absent.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "Node receiver: {} not in {} (npm install --prefix /tmp/kassa-node \
                         express standardwebhooks, or set KASSA_TEST_NODE_MODULES)",
                        absent.join(" and "),
                        dir.display()
                    ))
                }
            }
        },
    };
    found.err()
}
