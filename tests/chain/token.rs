//! The test USDC's EIP-3009 `transferWithAuthorization`, which the payout
//! work will rely on: a transfer signed off-chain by the payer (EIP-712,
//! domain "Test USD Coin" version "2") and submitted by anyone, once.

use alloy::primitives::{Address, B256, U256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{Eip712Domain, SolStruct, eip712_domain};

use crate::anvil::{Anvil, TestUsdc, mined};

alloy::sol! {
    struct TransferWithAuthorization {
        address from;
        address to;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
    }
}

fn domain(token: Address) -> Eip712Domain {
    eip712_domain! {
        name: "Test USD Coin",
        version: "2",
        chain_id: 137,
        verifying_contract: token,
    }
}

/// `signer`'s authorization to move `value` to `to` under `nonce`, as the
/// contract's arguments: (message, v, r, s).
fn authorize(
    signer: &PrivateKeySigner,
    token: Address,
    to: Address,
    value: u64,
    nonce: B256,
) -> (TransferWithAuthorization, u8, B256, B256) {
    let message = TransferWithAuthorization {
        from: signer.address(),
        to,
        value: U256::from(value),
        validAfter: U256::ZERO,
        validBefore: U256::MAX,
        nonce,
    };
    let hash = message.eip712_signing_hash(&domain(token));
    let signature = signer.sign_hash_sync(&hash).unwrap();
    let v = 27 + u8::from(signature.v());
    (message, v, signature.r().into(), signature.s().into())
}

#[tokio::test]
async fn the_tokens_domain_separator_is_the_one_signers_compute() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let token = anvil.deploy_token().await;
    let contract = TestUsdc::new(token, anvil.node().clone());

    let on_chain = contract.DOMAIN_SEPARATOR().call().await.unwrap();

    assert_eq!(on_chain, domain(token).separator());
}

#[tokio::test]
async fn a_signed_authorization_moves_the_funds_once_and_its_nonce_is_then_used() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let token = anvil.deploy_token().await;
    let payer = Anvil::dev_account(3);
    let payee = Address::repeat_byte(0x77);
    anvil.mint(payer.address(), 1_000_000).await;
    let nonce = B256::repeat_byte(0x01);
    let (m, v, r, s) = authorize(&payer, token, payee, 400_000, nonce);
    let relayer = TestUsdc::new(token, anvil.signing(&Anvil::dev_account(0)));

    let pending = relayer
        .transferWithAuthorization(
            m.from,
            m.to,
            m.value,
            m.validAfter,
            m.validBefore,
            m.nonce,
            v,
            r,
            s,
        )
        .send()
        .await
        .unwrap();
    mined(pending).await;
    let replay = relayer
        .transferWithAuthorization(
            m.from,
            m.to,
            m.value,
            m.validAfter,
            m.validBefore,
            m.nonce,
            v,
            r,
            s,
        )
        .call()
        .await;

    assert_eq!(
        relayer.balanceOf(payee).call().await.unwrap(),
        U256::from(400_000)
    );
    assert_eq!(
        relayer.balanceOf(payer.address()).call().await.unwrap(),
        U256::from(600_000)
    );
    assert!(
        relayer
            .authorizationState(payer.address(), nonce)
            .call()
            .await
            .unwrap()
    );
    let replay = replay.expect_err("a used nonce must be refused");
    assert!(replay.to_string().contains("used or canceled"), "{replay}");
}

#[tokio::test]
async fn an_authorization_for_another_amount_than_signed_is_refused() {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    let token = anvil.deploy_token().await;
    let payer = Anvil::dev_account(4);
    anvil.mint(payer.address(), 1_000_000).await;
    let (m, v, r, s) = authorize(&payer, token, Address::repeat_byte(0x78), 1, B256::ZERO);
    let relayer = TestUsdc::new(token, anvil.signing(&Anvil::dev_account(0)));

    let raised = relayer
        .transferWithAuthorization(
            m.from,
            m.to,
            U256::from(999_999),
            m.validAfter,
            m.validBefore,
            m.nonce,
            v,
            r,
            s,
        )
        .call()
        .await;

    let refused = raised.expect_err("a tampered amount must be refused");
    assert!(
        refused.to_string().contains("invalid signature"),
        "{refused}"
    );
    assert!(
        !relayer
            .authorizationState(payer.address(), B256::ZERO)
            .call()
            .await
            .unwrap()
    );
}
