//! Keys and signatures of the payout path: the gas accounts (one nonce lane
//! each), a deposit address's key, EIP-1559 transactions signed offline
//! into the bytes that are stored before broadcast, and EIP-3009
//! authorizations.
//!
//! Nonces and fees are chosen by the caller and passed in: nothing here
//! keeps a nonce or talks to a node (alloy's cached nonce manager skips a
//! nonce after a failed send; STACK.md pitfall 2). No key reaches a log.

use std::fmt;
use std::path::Path;

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Eip712Domain, SolCall};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use anyhow::{Context, anyhow};

use super::hd::{HdWallet, write_private};
use super::settings::GasKeySource;
use super::token::{self, TransferWithAuthorization, Usdc};

/// The gas accounts: each key is its own nonce lane.
#[derive(Clone)]
pub struct GasAccounts {
    keys: Vec<PrivateKeySigner>,
}

impl fmt::Debug for GasAccounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GasAccounts")
            .field("addresses", &self.addresses())
            .finish()
    }
}

impl GasAccounts {
    /// Reads the keys (generating the sandbox's one on first start).
    pub fn load(source: &GasKeySource) -> anyhow::Result<GasAccounts> {
        let path = match source {
            GasKeySource::File(path) => path,
            GasKeySource::SandboxGenerated(path) => {
                if !path.exists() {
                    let key = PrivateKeySigner::random();
                    if let Some(dir) = path.parent() {
                        std::fs::create_dir_all(dir)?;
                    }
                    let line = format!("0x{}\n", hex::encode(key.to_bytes()));
                    write_private(path, line.as_bytes()).with_context(|| {
                        format!("writing the sandbox gas key to {}", path.display())
                    })?;
                }
                path
            }
        };
        Self::from_file(path)
    }

    fn from_file(path: &Path) -> anyhow::Result<GasAccounts> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "setting `gas_key_file` (KASSA_GAS_KEY_FILE): cannot read {}",
                path.display()
            )
        })?;
        Self::parse(&text).with_context(|| {
            format!(
                "setting `gas_key_file` (KASSA_GAS_KEY_FILE): {}",
                path.display()
            )
        })
    }

    /// One hex private key per line (`0x` optional); blank lines and lines
    /// starting with `#` are skipped. The error names the line, never the key.
    pub fn parse(text: &str) -> anyhow::Result<GasAccounts> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let hex_key = line.strip_prefix("0x").unwrap_or(line);
            let bytes = hex::decode(hex_key)
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| anyhow!("line {} is not a 32-byte hex private key", n + 1))?;
            let key = PrivateKeySigner::from_slice(&bytes)
                .map_err(|_| anyhow!("line {} is not a valid secp256k1 private key", n + 1))?;
            if keys
                .iter()
                .any(|k: &PrivateKeySigner| k.address() == key.address())
            {
                return Err(anyhow!("line {} repeats a key", n + 1));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(anyhow!("the file holds no key"));
        }
        Ok(GasAccounts { keys })
    }

    pub fn addresses(&self) -> Vec<Address> {
        self.keys.iter().map(PrivateKeySigner::address).collect()
    }

    /// The key of lane `address`, if it is one of ours.
    pub fn key(&self, address: Address) -> Option<&PrivateKeySigner> {
        self.keys.iter().find(|k| k.address() == address)
    }
}

/// The key of the deposit address at `index`.
pub fn deposit_key(wallet: &HdWallet, index: u32) -> anyhow::Result<PrivateKeySigner> {
    let key = wallet.signing_key(index)?;
    PrivateKeySigner::from_slice(&key.to_bytes())
        .map_err(|_| anyhow!("deposit key {index} is not a valid private key"))
}

/// A transaction ready to store and broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    pub hash: B256,
    /// The EIP-2718 bytes `eth_sendRawTransaction` takes.
    pub raw: Bytes,
}

/// What an EIP-1559 transaction does and pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxPlan {
    pub chain_id: u64,
    pub nonce: u64,
    pub to: Address,
    /// Wei sent along (a gas top-up); zero for token calls.
    pub value: U256,
    pub data: Bytes,
    pub gas_limit: u64,
    pub max_fee_wei: u128,
    pub priority_fee_wei: u128,
}

/// Signs `plan` with `key`.
pub fn sign(key: &PrivateKeySigner, plan: &TxPlan) -> anyhow::Result<SignedTx> {
    let mut tx = TxEip1559 {
        chain_id: plan.chain_id,
        nonce: plan.nonce,
        gas_limit: plan.gas_limit,
        max_fee_per_gas: plan.max_fee_wei,
        max_priority_fee_per_gas: plan.priority_fee_wei,
        to: TxKind::Call(plan.to),
        value: plan.value,
        access_list: Default::default(),
        input: plan.data.clone(),
    };
    let signature = key
        .sign_transaction_sync(&mut tx)
        .map_err(|e| anyhow!("signing a transaction: {e}"))?;
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    Ok(SignedTx {
        hash: *envelope.tx_hash(),
        raw: Bytes::from(envelope.encoded_2718()),
    })
}

