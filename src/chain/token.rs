//! The USDC token as the payout path speaks to it: the calls a sweep makes
//! (`transfer`, EIP-3009 `transferWithAuthorization`), the reads it needs
//! (balance, EIP-712 domain, whether an authorization was used), and the
//! EIP-712 digest a deposit key signs.
//!
//! Both the signer (the payout actor) and the sandbox ledger (which checks
//! what it is sent, as the token contract would) use these definitions, so
//! the two can never disagree on an encoding. No I/O here.

use alloy::sol_types::{Eip712Domain, SolStruct, eip712_domain};
use alloy_primitives::{Address, B256, U256};

alloy::sol! {
    /// The EIP-3009 message a deposit key signs (the field order and names
    /// are the standard's; the type hash is derived from them).
    #[derive(Debug, PartialEq, Eq)]
    struct TransferWithAuthorization {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
    }

    /// The calls and reads of a USDC-like ERC-20 token.
    #[derive(Debug, PartialEq, Eq)]
    interface Usdc {
        function name() external view returns (string);
        function version() external view returns (string);
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 value) external returns (bool);
        function transferWithAuthorization(
            address from,
            address to,
            uint256 value,
            uint256 validAfter,
            uint256 validBefore,
            bytes32 nonce,
            uint8 v,
            bytes32 r,
            bytes32 s
        ) external;
        function authorizationState(address authorizer, bytes32 nonce) external view returns (bool);
    }
}

/// What a sweep needs to know of the token, read from the token itself: the
/// EIP-712 domain name and version differ between chains and deployments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub version: String,
    /// The token answers `authorizationState`: it takes EIP-3009 transfers.
    pub eip3009: bool,
}

/// The token's EIP-712 domain on `chain_id`.
pub fn domain(info: &TokenInfo, chain_id: u64, token: Address) -> Eip712Domain {
    eip712_domain! {
        name: info.name.clone(),
        version: info.version.clone(),
        chain_id: chain_id,
        verifying_contract: token,
    }
}

/// The digest a deposit key signs to authorize `message`.
pub fn authorization_digest(domain: &Eip712Domain, message: &TransferWithAuthorization) -> B256 {
    message.eip712_signing_hash(domain)
}

/// An authorization valid from the epoch until `valid_before` (unix seconds).
pub fn authorization(
    from: Address,
    to: Address,
    value: U256,
    valid_before: u64,
    nonce: B256,
) -> TransferWithAuthorization {
    TransferWithAuthorization {
        from,
        to,
        value,
        validAfter: U256::ZERO,
        validBefore: U256::from(valid_before),
        nonce,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::b256;

    #[test]
    fn the_authorization_type_hash_is_the_standards() {
        // EIP-3009's TRANSFER_WITH_AUTHORIZATION_TYPEHASH, as USDC declares it.
        let message = authorization(Address::ZERO, Address::ZERO, U256::ZERO, 0, B256::ZERO);
        assert_eq!(
            message.eip712_type_hash(),
            b256!("7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267")
        );
    }

    #[test]
    fn the_digest_binds_the_domain() {
        let info = TokenInfo {
            name: "USD Coin".into(),
            version: "2".into(),
            eip3009: true,
        };
        let token = Address::repeat_byte(7);
        let message = authorization(Address::ZERO, token, U256::from(5), 9, B256::ZERO);
        let on_polygon = authorization_digest(&domain(&info, 137, token), &message);
        let elsewhere = authorization_digest(&domain(&info, 1, token), &message);
        let renamed = TokenInfo {
            version: "1".into(),
            ..info.clone()
        };
        assert_ne!(on_polygon, elsewhere);
        assert_ne!(
            on_polygon,
            authorization_digest(&domain(&renamed, 137, token), &message)
        );
    }
}
