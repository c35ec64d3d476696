#![allow(clippy::unwrap_used)]

use alloy::consensus::SignableTransaction;
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{B256, Bytes, address};

use super::*;
use crate::chain::token::authorization;

const TOKEN: Address = address!("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359");
const PAYEE: Address = address!("0x2222222222222222222222222222222222222222");
const NOW: u64 = 1_800_000_000;
const GWEI: u128 = 1_000_000_000;
/// secp256k1's group order: `n - s` is the other valid `s` of a signature.
const ORDER: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
));

fn key(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).unwrap()
}

fn rules(eip3009: bool) -> TokenRules {
    TokenRules {
        info: TokenInfo {
            name: "USD Coin".into(),
            version: "2".into(),
            eip3009,
        },
        now_s: NOW,
    }
}

fn tx(input: Bytes) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 7,
        gas_limit: 200_000,
        max_fee_per_gas: 100 * GWEI,
        max_priority_fee_per_gas: 30 * GWEI,
        to: TxKind::Call(TOKEN),
        value: U256::ZERO,
        access_list: Default::default(),
        input,
    }
}

fn encode(mut tx: TxEip1559, signer: &PrivateKeySigner, high_s: bool) -> Vec<u8> {
    let mut signature = signer.sign_transaction_sync(&mut tx).unwrap();
    if high_s {
        signature = Signature::new(signature.r(), ORDER - signature.s(), !signature.v());
    }
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

fn transfer(to: Address, value: U256) -> Bytes {
    Usdc::transferCall { to, value }.abi_encode().into()
}

/// `transferWithAuthorization` from `from`, signed by `signer`, valid in
/// `(valid_after, valid_before)`; `tamper` edits the call after signing.
fn authorized(
    signer: &PrivateKeySigner,
    from: Address,
    valid_after: u64,
    valid_before: u64,
    tamper: impl FnOnce(&mut Usdc::transferWithAuthorizationCall),
) -> Bytes {
    let mut message = authorization(
        from,
        PAYEE,
        U256::from(5),
        valid_before,
        B256::repeat_byte(3),
    );
    message.validAfter = U256::from(valid_after);
    let digest = authorization_digest(&domain(&rules(true).info, CHAIN_ID, TOKEN), &message);
    let signature = signer.sign_hash_sync(&digest).unwrap();
    let mut call = Usdc::transferWithAuthorizationCall {
        from: message.from,
        to: message.to,
        value: message.value,
        validAfter: message.validAfter,
        validBefore: message.validBefore,
        nonce: message.nonce,
        v: 27 + u8::from(signature.v()),
        r: B256::from(signature.r().to_be_bytes::<32>()),
        s: B256::from(signature.s().to_be_bytes::<32>()),
    };
    tamper(&mut call);
    call.abi_encode().into()
}

fn call_of_tx(input: Bytes, rules: &TokenRules) -> LedgerCall {
    admit(&encode(tx(input), &key(1), false), rules)
        .unwrap()
        .call
}

#[test]
fn a_signed_transfer_is_taken_with_its_sender_nonce_and_price() {
    let signer = key(1);
    let raw = encode(tx(transfer(PAYEE, U256::from(9))), &signer, false);

    let admitted = admit(&raw, &rules(true)).unwrap();

    assert_eq!(admitted.tx_hash, alloy_primitives::keccak256(&raw));
    assert_eq!(
        (admitted.sender, admitted.nonce, admitted.to),
        (signer.address(), 7, TOKEN)
    );
    assert_eq!(admitted.gas_used, TRANSFER_GAS);
    assert_eq!(admitted.effective_gas_price, BASE_FEE + 30 * GWEI);
    assert_eq!(
        admitted.call,
        LedgerCall::Move(TokenMove {
            token: TOKEN,
            from: signer.address(),
            to: PAYEE,
            amount: 9,
            authorization: None,
        })
    );
}

#[test]
fn the_tip_paid_is_capped_by_the_fee_cap_over_the_base_fee() {
    let capped = TxEip1559 {
        max_fee_per_gas: BASE_FEE + 5,
        ..tx(Bytes::new())
    };

    let admitted = admit(&encode(capped, &key(1), false), &rules(true)).unwrap();

    assert_eq!(admitted.effective_gas_price, BASE_FEE + 5);
    assert_eq!(
        (admitted.call, admitted.gas_used),
        (LedgerCall::Plain, PLAIN_GAS)
    );
}

#[test]
fn a_high_s_transaction_signature_is_rejected() {
    let raw = encode(tx(Bytes::new()), &key(1), true);

    let refused = admit(&raw, &rules(true)).unwrap_err();

    assert!(
        matches!(&refused, Broadcast::Rejected(why) if why.contains("high s")),
        "{refused:?}"
    );
}

#[test]
fn a_priority_fee_over_the_fee_cap_is_rejected() {
    let inverted = TxEip1559 {
        max_priority_fee_per_gas: 101 * GWEI,
        ..tx(Bytes::new())
    };

    let refused = admit(&encode(inverted, &key(1), false), &rules(true)).unwrap_err();

    assert!(matches!(refused, Broadcast::Rejected(_)), "{refused:?}");
}

#[test]
fn the_ledger_deploys_no_contracts() {
    let create = TxEip1559 {
        to: TxKind::Create,
        ..tx(Bytes::from_static(&[0x60, 0x00]))
    };

    let refused = admit(&encode(create, &key(1), false), &rules(true)).unwrap_err();

    assert!(matches!(refused, Broadcast::Rejected(_)), "{refused:?}");
}

#[test]
fn a_transfer_the_token_always_refuses_reverts() {
    let too_much = U256::from(u64::MAX);

    assert_eq!(
        call_of_tx(transfer(Address::ZERO, U256::from(1)), &rules(true)),
        LedgerCall::Revert
    );
    assert_eq!(
        call_of_tx(transfer(PAYEE, too_much), &rules(true)),
        LedgerCall::Revert
    );
    assert_eq!(
        call_of_tx(
            Bytes::from_static(&[0xa9, 0x05, 0x9c, 0xbb, 0x00]),
            &rules(true)
        ),
        LedgerCall::Revert,
        "truncated transfer calldata"
    );
    assert_eq!(
        call_of_tx(Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]), &rules(true)),
        LedgerCall::Revert,
        "an unknown selector"
    );
}