/// The EIP-3009 authorization nonce of one leg of one sweep: derived, not
/// random, so every signature ever made for that leg spends the same nonce
/// and the token refuses a second use.
pub fn authorization_nonce(session_id: i64, sequence: i32, leg: &str) -> B256 {
    keccak256(format!("kassa sweep {session_id}/{sequence}/{leg}"))
}

/// The calldata of `transferWithAuthorization` for `message`, signed by the
/// deposit key `from`.
pub fn authorized_transfer(
    from: &PrivateKeySigner,
    domain: &Eip712Domain,
    message: &TransferWithAuthorization,
) -> anyhow::Result<Bytes> {
    let digest = token::authorization_digest(domain, message);
    let signature = from
        .sign_hash_sync(&digest)
        .map_err(|e| anyhow!("signing an authorization: {e}"))?;
    let call = Usdc::transferWithAuthorizationCall {
        from: message.from,
        to: message.to,
        value: message.value,
        validAfter: message.validAfter,
        validBefore: message.validBefore,
        nonce: message.nonce,
        v: 27 + u8::from(signature.v()),
        r: signature.r().into(),
        s: signature.s().into(),
    };
    Ok(Bytes::from(call.abi_encode()))
}

/// The calldata of a plain `transfer(to, value)`.
pub fn plain_transfer(to: Address, value: U256) -> Bytes {
    Bytes::from(Usdc::transferCall { to, value }.abi_encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    const KEY_B: &str = "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

    #[test]
    fn gas_keys_parse_one_per_line_and_errors_never_show_a_key() {
        let accounts = GasAccounts::parse(&format!("# lanes\n{KEY_A}\n\n{KEY_B}\n")).unwrap();
        assert_eq!(accounts.addresses().len(), 2);
        let err = GasAccounts::parse("0x1234\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        let repeated = GasAccounts::parse(&format!("{KEY_A}\n{KEY_A}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            repeated.contains("line 2") && !repeated.contains("59c6"),
            "{repeated}"
        );
        assert!(GasAccounts::parse("\n# nothing\n").is_err());
        assert!(!format!("{accounts:?}").contains("59c6"));
    }

    #[test]
    fn a_signed_transaction_recovers_to_its_signer() {
        use alloy::eips::eip2718::Decodable2718;
        let accounts = GasAccounts::parse(KEY_A).unwrap();
        let lane = accounts.addresses()[0];
        let key = accounts.key(lane).unwrap();
        let plan = TxPlan {
            chain_id: 137,
            nonce: 7,
            to: Address::repeat_byte(1),
            value: U256::ZERO,
            data: plain_transfer(Address::repeat_byte(2), U256::from(5)),
            gas_limit: 100_000,
            max_fee_wei: 90_000_000_000,
            priority_fee_wei: 30_000_000_000,
        };
        let signed = sign(key, &plan).unwrap();
        let decoded = TxEnvelope::decode_2718(&mut signed.raw.as_ref()).unwrap();
        assert_eq!(*decoded.tx_hash(), signed.hash);
        let inner = decoded.as_eip1559().unwrap();
        assert_eq!(inner.tx().nonce, 7);
        let signer = inner
            .signature()
            .recover_address_from_prehash(&inner.signature_hash())
            .unwrap();
        assert_eq!(signer, lane);
    }

    #[test]
    fn an_authorization_recovers_to_the_deposit_key() {
        let accounts = GasAccounts::parse(KEY_B).unwrap();
        let from = accounts.key(accounts.addresses()[0]).unwrap();
        let info = token::TokenInfo {
            name: "USD Coin".into(),
            version: "2".into(),
            eip3009: true,
        };
        let usdc = Address::repeat_byte(9);
        let domain = token::domain(&info, 137, usdc);
        let nonce = authorization_nonce(12, 1, "merchant");
        assert_eq!(nonce, authorization_nonce(12, 1, "merchant"));
        assert_ne!(nonce, authorization_nonce(12, 2, "merchant"));
        let message = token::authorization(
            from.address(),
            Address::repeat_byte(3),
            U256::from(1_000_000),
            u64::MAX,
            nonce,
        );
        let data = authorized_transfer(from, &domain, &message).unwrap();
        let call = Usdc::transferWithAuthorizationCall::abi_decode(&data).unwrap();
        let mut sig = [0u8; 65];
        sig[..32].copy_from_slice(call.r.as_slice());
        sig[32..64].copy_from_slice(call.s.as_slice());
        sig[64] = call.v - 27;
        let signature = alloy_primitives::Signature::from_raw_array(&sig).unwrap();
        let digest = token::authorization_digest(&domain, &message);
        assert_eq!(
            signature.recover_address_from_prehash(&digest).unwrap(),
            from.address()
        );
    }
}
