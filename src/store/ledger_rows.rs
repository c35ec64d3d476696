//! Ledger rows ↔ ledger records: hashes and addresses as lower-case `0x`
//! hex text, numbers and amounts as BIGINT.

use std::str::FromStr;

use alloy_primitives::{Address, B256};
use kassa_entities::{ledger_block, ledger_transfer};

use super::StoreError;
use super::ledger::{LedgerBlock, LedgerTransfer};

/// Lower-case `0x` hex of a hash, as the ledger stores it.
pub(super) fn hex_hash(hash: &B256) -> String {
    format!("0x{}", hex::encode(hash.as_slice()))
}

/// Lower-case `0x` hex of an address (never the checksummed form), as the ledger stores it.
pub(super) fn hex_address(address: &Address) -> String {
    format!("0x{}", hex::encode(address.as_slice()))
}

/// A block number or amount as BIGINT, clamped (numbers past `i64::MAX` are never stored).
pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn block_record(row: ledger_block::Model) -> Result<LedgerBlock, StoreError> {
    Ok(LedgerBlock {
        number: to_u64(row.number, "block number")?,
        hash: parse_hash(&row.hash)?,
        parent_hash: parse_hash(&row.parent_hash)?,
        mined_at_ms: row.mined_at,
    })
}

pub(super) fn transfer_record(
    row: ledger_transfer::Model,
    block: Option<ledger_block::Model>,
) -> Result<LedgerTransfer, StoreError> {
    let block = block.ok_or_else(|| {
        unexpected(format!(
            "ledger transfer {} names block {}, which is missing",
            row.id, row.block_number
        ))
    })?;
    Ok(LedgerTransfer {
        block_number: to_u64(row.block_number, "block number")?,
        block_hash: parse_hash(&block.hash)?,
        tx_hash: parse_hash(&row.tx_hash)?,
        log_index: to_u64(row.log_index, "log index")?,
        token: parse_address(&row.token)?,
        from: parse_address(&row.from_address)?,
        to: parse_address(&row.to_address)?,
        amount: to_u64(row.amount, "amount")?,
    })
}

pub(super) fn to_u64(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| unexpected(format!("a ledger row holds a negative {what}: {n}")))
}

pub(super) fn parse_hash(text: &str) -> Result<B256, StoreError> {
    B256::from_str(text).map_err(|_| unexpected(format!("a ledger row holds `{text}`, not a hash")))
}

pub(super) fn parse_address(text: &str) -> Result<Address, StoreError> {
    Address::from_str(text)
        .map_err(|_| unexpected(format!("a ledger row holds `{text}`, not an address")))
}

pub(super) fn unexpected(message: String) -> StoreError {
    StoreError::Unexpected(anyhow::anyhow!(message))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn addresses_are_stored_as_lower_case_hex_and_read_back() {
        let address = Address::from_str("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").unwrap();
        let text = hex_address(&address);
        assert_eq!(text, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
        assert_eq!(parse_address(&text).unwrap(), address);
    }

    #[test]
    fn hashes_are_stored_as_lower_case_hex_and_read_back() {
        let hash = B256::repeat_byte(0xAB);
        let text = hex_hash(&hash);
        assert_eq!(text, format!("0x{}", "ab".repeat(32)));
        assert_eq!(parse_hash(&text).unwrap(), hash);
    }
}
