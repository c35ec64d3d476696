//! How `RpcChain` names a node's errors, against a fake node (see
//! `fake_node.rs`): every provider's way of refusing a log range becomes
//! `RangeTooLarge` (the watcher splits the range), anything else a node can
//! say is `Unavailable` (the watcher retries later), and nothing is taken
//! for a range refusal that is not one. Needs no Anvil.

use std::time::Duration;

use alloy::primitives::Address;
use kassa::chain::rpc::RpcChain;
use kassa::chain::source::{ChainError, ChainSource};

use crate::fake_node::{Answer, FakeNode};

fn rpc_error(status: u16, code: i64, message: &str) -> Answer {
    Answer::RpcError {
        status,
        code,
        message: message.to_owned(),
    }
}

async fn get_logs_against(answer: Answer) -> Result<(), ChainError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let node = FakeNode::start(answer).await;
    let chain = RpcChain::new(&node.url(), Duration::from_secs(5)).unwrap();
    chain.transfers(Address::ZERO, 0, 100_000).await.map(|_| ())
}

#[tokio::test]
async fn every_providers_wording_of_a_refused_log_range_is_range_too_large() {
    let refusals = [
        rpc_error(200, -32005, "query returned more than 10000 results"),
        rpc_error(200, -32000, "block range is too large"),
        rpc_error(200, -32600, "exceed maximum block range: 50000"),
        rpc_error(
            200,
            -32602,
            "eth_getLogs is limited to a 10,000 range; limit exceeded",
        ),
        rpc_error(200, -32005, "limit exceeded"),
        rpc_error(
            200,
            -32603,
            "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
        ),
        rpc_error(200, -32001, "too many results, narrow your query"),
        rpc_error(200, -32005, "something the provider never documented"),
        rpc_error(400, -32000, "Block range too large"),
    ];

    for answer in refusals {
        let result = get_logs_against(answer.clone()).await;

        assert!(
            matches!(result, Err(ChainError::RangeTooLarge)),
            "{answer:?} gave {result:?}"
        );
    }
}

#[tokio::test]
async fn other_node_errors_are_unavailable_not_a_reason_to_split_the_range() {
    let others = [
        rpc_error(
            200,
            -32005,
            "daily request count exceeded, request rate limited",
        ),
        rpc_error(429, -32005, "Too Many Requests"),
        rpc_error(200, -32000, "header not found"),
        rpc_error(200, -32603, "internal error"),
        Answer::Raw {
            status: 503,
            body: "<html>Service Unavailable</html>".into(),
        },
        Answer::Raw {
            status: 502,
            body: String::new(),
        },
    ];

    for answer in others {
        let result = get_logs_against(answer.clone()).await;

        assert!(
            matches!(result, Err(ChainError::Unavailable(_))),
            "{answer:?} gave {result:?}"
        );
    }
}

#[tokio::test]
async fn a_limit_error_on_a_call_other_than_get_logs_is_unavailable() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let node = FakeNode::start(rpc_error(200, -32005, "limit exceeded")).await;
    let chain = RpcChain::new(&node.url(), Duration::from_secs(5)).unwrap();

    let head = chain.head().await;

    assert!(matches!(head, Err(ChainError::Unavailable(_))), "{head:?}");
}

#[tokio::test]
async fn an_answer_that_is_not_json_rpc_is_unexpected() {
    let result = get_logs_against(Answer::Raw {
        status: 200,
        body: "<html>a login page</html>".into(),
    })
    .await;

    assert!(
        matches!(result, Err(ChainError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_node_that_is_not_there_is_unavailable() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let chain = RpcChain::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5)).unwrap();

    let id = chain.chain_id().await;

    assert!(matches!(id, Err(ChainError::Unavailable(_))), "{id:?}");
}

#[test]
fn a_url_that_is_not_a_url_is_refused_at_construction() {
    let _ = rustls::crypto::ring::default_provider().install_default();

    let made = RpcChain::new("not a url", Duration::from_secs(1));

    let refused = made.unwrap_err().to_string();
    assert!(refused.contains("is not a URL"), "{refused}");
}

#[tokio::test]
async fn errors_never_repeat_the_url_which_may_hold_an_api_key() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refusing = FakeNode::start(Answer::Raw {
        status: 503,
        body: "busy".into(),
    })
    .await;
    let urls = [
        format!("http://127.0.0.1:{gone}/v3/SECRETKEY"),
        format!("{}/v3/SECRETKEY", refusing.url()),
    ];

    for url in urls {
        let chain = RpcChain::new(&url, Duration::from_secs(5)).unwrap();
        let error = chain.head().await.unwrap_err();

        let shown = format!("{error} {error:?} {chain:?}");
        assert!(!shown.contains("SECRETKEY"), "{shown}");
    }
}

#[test]
fn a_websocket_url_is_refused_at_construction() {
    let _ = rustls::crypto::ring::default_provider().install_default();

    let made = RpcChain::new("wss://polygon.example/v3/KEY", Duration::from_secs(1));

    let refused = made.unwrap_err().to_string();
    assert!(refused.contains("must be http(s), not wss"), "{refused}");
}

#[tokio::test]
async fn an_empty_block_range_has_no_transfers_and_asks_the_node_nothing() {
    let answer = rpc_error(200, -32000, "the node was asked");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let node = FakeNode::start(answer).await;
    let chain = RpcChain::new(&node.url(), Duration::from_secs(5)).unwrap();

    let logs = chain.transfers(Address::ZERO, 10, 9).await;

    assert!(logs.is_ok_and(|l| l.is_empty()));
}
