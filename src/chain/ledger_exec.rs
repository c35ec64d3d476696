//! What the sandbox ledger makes of a signed transaction before it touches
//! the database: the checks a node does at the door (an EIP-1559 envelope,
//! chain 137, a valid signature, enough gas, a fee cap over the base fee)
//! and the token contract's checks that need no state (the call decodes,
//! the EIP-3009 authorization is in its validity window and signed by
//! `from`). What is left (the nonce, balances, whether the authorization is
//! used) is checked under the ledger lock by `store::ledger_tx_writes`.
//!
//! Every address a transaction calls with calldata is taken for a USDC-like
//! token (the ledger knows no other contract); empty calldata is a plain
//! transfer of the chain's coin, which the ledger does not track (sandbox
//! gas is free, see [`NATIVE_BALANCE`]). Pure: no I/O, no clock of its own.

use alloy::consensus::{Signed, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Decodable2718;
use alloy::sol_types::SolCall;
use alloy_primitives::{Address, Signature, TxKind, U256};

use super::ledger::CHAIN_ID;
use super::sender::Broadcast;
use super::token::{TokenInfo, TransferWithAuthorization, Usdc, authorization_digest, domain};
use crate::store::ledger_txs::{LedgerCall, NewLedgerTransaction, TokenMove};

/// The base fee of every ledger block, in wei (Polygon's floor is of this order).
pub const BASE_FEE: u128 = 30_000_000_000;

/// The tip the ledger suggests, in wei per gas.
pub const PRIORITY_FEE: u128 = 30_000_000_000;

/// Gas a transaction without calldata uses (and the least any may offer).
pub const PLAIN_GAS: u64 = 21_000;

/// Gas a token `transfer` uses (successful or reverted), about USDC's on Polygon.
pub const TRANSFER_GAS: u64 = 60_000;

/// Gas a `transferWithAuthorization` uses (successful or reverted), about
/// USDC's on Polygon. A transaction offering less than its call uses is
/// mined reverted (out of gas), as on a real chain.
pub const AUTHORIZED_TRANSFER_GAS: u64 = 90_000;

/// What every account holds of the chain's coin, in wei: 1,000 POL. Sandbox
/// gas is free (nothing is charged), so any account can always pay for gas.
pub const NATIVE_BALANCE: u128 = 1_000 * 10u128.pow(18);

/// What a call may rely on of the ledger besides its state.
#[derive(Debug, Clone)]
pub struct TokenRules {
    /// The token's EIP-712 name and version, and whether it takes EIP-3009.
    pub info: TokenInfo,
    /// The ledger's clock, unix seconds (EIP-3009's `block.timestamp`).
    pub now_s: u64,
}

/// Decodes and checks `raw` as a node would, then tells what its call does
/// as far as the token can tell without state. `Err` is the node's answer
/// to a transaction it will not mine (it never says `Accepted`).
pub fn admit(raw: &[u8], rules: &TokenRules) -> Result<NewLedgerTransaction, Broadcast> {
    let envelope = TxEnvelope::decode_2718_exact(raw)
        .map_err(|e| Broadcast::Rejected(format!("not a signed transaction: {e}")))?;
    let signed = match envelope {
        TxEnvelope::Eip1559(signed) => signed,
        other => {
            return Err(Broadcast::Rejected(format!(
                "transaction type {} is not taken (only EIP-1559)",
                u8::from(other.tx_type())
            )));
        }
    };
    let sender = signer_of(&signed)?;
    let tx = signed.tx();
    if tx.chain_id != CHAIN_ID {
        return Err(Broadcast::Rejected(format!(
            "chain id {} is not the ledger's {CHAIN_ID}",
            tx.chain_id
        )));
    }
    let TxKind::Call(to) = tx.to else {
        return Err(Broadcast::Rejected(
            "the sandbox ledger deploys no contracts".into(),
        ));
    };
    if tx.gas_limit < PLAIN_GAS {
        return Err(Broadcast::Rejected(format!(
            "intrinsic gas too low: {} < {PLAIN_GAS}",
            tx.gas_limit
        )));
    }
    if tx.max_priority_fee_per_gas > tx.max_fee_per_gas {
        return Err(Broadcast::Rejected(
            "max priority fee per gas higher than max fee per gas".into(),
        ));
    }
    if tx.max_fee_per_gas < BASE_FEE {
        return Err(Broadcast::Underpriced(format!(
            "max fee per gas {} is below the base fee {BASE_FEE}",
            tx.max_fee_per_gas
        )));
    }
    let (call, gas) = call_of(to, sender, &tx.input, rules);
    let (call, gas_used) = if tx.gas_limit < gas {
        (LedgerCall::Revert, tx.gas_limit)
    } else {
        (call, gas)
    };
    let tip = tx
        .max_priority_fee_per_gas
        .min(tx.max_fee_per_gas - BASE_FEE);
    Ok(NewLedgerTransaction {
        tx_hash: *signed.hash(),
        sender,
        nonce: tx.nonce,
        to,
        gas_used,
        effective_gas_price: BASE_FEE + tip,
        call,
    })
}

/// The address that signed `signed`; a high-s signature is refused (EIP-2).
fn signer_of(signed: &Signed<TxEip1559>) -> Result<Address, Broadcast> {
    let signature = signed.signature();
    if signature.normalize_s().is_some() {
        return Err(Broadcast::Rejected("invalid signature: high s".into()));
    }
    signature
        .recover_address_from_prehash(&signed.signature_hash())
        .map_err(|e| Broadcast::Rejected(format!("invalid signature: {e}")))
}

/// What calling `token` with `input` does, and the gas it uses.
fn call_of(token: Address, sender: Address, input: &[u8], rules: &TokenRules) -> (LedgerCall, u64) {
    if input.is_empty() {
        return (LedgerCall::Plain, PLAIN_GAS);
    }
    if input.starts_with(&Usdc::transferCall::SELECTOR) {
        let call = Usdc::transferCall::abi_decode_validate(input)
            .ok()
            .and_then(|call| movement(token, sender, call.to, call.value, None));
        return (call.unwrap_or(LedgerCall::Revert), TRANSFER_GAS);
    }
    if input.starts_with(&Usdc::transferWithAuthorizationCall::SELECTOR) {
        let call = Usdc::transferWithAuthorizationCall::abi_decode_validate(input)
            .ok()
            .and_then(|call| authorized(token, call, rules));
        return (call.unwrap_or(LedgerCall::Revert), AUTHORIZED_TRANSFER_GAS);
    }
    (LedgerCall::Revert, TRANSFER_GAS)
}

/// The movement an EIP-3009 call asks for, `None` when the token reverts
/// it whatever the state: no EIP-3009, outside its validity window, or not
/// signed by `from` (USDC's ECRecover: v of 27 or 28, low s).
fn authorized(
    token: Address,
    call: Usdc::transferWithAuthorizationCall,
    rules: &TokenRules,
) -> Option<LedgerCall> {
    let now = U256::from(rules.now_s);
    if !rules.info.eip3009 || now <= call.validAfter || now >= call.validBefore {
        return None;
    }
    let parity = match call.v {
        27 => false,
        28 => true,
        _ => return None,
    };
    let signature = Signature::from_scalars_and_parity(call.r, call.s, parity);
    if signature.normalize_s().is_some() {
        return None;
    }
    let message = TransferWithAuthorization {
        from: call.from,
        to: call.to,
        value: call.value,
        validAfter: call.validAfter,
        validBefore: call.validBefore,
        nonce: call.nonce,
    };
    let digest = authorization_digest(&domain(&rules.info, CHAIN_ID, token), &message);
    let signer = signature.recover_address_from_prehash(&digest).ok()?;
    if signer != call.from {
        return None;
    }
    movement(token, call.from, call.to, call.value, Some(call.nonce))
}

/// A movement of `value`, `None` when the token reverts it whatever the
/// state: to the zero address, or more than any ledger balance can be.
fn movement(
    token: Address,
    from: Address,
    to: Address,
    value: U256,
    authorization: Option<alloy_primitives::B256>,
) -> Option<LedgerCall> {
    let amount = u64::try_from(value)
        .ok()
        .filter(|amount| i64::try_from(*amount).is_ok())?;
    if to == Address::ZERO {
        return None;
    }
    Some(LedgerCall::Move(TokenMove {
        token,
        from,
        to,
        amount,
        authorization,
    }))
}

#[cfg(test)]
#[path = "ledger_exec_tests.rs"]
mod tests;
