//! EVM wallet addresses (where merchants receive USDC), validated against
//! the EIP-55 mixed-case checksum.
//!
//! This module owns only the address format. It must not talk to a chain,
//! derive keys or hold any secret material.

use std::fmt;

use alloy_primitives::Address;

/// A non-zero 20-byte EVM address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WalletAddress(Address);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid wallet address")]
pub struct InvalidWallet;

impl WalletAddress {
    /// Accepts `0x` followed by 40 hex digits. All-lower-case or
    /// all-upper-case digits carry no checksum and are taken as they are;
    /// mixed case must be a valid EIP-55 checksum. The zero address is
    /// rejected (funds sent there are burnt).
    pub fn parse(s: &str) -> Result<WalletAddress, InvalidWallet> {
        let s = s.trim();
        let hex = s.strip_prefix("0x").ok_or(InvalidWallet)?;
        if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InvalidWallet);
        }
        let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
        let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
        let address = if has_lower && has_upper {
            Address::parse_checksummed(s, None).map_err(|_| InvalidWallet)?
        } else {
            s.parse::<Address>().map_err(|_| InvalidWallet)?
        };
        if address.is_zero() {
            return Err(InvalidWallet);
        }
        Ok(WalletAddress(address))
    }

    /// A raw address (from key derivation or a chain log); the zero address
    /// is refused, as in [`WalletAddress::parse`].
    pub fn from_address(address: Address) -> Result<WalletAddress, InvalidWallet> {
        if address.is_zero() {
            return Err(InvalidWallet);
        }
        Ok(WalletAddress(address))
    }

    /// The EIP-55 checksummed form, e.g. `0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed`.
    pub fn checksummed(&self) -> String {
        self.0.to_checksum(None)
    }

    pub fn address(&self) -> Address {
        self.0
    }
}

impl fmt::Display for WalletAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.checksummed())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// Test vectors from EIP-55.
    const EIP55_VECTORS: [&str; 8] = [
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn parse_accepts_every_eip55_vector_and_round_trips_it() {
        for vector in EIP55_VECTORS {
            let wallet = WalletAddress::parse(vector).unwrap();
            assert_eq!(wallet.checksummed(), vector, "{vector}");
            assert_eq!(wallet.to_string(), vector);
        }
    }

    #[test]
    fn parse_rejects_a_mixed_case_address_with_a_bad_checksum() {
        // First vector with the case of one letter flipped.
        assert_eq!(
            WalletAddress::parse("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            Err(InvalidWallet)
        );
        assert_eq!(
            WalletAddress::parse(
                "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
                    .replace('B', "b")
                    .as_str()
            ),
            Err(InvalidWallet)
        );
    }

    #[test]
    fn parse_accepts_all_lower_case_and_all_upper_case_hex_without_checksum() {
        let lower = WalletAddress::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").unwrap();
        let upper = WalletAddress::parse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").unwrap();
        assert_eq!(lower, upper);
        assert_eq!(
            lower.checksummed(),
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        );
    }

    #[test]
    fn parse_accepts_an_address_of_digits_only() {
        let wallet = WalletAddress::parse("0x1111111111111111111111111111111111111111").unwrap();
        assert_eq!(
            wallet.checksummed(),
            "0x1111111111111111111111111111111111111111"
        );
    }

    #[test]
    fn parse_trims_surrounding_whitespace() {
        let wallet =
            WalletAddress::parse("  0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359\n").unwrap();
        assert_eq!(
            wallet.to_string(),
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
        );
    }

    #[test]
    fn parse_rejects_the_zero_address() {
        assert_eq!(
            WalletAddress::parse("0x0000000000000000000000000000000000000000"),
            Err(InvalidWallet)
        );
    }

    #[test]
    fn parse_rejects_anything_but_0x_and_forty_hex_digits() {
        let cases = [
            "",
            "0x",
            "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed0",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg",
            "0x 5aaeb6053f3e94c9b9a09f33669435e7ef1beae",
            "0x5aaeb6053f3e94c9b9a09f33669435e7ef1be\u{e9}d",
            "0x0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea",
            "vitalik.eth",
        ];
        for s in cases {
            assert_eq!(WalletAddress::parse(s), Err(InvalidWallet), "{s:?}");
        }
    }

    #[test]
    fn address_returns_the_raw_bytes() {
        let wallet = WalletAddress::parse("0x52908400098527886E0F7030069857D2E4169EE7").unwrap();
        assert_eq!(wallet.address().as_slice()[0], 0x52);
        assert_eq!(wallet.address().as_slice()[19], 0xe7);
    }
}
