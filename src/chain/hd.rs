//! Deposit addresses derived BIP-32/44 at `m/44'/60'/0'/0/{index}` from the
//! wallet master secret (a BIP-39 mnemonic).
//!
//! The mnemonic is read from configuration, never stored in the database and
//! never logged. The account node is derived once; each address then costs a
//! single public child derivation.

use std::fmt;
use std::path::Path;

use alloy_primitives::Address;
use anyhow::{Context, anyhow};
use coins_bip32::prelude::*;
use coins_bip39::{English, Mnemonic};
use secrecy::{ExposeSecret, SecretString};

use super::settings::WalletSecretSource;

/// The external chain of account 0: `m/44'/60'/0'/0`.
const ACCOUNT_PATH: &str = "m/44'/60'/0'/0";

/// Derives deposit addresses (and their signing keys, for sweeps).
#[derive(Clone)]
pub struct HdWallet {
    account: XPriv,
    /// The account node's public point, compressed key and chain code, kept
    /// ready so each address costs one HMAC and one table-based multiplication.
    account_point: k256::ProjectivePoint,
    account_key: [u8; 33],
    chain_code: [u8; 32],
}

impl fmt::Debug for HdWallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HdWallet(<secret>)")
    }
}

impl HdWallet {
    /// Builds the wallet from a BIP-39 phrase.
    pub fn from_phrase(phrase: &SecretString) -> anyhow::Result<HdWallet> {
        let normalised = phrase
            .expose_secret()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mnemonic = Mnemonic::<English>::new_from_phrase(&normalised)
            .map_err(|_| anyhow!("the wallet mnemonic is not a valid BIP-39 English phrase"))?;
        let account = mnemonic
            .derive_key(ACCOUNT_PATH, None)
            .map_err(|e| anyhow!("deriving {ACCOUNT_PATH}: {e}"))?;
        let account_pub = account.verify_key();
        let verifying: &coins_bip32::ecdsa::VerifyingKey = account_pub.as_ref();
        let compressed = verifying.to_sec1_point(true);
        let account_key: [u8; 33] = compressed
            .as_bytes()
            .try_into()
            .map_err(|_| anyhow!("unexpected public key length"))?;
        let account_point = k256::ProjectivePoint::from(*verifying.as_affine());
        let info: &coins_bip32::primitives::XKeyInfo = account.as_ref();
        let chain_code = info.chain_code.0;
        Ok(HdWallet {
            account,
            account_point,
            account_key,
            chain_code,
        })
    }

    /// Loads the master secret from where configuration says, generating the
    /// sandbox one on first start.
    pub fn load(source: &WalletSecretSource) -> anyhow::Result<HdWallet> {
        match source {
            WalletSecretSource::Inline(phrase) => Self::from_phrase(phrase)
                .context("setting `wallet_mnemonic` (KASSA_WALLET_MNEMONIC)"),
            WalletSecretSource::File(path) => {
                let phrase = read_secret(path).context("setting `wallet_mnemonic_file`")?;
                Self::from_phrase(&phrase).context("setting `wallet_mnemonic_file`")
            }
            WalletSecretSource::SandboxGenerated(path) => {
                if !path.exists() {
                    write_new_mnemonic(path)?;
                }
                let phrase = read_secret(path)?;
                Self::from_phrase(&phrase)
            }
        }
    }

    /// The deposit address at `m/44'/60'/0'/0/{index}`.
    pub fn address(&self, index: u32) -> anyhow::Result<Address> {
        self.addresses(index..index.saturating_add(1))?
            .pop()
            .ok_or_else(|| anyhow!("index {index} is not a normal child index"))
    }