#[test]
fn an_authorization_moves_money_only_strictly_inside_its_window() {
    let deposit = key(2);
    let from = deposit.address();
    let call = |after, before| {
        call_of_tx(
            authorized(&deposit, from, after, before, |_| {}),
            &rules(true),
        )
    };

    let inside = call(NOW - 1, NOW + 1);

    assert_eq!(
        inside,
        LedgerCall::Move(TokenMove {
            token: TOKEN,
            from,
            to: PAYEE,
            amount: 5,
            authorization: Some(B256::repeat_byte(3)),
        })
    );
    assert_eq!(call(NOW, NOW + 100), LedgerCall::Revert, "not yet valid");
    assert_eq!(call(0, NOW), LedgerCall::Revert, "expired");
}

#[test]
fn an_authorization_with_a_bad_signature_reverts() {
    let deposit = key(2);
    let from = deposit.address();
    let call = |signer: &PrivateKeySigner, tamper: fn(&mut Usdc::transferWithAuthorizationCall)| {
        call_of_tx(authorized(signer, from, 0, NOW + 60, tamper), &rules(true))
    };

    let by_another_key = call(&key(3), |_| {});
    let bad_v = call(&deposit, |c| c.v = 1);
    let high_s = call(&deposit, |c| {
        let s = U256::from_be_bytes(c.s.0);
        c.s = B256::from((ORDER - s).to_be_bytes::<32>());
        c.v = if c.v == 27 { 28 } else { 27 };
    });
    let more_than_signed = call(&deposit, |c| c.value = U256::from(6));

    assert_eq!(by_another_key, LedgerCall::Revert);
    assert_eq!(bad_v, LedgerCall::Revert);
    assert_eq!(
        high_s,
        LedgerCall::Revert,
        "USDC's ECRecover refuses high s"
    );
    assert_eq!(more_than_signed, LedgerCall::Revert);
}

#[test]
fn a_token_without_eip3009_reverts_an_authorization() {
    let deposit = key(2);
    let input = authorized(&deposit, deposit.address(), 0, NOW + 60, |_| {});

    assert_eq!(call_of_tx(input, &rules(false)), LedgerCall::Revert);
}

#[test]
fn a_call_offered_less_gas_than_it_uses_runs_out_of_gas() {
    let starved = TxEip1559 {
        gas_limit: TRANSFER_GAS - 1,
        ..tx(transfer(PAYEE, U256::from(1)))
    };

    let admitted = admit(&encode(starved, &key(1), false), &rules(true)).unwrap();

    assert_eq!(
        (admitted.call, admitted.gas_used),
        (LedgerCall::Revert, TRANSFER_GAS - 1)
    );
}
