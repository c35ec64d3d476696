//! Test-only fault points. With `KASSA_TEST_FAULT_PAUSE=<point>` in the
//! environment, the process writes the file named by
//! `KASSA_TEST_FAULT_MARKER` when it first reaches that point and then
//! waits there forever, so a test can SIGKILL it at a known moment (for
//! example between storing a signed sweep and broadcasting it). Without the
//! variable, which is how the gateway runs everywhere but in those tests, a
//! fault point does nothing.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The point to pause at and the marker to write, read once.
fn armed() -> Option<&'static (String, Option<PathBuf>)> {
    static ARMED: OnceLock<Option<(String, Option<PathBuf>)>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let point = std::env::var("KASSA_TEST_FAULT_PAUSE").ok()?;
            let marker = std::env::var_os("KASSA_TEST_FAULT_MARKER").map(PathBuf::from);
            Some((point, marker))
        })
        .as_ref()
}

/// Pauses forever here when the armed point is `name`.
pub async fn point(name: &str) {
    let Some((point, marker)) = armed() else {
        return;
    };
    if point != name {
        return;
    }
    tracing::warn!(
        point = name,
        "test fault point reached: pausing here for good"
    );
    if let Some(marker) = marker {
        let _ = std::fs::write(marker, name);
    }
    std::future::pending::<()>().await;
}