    /// The deposit addresses of a range of indexes, derived together: BIP-32
    /// public child derivation (`K_i = K + IL·G`, `IL` from HMAC-SHA512 of the
    /// chain code) with one shared field inversion for the whole range.
    pub fn addresses(&self, indexes: std::ops::Range<u32>) -> anyhow::Result<Vec<Address>> {
        use hmac::{Hmac, Mac};
        use k256::elliptic_curve::BatchNormalize;
        use k256::elliptic_curve::PrimeField;
        use k256::elliptic_curve::sec1::ToSec1Point;
        if indexes.end > coins_bip32::BIP32_HARDEN {
            return Err(anyhow!("indexes {indexes:?} reach hardened children"));
        }
        let mut points = Vec::with_capacity(indexes.len());
        for index in indexes {
            let mut mac = Hmac::<sha2::Sha512>::new_from_slice(&self.chain_code)
                .map_err(|_| anyhow!("bad chain code"))?;
            mac.update(&self.account_key);
            mac.update(&index.to_be_bytes());
            let digest = mac.finalize().into_bytes();
            let il: [u8; 32] = digest[..32].try_into().map_err(|_| anyhow!("short HMAC"))?;
            // BIP-32: an IL at or above the curve order (probability < 2^-127) invalidates the index.
            let tweak = Option::<k256::Scalar>::from(k256::Scalar::from_repr(il.into()))
                .ok_or_else(|| anyhow!("index {index} is invalid under BIP-32"))?;
            points.push(k256::ProjectivePoint::mul_by_generator(&tweak) + self.account_point);
        }
        let affine = k256::ProjectivePoint::batch_normalize(points.as_slice());
        affine
            .iter()
            .map(|p| {
                let encoded = p.to_sec1_point(false);
                let raw = encoded
                    .as_bytes()
                    .get(1..)
                    .ok_or_else(|| anyhow!("empty public key"))?;
                Ok(Address::from_raw_public_key(raw))
            })
            .collect()
    }

    /// The signing key of the deposit address at `index` (for sweeping it).
    pub fn signing_key(&self, index: u32) -> anyhow::Result<coins_bip32::ecdsa::SigningKey> {
        let child = self
            .account
            .derive_child(index)
            .map_err(|e| anyhow!("deriving child {index}: {e}"))?;
        let key: &coins_bip32::ecdsa::SigningKey = child.as_ref();
        Ok(key.clone())
    }
}

fn read_secret(path: &Path) -> anyhow::Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the wallet mnemonic from {}", path.display()))?;
    Ok(SecretString::from(text.trim().to_string()))
}

fn write_new_mnemonic(path: &Path) -> anyhow::Result<()> {
    let mut entropy = [0u8; 32];
    rand::fill(&mut entropy);
    let entropy = coins_bip39::Entropy::from_slice(&entropy).map_err(|e| anyhow!("{e}"))?;
    let mnemonic = Mnemonic::<English>::new_from_entropy(entropy);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_private(path, mnemonic.to_phrase().as_bytes())
        .with_context(|| format!("writing the sandbox wallet mnemonic to {}", path.display()))
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The well-known development phrase (Hardhat/Anvil accounts).
    const TEST_PHRASE: &str = "test test test test test test test test test test test junk";

    #[test]
    fn derives_the_well_known_development_accounts() {
        let wallet = HdWallet::from_phrase(&SecretString::from(TEST_PHRASE)).unwrap();
        assert_eq!(
            wallet.address(0).unwrap().to_checksum(None),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
        assert_eq!(
            wallet.address(1).unwrap().to_checksum(None),
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        );
    }

    #[test]
    fn the_signing_key_matches_the_address() {
        let wallet = HdWallet::from_phrase(&SecretString::from(TEST_PHRASE)).unwrap();
        let key = wallet.signing_key(7).unwrap();
        let point = key.verifying_key().to_sec1_point(false);
        let from_key = Address::from_raw_public_key(&point.as_bytes()[1..]);
        assert_eq!(from_key, wallet.address(7).unwrap());
    }

    #[test]
    fn fast_derivation_agrees_with_the_reference_implementation() {
        let wallet = HdWallet::from_phrase(&SecretString::from(TEST_PHRASE)).unwrap();
        for index in [0, 1, 2, 19, 1000, 65_537, 0x7fff_ffff] {
            let reference = wallet.account.verify_key().derive_child(index).unwrap();
            let key: &coins_bip32::ecdsa::VerifyingKey = reference.as_ref();
            let point = key.to_sec1_point(false);
            let expected = Address::from_raw_public_key(&point.as_bytes()[1..]);
            assert_eq!(wallet.address(index).unwrap(), expected, "index {index}");
        }
        assert!(
            wallet.address(0x8000_0000).is_err(),
            "hardened indexes are not deposit addresses"
        );
    }

    #[test]
    fn a_phrase_that_is_not_bip39_is_refused() {
        assert!(HdWallet::from_phrase(&SecretString::from("not a mnemonic at all")).is_err());
    }

    #[test]
    fn a_generated_sandbox_secret_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.txt");
        let source = WalletSecretSource::SandboxGenerated(path.clone());
        let first = HdWallet::load(&source).unwrap().address(0).unwrap();
        let second = HdWallet::load(&source).unwrap().address(0).unwrap();
        assert_eq!(first, second);
    }
}
