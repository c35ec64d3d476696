//! `RpcChain` counts its calls and failures and times them, per method,
//! under the `kassa_chain_rpc_*` names the dashboards read.

use std::time::Duration;

use alloy::primitives::Address;
use kassa::chain::rpc::RpcChain;
use kassa::chain::source::ChainSource;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::fake_node::{Answer, FakeNode};

/// A recorder of this test's own, set for its thread only: the live-mode
/// apps of the watcher tests install the process-wide one, and a second
/// global install in one binary fails.
fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new().build_recorder()
}

/// The value of one series in the rendered output, 0 when absent.
fn value(handle: &PrometheusHandle, series: &str) -> f64 {
    handle
        .render()
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_failed_get_logs_is_counted_as_a_call_and_an_error_and_timed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let recorder = recorder();
    let handle = &recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let node = FakeNode::start(Answer::RpcError {
        status: 200,
        code: -32000,
        message: "header not found".into(),
    })
    .await;
    let chain = RpcChain::new(&node.url(), Duration::from_secs(5)).unwrap();
    let calls = r#"kassa_chain_rpc_calls_total{method="eth_getLogs"}"#;
    let errors = r#"kassa_chain_rpc_errors_total{method="eth_getLogs"}"#;
    let timed = r#"kassa_chain_rpc_seconds_count{method="eth_getLogs"}"#;
    let (calls_before, errors_before, timed_before) = (
        value(handle, calls),
        value(handle, errors),
        value(handle, timed),
    );

    let _ = chain.transfers(Address::ZERO, 0, 10).await.unwrap_err();
    let _ = chain.transfers(Address::ZERO, 0, 10).await.unwrap_err();

    assert!(value(handle, calls) >= calls_before + 2.0);
    assert!(value(handle, errors) >= errors_before + 2.0);
    assert!(value(handle, timed) >= timed_before + 2.0);
}
