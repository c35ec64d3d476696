//! [`ChainSender`] for a real node: nonces, fees, `eth_sendRawTransaction`
//! with the node's refusals sorted into [`Broadcast`] answers, receipts, and
//! the token reads a sweep needs (`eth_call`).
//!
//! Bytes arrive signed; this module never signs, retries or bumps a fee.

use alloy::providers::Provider;
use alloy::rpc::types::{BlockNumberOrTag, TransactionInput, TransactionRequest};
use alloy::sol_types::SolCall;
use alloy::transports::RpcError;
use alloy_primitives::{Address, B256, Bytes, U256};

use super::rpc::{RpcChain, classify};
use super::sender::{Broadcast, ChainSender, FeeQuote, Receipt};
use super::source::ChainError;
use super::token::{TokenInfo, Usdc};

/// Node wordings of "these bytes are in my pool already" (geth, erigon,
/// Bor, Anvil and public RPC gateways).
const ALREADY_KNOWN: [&str; 4] = [
    "already known",
    "known transaction",
    "already imported",
    "alreadyknown",
];
/// "Another transaction with this nonce pays more" or "under my floor".
const UNDERPRICED: [&str; 4] = [
    "underpriced",
    "fee too low",
    "less than block base fee",
    "max fee per gas less than",
];
const NONCE_TOO_LOW: [&str; 3] = [
    "nonce too low",
    "noncetoolow",
    "nonce has already been used",
];

impl RpcChain {
    /// `eth_call` of `data` on `to` at the latest block.
    async fn read(&self, to: Address, data: Vec<u8>) -> Result<Bytes, ChainError> {
        let request = TransactionRequest::default()
            .to(to)
            .input(TransactionInput::new(data.into()));
        self.call("eth_call", async { self.provider.call(request).await })
            .await
    }
}

/// Sorts a node's answer to `eth_sendRawTransaction`.
fn broadcast_answer(message: &str) -> Broadcast {
    let lower = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&ALREADY_KNOWN) {
        Broadcast::AlreadyKnown
    } else if has(&NONCE_TOO_LOW) {
        Broadcast::NonceTooLow(message.to_string())
    } else if has(&UNDERPRICED) {
        Broadcast::Underpriced(message.to_string())
    } else {
        Broadcast::Rejected(message.to_string())
    }
}

impl ChainSender for RpcChain {
    async fn nonce(&self, account: Address, pending: bool) -> Result<u64, ChainError> {
        self.call("eth_getTransactionCount", async {
            let request = self.provider.get_transaction_count(account);
            if pending {
                request.pending().await
            } else {
                request.latest().await
            }
        })
        .await
    }

    async fn fees(&self) -> Result<FeeQuote, ChainError> {
        let block = self
            .call("eth_getBlockByNumber", async {
                self.provider
                    .get_block_by_number(BlockNumberOrTag::Latest)
                    .await
            })
            .await?
            .ok_or_else(|| ChainError::Unavailable("the node has no latest block".into()))?;
        let base_fee = u128::from(block.header.base_fee_per_gas.unwrap_or_default());
        let priority_fee = self
            .call("eth_maxPriorityFeePerGas", async {
                self.provider.get_max_priority_fee_per_gas().await
            })
            .await?;
        Ok(FeeQuote {
            base_fee,
            priority_fee,
        })
    }

    async fn send_raw(&self, raw: Bytes) -> Result<Broadcast, ChainError> {
        let method = "eth_sendRawTransaction";
        metrics::counter!("kassa_chain_rpc_calls_total", "method" => method).increment(1);
        match self.provider.send_raw_transaction(&raw).await {
            Ok(_) => Ok(Broadcast::Accepted),
            // The node's refusal is an answer, not a failure to reach it.
            Err(RpcError::ErrorResp(payload)) => {
                let answer = broadcast_answer(&payload.message);
                tracing::debug!(
                    ?answer,
                    code = payload.code,
                    "the node answered a broadcast"
                );
                Ok(answer)
            }
            Err(other) => {
                metrics::counter!("kassa_chain_rpc_errors_total", "method" => method).increment(1);
                // The read path's translation (it hides the URL).
                Err(classify(method, other))
            }
        }
    }

    async fn receipt(&self, tx: B256) -> Result<Option<Receipt>, ChainError> {
        let receipt = self
            .call("eth_getTransactionReceipt", async {
                self.provider.get_transaction_receipt(tx).await
            })
            .await?;
        Ok(receipt.and_then(|r| {
            Some(Receipt {
                block_number: r.block_number?,
                block_hash: r.block_hash?,
                success: r.status(),
                gas_used: r.gas_used,
                effective_gas_price: r.effective_gas_price,
            })
        }))
    }

    async fn token_balance(&self, token: Address, account: Address) -> Result<U256, ChainError> {
        let data = self
            .read(token, Usdc::balanceOfCall { account }.abi_encode())
            .await?;
        Usdc::balanceOfCall::abi_decode_returns(&data)
            .map_err(|e| ChainError::Unexpected(anyhow::anyhow!("balanceOf does not decode: {e}")))
    }

    async fn native_balance(&self, account: Address) -> Result<U256, ChainError> {
        self.call("eth_getBalance", async {
            self.provider.get_balance(account).await
        })
        .await
    }

    async fn token_info(&self, token: Address) -> Result<TokenInfo, ChainError> {
        let name = self.read(token, Usdc::nameCall {}.abi_encode()).await?;
        let name = Usdc::nameCall::abi_decode_returns(&name)
            .map_err(|e| ChainError::Unexpected(anyhow::anyhow!("name() does not decode: {e}")))?;
        // A token without `version()` (no EIP-712 domain version) or without
        // `authorizationState` reverts the call: it is not an EIP-3009 token.
        let version = match self.read(token, Usdc::versionCall {}.abi_encode()).await {
            Ok(data) => Usdc::versionCall::abi_decode_returns(&data).ok(),
            Err(ChainError::Unavailable(why)) if is_revert(&why) => None,
            Err(e) => return Err(e),
        };
        let probe = Usdc::authorizationStateCall {
            authorizer: Address::ZERO,
            nonce: B256::ZERO,
        }
        .abi_encode();
        let eip3009 = match self.read(token, probe).await {
            Ok(data) => Usdc::authorizationStateCall::abi_decode_returns(&data).is_ok(),
            Err(ChainError::Unavailable(why)) if is_revert(&why) => false,
            Err(e) => return Err(e),
        };
        Ok(TokenInfo {
            name,
            version: version.clone().unwrap_or_else(|| "1".into()),
            eip3009: eip3009 && version.is_some(),
        })
    }
}

/// Whether a failed `eth_call` was the contract reverting (the function is
/// missing) rather than the node failing.
fn is_revert(why: &str) -> bool {
    let why = why.to_lowercase();
    why.contains("revert") || why.contains("execution") || why.contains("invalid opcode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_refusals_are_sorted_by_meaning() {
        assert_eq!(broadcast_answer("already known"), Broadcast::AlreadyKnown);
        assert_eq!(
            broadcast_answer("Known transaction: 0xab…"),
            Broadcast::AlreadyKnown
        );
        assert!(matches!(
            broadcast_answer("replacement transaction underpriced"),
            Broadcast::Underpriced(_)
        ));
        assert!(matches!(
            broadcast_answer("nonce too low: next nonce 5, tx nonce 4"),
            Broadcast::NonceTooLow(_)
        ));
        assert!(matches!(
            broadcast_answer("insufficient funds for gas * price + value"),
            Broadcast::Rejected(_)
        ));
    }
}
