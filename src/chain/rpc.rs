//! [`RpcChain`]: the [`ChainSource`] of a real node, read over HTTP JSON-RPC
//! with alloy. It owns the HTTP client (and its per-request timeout), the
//! translation of node and transport failures into [`ChainError`] (a refused
//! log range becomes [`ChainError::RangeTooLarge`], whatever the provider's
//! wording), and the `kassa_chain_rpc_*` metrics.
//!
//! It holds no keys: the payout path hands it transactions already signed
//! (`rpc_sender`). It must not retry, split ranges, bump fees or decide what
//! a transfer means; the chain watcher and the payout actor do that with
//! what this module returns.

use std::future::Future;
use std::time::{Duration, Instant};

use alloy::providers::{Provider, RootProvider};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{BlockNumberOrTag, Filter, Log};
use alloy::sol_types::SolEvent;
use alloy::transports::{RpcError, TransportError, TransportErrorKind};
use alloy_primitives::{Address, B256};
use anyhow::Context as _;
use serde_json::value::RawValue;

use super::source::{ChainError, ChainSource, TransferLog};

alloy::sol! {
    /// ERC-20 `Transfer`; its signature hash is the only topic we filter on.
    event Transfer(address indexed from, address indexed to, uint256 value);
}

/// A chain node reached over HTTP JSON-RPC. Its URL often carries the
/// provider's API key, so neither `Debug` nor any error repeats it.
#[derive(Clone)]
pub struct RpcChain {
    pub(super) provider: RootProvider,
}

impl std::fmt::Debug for RpcChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcChain").finish_non_exhaustive()
    }
}

impl RpcChain {
    /// A client of the node at `url`; each request (connecting included)
    /// fails as [`ChainError::Unavailable`] after `timeout`, so a silent
    /// node never stalls the watcher. Like every reqwest client here, it
    /// needs the process's rustls provider (ring) installed first, as
    /// `main` does; without it this is an error (reqwest would panic).
    pub fn new(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        anyhow::ensure!(
            rustls::crypto::CryptoProvider::get_default().is_some(),
            "no rustls crypto provider installed: install ring's before building the chain RPC client"
        );
        let url: reqwest::Url = url.parse().context("the chain RPC URL is not a URL")?;
        anyhow::ensure!(
            matches!(url.scheme(), "http" | "https"),
            "the chain RPC URL must be http(s), not {}",
            url.scheme()
        );
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("Kassa/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the chain RPC HTTP client")?;
        let rpc = RpcClient::new_http_with_client(client, url);
        Ok(RpcChain {
            provider: RootProvider::new(rpc),
        })
    }

    /// Runs one RPC call, recording its count, failures and duration under
    /// `method`, and translating its error.
    pub(super) async fn call<T>(
        &self,
        method: &'static str,
        request: impl Future<Output = Result<T, TransportError>>,
    ) -> Result<T, ChainError> {
        metrics::counter!("kassa_chain_rpc_calls_total", "method" => method).increment(1);
        let started = Instant::now();
        let result = request.await;
        metrics::histogram!("kassa_chain_rpc_seconds", "method" => method)
            .record(started.elapsed().as_secs_f64());
        result.map_err(|error| {
            metrics::counter!("kassa_chain_rpc_errors_total", "method" => method).increment(1);
            let error = classify(method, error);
            tracing::debug!(method, %error, "chain RPC call failed");
            error
        })
    }
}

impl ChainSource for RpcChain {
    async fn chain_id(&self) -> Result<u64, ChainError> {
        self.call("eth_chainId", async { self.provider.get_chain_id().await })
            .await
    }

    async fn head(&self) -> Result<u64, ChainError> {
        self.call("eth_blockNumber", async {
            self.provider.get_block_number().await
        })
        .await
    }

