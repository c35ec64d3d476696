//! The money journal's vocabulary: what kind of movement an entry records,
//! the accounts money moves between, and the entries a sent sweep makes.
//! Every entry debits one account and credits another by the same amount,
//! so the accounts always sum to zero.
//!
//! Pure: the store writes entries in the transaction of the change they
//! record, and the money check reads them back.

use std::collections::BTreeMap;

use super::payout::SweepKind;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A deposit counted for its session.
    Counted,
    /// A deposit that arrived after its session's grace window (held).
    Held,
    /// A counted or held deposit taken back by a reorg before it was sent on.
    Reversed,
    /// A deposit taken back by a reorg after its money was sent on.
    Loss,
    /// A paid session's money sent to its merchant.
    Forwarded,
    /// Held money an operator sent to the merchant.
    Released,
    /// Held money an operator sent back.
    Refunded,
    /// The platform fee of a sweep.
    Fee,
    /// POL a gas account paid for a sweep transaction (unit: wei).
    Gas,
}

impl EntryKind {
    pub const ALL: [EntryKind; 9] = [
        EntryKind::Counted,
        EntryKind::Held,
        EntryKind::Reversed,
        EntryKind::Loss,
        EntryKind::Forwarded,
        EntryKind::Released,
        EntryKind::Refunded,
        EntryKind::Fee,
        EntryKind::Gas,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Counted => "counted",
            EntryKind::Held => "held",
            EntryKind::Reversed => "reversed",
            EntryKind::Loss => "loss",
            EntryKind::Forwarded => "forwarded",
            EntryKind::Released => "released",
            EntryKind::Refunded => "refunded",
            EntryKind::Fee => "fee",
            EntryKind::Gas => "gas",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// USDC base units, or wei for gas.
    pub fn unit(self) -> &'static str {
        if self == EntryKind::Gas {
            "wei"
        } else {
            "usdc"
        }
    }
}

/// Where money came from when it arrived, and goes back to on a refund.
pub const CUSTOMER: &str = "customer";
/// Platform fees.
pub const PLATFORM: &str = "platform";
/// Money sent on and then taken back by a reorg.
pub const LOSS: &str = "loss";
/// What gas accounts spent.
pub const GAS_SPENT: &str = "gas_spent";

/// What session `id`'s deposit address holds.
pub fn deposit_account(session_id: i64) -> String {
    format!("deposit:{session_id}")
}

/// What merchant `id` was sent.
pub fn merchant_account(merchant_id: i64) -> String {
    format!("merchant:{merchant_id}")
}

/// A gas account's POL.
pub fn gas_account(address: &str) -> String {
    format!("gas:{}", address.to_lowercase())
}

/// One entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub amount: u128,
    pub debit: String,
    pub credit: String,
    pub session_id: Option<i64>,
    pub deposit_id: Option<i64>,
    pub sweep_id: Option<i64>,
    pub tx_hash: Option<String>,
}

/// Money arriving at (or leaving, when reversed) a session's address.
pub fn deposit_entry(kind: EntryKind, session_id: i64, deposit_id: i64, units: u64) -> Entry {
    let (debit, credit) = match kind {
        // The transfer never happened after all: the address gives it back.
        EntryKind::Reversed => (CUSTOMER.to_string(), deposit_account(session_id)),
        // It was already sent on: the address is empty; what the customer
        // never paid was funded by the platform's loss account.
        EntryKind::Loss => (CUSTOMER.to_string(), LOSS.to_string()),
        _ => (deposit_account(session_id), CUSTOMER.to_string()),
    };
    Entry {
        kind,
        amount: u128::from(units),
        debit,
        credit,
        session_id: Some(session_id),
        deposit_id: Some(deposit_id),
        sweep_id: None,
        tx_hash: None,
    }
}

/// A sent sweep's entries: the net amount to its destination, the fee to
/// the platform.
pub fn sweep_entries(
    kind: SweepKind,
    sweep_id: i64,
    session_id: i64,
    merchant_id: i64,
    amount_units: u64,
    fee_units: u64,
    tx_hash: &str,
) -> Vec<Entry> {
    let (entry_kind, to) = match kind {
        SweepKind::Sweep => (EntryKind::Forwarded, merchant_account(merchant_id)),
        SweepKind::Forward => (EntryKind::Released, merchant_account(merchant_id)),
        SweepKind::Refund => (EntryKind::Refunded, CUSTOMER.to_string()),
    };
    let entry = |kind, amount: u64, debit: String| Entry {
        kind,
        amount: u128::from(amount),
        debit,
        credit: deposit_account(session_id),
        session_id: Some(session_id),
        deposit_id: None,
        sweep_id: Some(sweep_id),
        tx_hash: Some(tx_hash.to_string()),
    };
    let mut entries = vec![entry(
        entry_kind,
        amount_units.saturating_sub(fee_units),
        to,
    )];
    if fee_units > 0 {
        entries.push(entry(EntryKind::Fee, fee_units, PLATFORM.to_string()));
    }
    entries
}

/// Each account's balance (debits minus credits) in one unit.
pub fn balances<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> BTreeMap<String, i128> {
    let mut balances: BTreeMap<String, i128> = BTreeMap::new();
    for e in entries {
        let amount = i128::try_from(e.amount).unwrap_or(i128::MAX);
        *balances.entry(e.debit.clone()).or_default() += amount;
        *balances.entry(e.credit.clone()).or_default() -= amount;
    }
    balances
}

/// The sum of the entries of each kind.
pub fn totals<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> BTreeMap<&'static str, u128> {
    let mut totals: BTreeMap<&'static str, u128> = BTreeMap::new();
    for e in entries {
        *totals.entry(e.kind.as_str()).or_default() += e.amount;
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swept_deposit_leaves_its_address_at_zero_and_the_books_at_zero() {
        let mut entries = vec![deposit_entry(EntryKind::Counted, 7, 1, 1_000)];
        entries.extend(sweep_entries(SweepKind::Sweep, 3, 7, 2, 1_000, 15, "0xab"));
        let b = balances(&entries);
        assert_eq!(b["deposit:7"], 0);
        assert_eq!(b["merchant:2"], 985);
        assert_eq!(b["platform"], 15);
        assert_eq!(b["customer"], -1_000);
        assert_eq!(b.values().sum::<i128>(), 0, "double entry sums to zero");
        let t = totals(&entries);
        assert_eq!((t["counted"], t["forwarded"], t["fee"]), (1_000, 985, 15));
    }

    #[test]
    fn a_reversal_after_forwarding_lands_on_the_loss_account() {
        let mut entries = vec![deposit_entry(EntryKind::Counted, 7, 1, 1_000)];
        entries.extend(sweep_entries(SweepKind::Sweep, 3, 7, 2, 1_000, 0, "0xab"));
        entries.push(deposit_entry(EntryKind::Loss, 7, 1, 1_000));
        let b = balances(&entries);
        assert_eq!(b["deposit:7"], 0, "the address was emptied by the sweep");
        assert_eq!(b["loss"], -1_000, "the loss funded the merchant");
        assert_eq!(b["customer"], 0, "the customer never paid");
        assert_eq!(b["merchant:2"], 1_000);
    }

    #[test]
    fn a_refund_and_a_reversal_go_back_to_the_customer() {
        let entries = [
            deposit_entry(EntryKind::Held, 9, 4, 500),
            deposit_entry(EntryKind::Counted, 9, 5, 300),
            deposit_entry(EntryKind::Reversed, 9, 5, 300),
        ];
        let mut all = entries.to_vec();
        all.extend(sweep_entries(SweepKind::Refund, 1, 9, 2, 500, 0, "0xcd"));
        let b = balances(&all);
        assert_eq!(b["deposit:9"], 0);
        assert_eq!(b["customer"], 0);
        assert!(!b.contains_key("platform"));
    }
}