    async fn finalized(&self) -> Result<Option<u64>, ChainError> {
        let block = self
            .call("eth_getBlockByNumber", async {
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Finalized)
                    .await
            })
            .await?;
        Ok(block.map(|b| b.header.number))
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, ChainError> {
        let block = self
            .call("eth_getBlockByNumber", async {
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Number(number))
                    .await
            })
            .await?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn transfers(
        &self,
        token: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<TransferLog>, ChainError> {
        if from > to {
            return Ok(Vec::new());
        }
        let filter = Filter::new()
            .address(token)
            .event_signature(Transfer::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        // The answer is kept as raw JSON here and decoded on a blocking
        // thread: a range's thousands of logs would otherwise hold the
        // actor thread for milliseconds, stalling every commit meanwhile.
        let raw: Box<RawValue> = self
            .call("eth_getLogs", async {
                self.provider
                    .client()
                    .request("eth_getLogs", (&filter,))
                    .await
            })
            .await?;
        tokio::task::spawn_blocking(move || decode_transfers(raw.get()))
            .await
            .map_err(|e| {
                ChainError::Unexpected(anyhow::anyhow!("decoding the logs stopped: {e}"))
            })?
    }
}

/// An `eth_getLogs` answer's `Transfer` logs, in chain order.
fn decode_transfers(json: &str) -> Result<Vec<TransferLog>, ChainError> {
    let logs: Vec<Log> = serde_json::from_str(json)
        .map_err(|e| anyhow::anyhow!("the eth_getLogs answer does not decode: {e}"))?;
    let mut transfers = logs
        .iter()
        .map(transfer_log)
        .collect::<Result<Vec<_>, _>>()?;
    // Nodes answer in chain order; sorting makes it a guarantee.
    transfers.sort_by_key(|t| (t.block_number, t.log_index));
    Ok(transfers)
}

/// One `Transfer` log as the watcher sees it. A log without its position
/// (a pending log) or that does not decode as ERC-20 `Transfer` is a node
/// bug or a non-standard token: unexpected, never silently skipped.
fn transfer_log(log: &Log) -> Result<TransferLog, ChainError> {
    let decoded = log
        .log_decode::<Transfer>()
        .map_err(|e| anyhow::anyhow!("a Transfer log does not decode: {e}"))?;
    let missing = |what: &str| anyhow::anyhow!("a Transfer log has no {what} (pending log?)");
    let event = decoded.inner.data;
    Ok(TransferLog {
        tx_hash: log
            .transaction_hash
            .ok_or_else(|| missing("transaction hash"))?,
        log_index: log.log_index.ok_or_else(|| missing("log index"))?,
        block_number: log.block_number.ok_or_else(|| missing("block number"))?,
        block_hash: log.block_hash.ok_or_else(|| missing("block hash"))?,
        from: event.from,
        to: event.to,
        amount: event.value,
    })
}

/// Error codes some providers give a refused `eth_getLogs` range (Infura,
/// Alchemy and others use -32005 "limit exceeded").
const RANGE_ERROR_CODES: [i64; 1] = [-32005];

/// Wordings of "your log query is too big" seen across providers, matched
/// case-insensitively anywhere in the message: "query returned more than
/// 10000 results", "block range is too large", "exceed maximum block range:
/// 50000", "limit exceeded", "Log response size exceeded", ...
const RANGE_ERROR_WORDS: [&str; 7] = [
    "query returned more than",
    "range too large",
    "range is too large",
    "maximum block range",
    "limit exceeded",
    "too many results",
    "response size exceeded",
];

/// Rate limiting also appears under -32005 on some providers; it means
/// "later", not "smaller", so it must not make the watcher split ranges.
const RATE_LIMIT_WORDS: [&str; 3] = ["rate limit", "request rate", "too many requests"];

/// Translates an alloy error for `method` into ours.
pub(super) fn classify(method: &'static str, error: TransportError) -> ChainError {
    match error {
        RpcError::ErrorResp(payload) => {
            if method == "eth_getLogs" && is_range_refusal(Some(payload.code), &payload.message) {
                ChainError::RangeTooLarge
            } else {
                ChainError::Unavailable(format!(
                    "{method}: the node answered error {}: {}",
                    payload.code, payload.message
                ))
            }
        }
        RpcError::Transport(kind) => match kind.as_http_error() {
            Some(http) if method == "eth_getLogs" && is_range_refusal(None, &http.body) => {
                ChainError::RangeTooLarge
            }
            _ => ChainError::Unavailable(format!("{method}: {}", transport_cause(&kind))),
        },
        RpcError::NullResp => ChainError::Unavailable(format!("{method}: the node answered null")),
        RpcError::DeserError { err, text } => ChainError::Unexpected(anyhow::anyhow!(
            "{method}: the node's answer does not parse ({err}): {}",
            truncate(&text, 200)
        )),
        RpcError::SerError(err) => ChainError::Unexpected(anyhow::anyhow!(
            "{method}: request does not serialise: {err}"
        )),
        RpcError::UnsupportedFeature(what) => {
            ChainError::Unexpected(anyhow::anyhow!("{method}: unsupported: {what}"))
        }
        RpcError::LocalUsageError(err) => {
            ChainError::Unexpected(anyhow::anyhow!("{method}: local error: {err}"))
        }
    }
}

/// Whether a node's error says the log query asked for too much.
fn is_range_refusal(code: Option<i64>, message: &str) -> bool {
    let message = message.to_lowercase();
    if RATE_LIMIT_WORDS.iter().any(|w| message.contains(w)) {
        return false;
    }
    code.is_some_and(|c| RANGE_ERROR_CODES.contains(&c))
        || RANGE_ERROR_WORDS.iter().any(|w| message.contains(w))
}

/// The transport error with its causes ("connection refused", "timed out"
/// sit one or two levels down), without the URL reqwest's own message
/// would repeat (it may hold an API key).
fn transport_cause(kind: &TransportErrorKind) -> String {
    let reqwest_error = kind
        .as_custom()
        .and_then(|e| e.downcast_ref::<reqwest::Error>());
    let (mut text, mut source) = match reqwest_error {
        Some(e) if e.is_timeout() => ("request timed out".to_owned(), None),
        Some(e) if e.is_connect() => ("could not connect".to_owned(), std::error::Error::source(e)),
        Some(e) => ("request failed".to_owned(), std::error::Error::source(e)),
        None => match kind.as_http_error() {
            Some(http) => (
                format!("HTTP {}: {}", http.status, truncate(&http.body, 200)),
                None,
            ),
            None => (kind.to_string(), std::error::Error::source(kind)),
        },
    };
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
