//! The money check behind `kassa ledger check`, in USDC base units:
//!
//! 1. **Everything received is accounted for, exactly:**
//!    `received = forwarded + fees + refunded + held − lost`, where
//!    *received* is every deposit counted or held late, *forwarded*, *fees*
//!    and *refunded* are the sent sweeps, *held* is what no sent sweep took
//!    yet, and *lost* is money forwarded whose deposit a reorg later took
//!    back (a loss the operator must hear of).
//! 2. **Each sweep moved exactly what its deposits held** (a sweep whose
//!    amount differs from its deposits' sum would pay twice or lose money).
//! 3. **Every deposit address holds on chain what the books say it still
//!    holds:** deposits on chain there (seen, counted or late) less what
//!    sent sweeps took out.
//!
//! 4. **The journal agrees with the rows:** every session's deposit account
//!    holds what the rows say, and its totals per kind match the figures.
//!
//! Pure: the caller reads the rows, the journal and the chain balances.

use std::collections::BTreeMap;

use super::deposit::DepositState;
use super::journal::{Entry, EntryKind, balances, deposit_account, totals};
use super::payout::{SweepKind, SweepState};

/// One deposit as the check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedDeposit {
    /// Lower-case `0x` hex.
    pub address: String,
    pub amount_units: u64,
    pub state: DepositState,
    pub sweep_id: Option<i64>,
}

/// One sweep as the check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedSweep {
    pub id: i64,
    /// Lower-case `0x` hex.
    pub address: String,
    pub kind: SweepKind,
    pub state: SweepState,
    pub amount_units: u64,
    pub fee_units: u64,
}

/// What the books add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub received: u64,
    pub forwarded: u64,
    pub fees: u64,
    pub refunded: u64,
    pub held: u64,
    pub lost: u64,
    /// Swept, not yet confirmed sent: part of `held` until it is.
    pub in_flight: u64,
}

/// Something that does not add up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discrepancy {
    Books {
        received: u64,
        accounted: u64,
    },
    Sweep {
        id: i64,
        amount: u64,
        deposits: u64,
    },
    Address {
        address: String,
        books: u64,
        chain: u64,
    },
    /// The journal disagrees with the rows about what an address holds.
    JournalAddress {
        address: String,
        journal: i128,
        books: u64,
    },
    /// The journal's total of a kind disagrees with the rows.
    JournalTotal {
        what: &'static str,
        journal: u128,
        books: u64,
    },
}

impl std::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Discrepancy::Books {
                received,
                accounted,
            } => write!(
                f,
                "received {received} base units but forwarded + fees + refunded + held − lost = {accounted}"
            ),
            Discrepancy::Sweep {
                id,
                amount,
                deposits,
            } => write!(
                f,
                "sweep {id} moves {amount} base units but its deposits hold {deposits}"
            ),
            Discrepancy::Address {
                address,
                books,
                chain,
            } => write!(
                f,
                "{address} holds {chain} base units on chain; the books say {books}"
            ),
            Discrepancy::JournalAddress {
                address,
                journal,
                books,
            } => write!(
                f,
                "the journal says {address} holds {journal} base units; the rows say {books}"
            ),
            Discrepancy::JournalTotal {
                what,
                journal,
                books,
            } => write!(
                f,
                "the journal's {what} total is {journal} base units; the rows say {books}"
            ),
        }
    }
}

/// The check's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub figures: Figures,
    /// What each deposit address should hold on chain.
    pub expected: BTreeMap<String, u64>,
    /// Of that, deposits seen and not yet counted (not in the journal yet).
    pub waiting: BTreeMap<String, u64>,
    pub discrepancies: Vec<Discrepancy>,
}

/// Adds up the books (checks 1 and 2) and what each address should hold.
pub fn books(deposits: &[BookedDeposit], sweeps: &[BookedSweep]) -> Report {
    let sent: BTreeMap<i64, &BookedSweep> = sweeps
        .iter()
        .filter(|s| s.state == SweepState::Sent)
        .map(|s| (s.id, s))
        .collect();
    let mut f = Figures::default();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut waiting: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_sweep: BTreeMap<i64, u64> = BTreeMap::new();
    for d in deposits {
        let on_chain = matches!(
            d.state,
            DepositState::Seen | DepositState::Counted | DepositState::Late
        );
        if on_chain {
            *expected.entry(d.address.clone()).or_default() += d.amount_units;
        }
        if d.state == DepositState::Seen {
            *waiting.entry(d.address.clone()).or_default() += d.amount_units;
        }
        if let Some(id) = d.sweep_id {
            *per_sweep.entry(id).or_default() += d.amount_units;
        }
        let swept = d.sweep_id.is_some_and(|id| sent.contains_key(&id));
        match d.state {
            DepositState::Counted | DepositState::Late => {
                f.received += d.amount_units;
                if !swept {
                    f.held += d.amount_units;
                    if d.sweep_id.is_some() {
                        f.in_flight += d.amount_units;
                    }
                }
            }
            // Taken back by a reorg after it was sent on: a loss.
            DepositState::Dropped if swept => f.lost += d.amount_units,
            DepositState::Seen | DepositState::Dropped => {}
        }
    }
    let mut discrepancies = Vec::new();
    for s in sent.values() {
        let out = expected.entry(s.address.clone()).or_default();
        *out = out.saturating_sub(s.amount_units);
        match s.kind {
            SweepKind::Refund => f.refunded += s.amount_units,
            SweepKind::Sweep | SweepKind::Forward => {
                f.forwarded += s.amount_units.saturating_sub(s.fee_units);
                f.fees += s.fee_units;
            }
        }
    }
    for s in sweeps {
        let deposits = per_sweep.get(&s.id).copied().unwrap_or(0);
        if deposits != s.amount_units {
            discrepancies.push(Discrepancy::Sweep {
                id: s.id,
                amount: s.amount_units,
                deposits,
            });
        }
    }
    let accounted = (f.forwarded + f.fees + f.refunded + f.held).saturating_sub(f.lost);
    if accounted != f.received {
        discrepancies.push(Discrepancy::Books {
            received: f.received,
            accounted,
        });
    }
    Report {
        figures: f,
        expected,
        waiting,
        discrepancies,
    }
}

/// Check 3: each address's chain balance against the books.
pub fn compare_chain(report: &mut Report, chain: &BTreeMap<String, u64>) {
    for (address, books) in &report.expected {
        let on_chain = chain.get(address).copied().unwrap_or(0);
        if on_chain != *books {
            report.discrepancies.push(Discrepancy::Address {
                address: address.clone(),
                books: *books,
                chain: on_chain,
            });
        }
    }
}

/// The journal against the rows: each session's deposit account must hold
/// what the rows say its address holds, and the journal's totals must match
/// the figures. `address_of` maps session ids to their addresses.
pub fn compare_journal(report: &mut Report, entries: &[Entry], address_of: &BTreeMap<i64, String>) {
    let usdc: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind != EntryKind::Gas)
        .collect();
    let balances = balances(usdc.iter().copied());
    for (session_id, address) in address_of {
        let journal = balances
            .get(&deposit_account(*session_id))
            .copied()
            .unwrap_or(0);
        let books = report.expected.get(address).copied().unwrap_or(0);
        // Money seen but not yet counted is on chain, not in the journal.
        let waiting = report.waiting.get(address).copied().unwrap_or(0);
        if journal != i128::from(books) - i128::from(waiting) {
            report.discrepancies.push(Discrepancy::JournalAddress {
                address: address.clone(),
                journal,
                books: books.saturating_sub(waiting),
            });
        }
    }
    let t = totals(usdc.iter().copied());
    let get = |k: EntryKind| t.get(k.as_str()).copied().unwrap_or(0);
    let f = &report.figures;
    let received = (get(EntryKind::Counted) + get(EntryKind::Held))
        .saturating_sub(get(EntryKind::Reversed) + get(EntryKind::Loss));
    let checks = [
        ("received", received, f.received),
        (
            "forwarded",
            get(EntryKind::Forwarded) + get(EntryKind::Released),
            f.forwarded,
        ),
        ("fee", get(EntryKind::Fee), f.fees),
        ("refunded", get(EntryKind::Refunded), f.refunded),
        ("loss", get(EntryKind::Loss), f.lost),
    ];
    for (what, journal, books) in checks {
        if journal != u128::from(books) {
            report.discrepancies.push(Discrepancy::JournalTotal {
                what,
                journal,
                books,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deposit(
        address: &str,
        units: u64,
        state: DepositState,
        sweep: Option<i64>,
    ) -> BookedDeposit {
        BookedDeposit {
            address: address.into(),
            amount_units: units,
            state,
            sweep_id: sweep,
        }
    }

    fn sweep(id: i64, address: &str, kind: SweepKind, amount: u64, fee: u64) -> BookedSweep {
        BookedSweep {
            id,
            address: address.into(),
            kind,
            state: SweepState::Sent,
            amount_units: amount,
            fee_units: fee,
        }
    }

    #[test]
    fn swept_held_and_refunded_money_adds_up_to_what_was_received() {
        let deposits = [
            deposit("0xa", 100, DepositState::Counted, Some(1)),
            deposit("0xa", 30, DepositState::Counted, None),
            deposit("0xb", 50, DepositState::Late, Some(2)),
            deposit("0xc", 20, DepositState::Seen, None),
            deposit("0xd", 9, DepositState::Dropped, None),
        ];
        let sweeps = [
            sweep(1, "0xa", SweepKind::Sweep, 100, 2),
            sweep(2, "0xb", SweepKind::Refund, 50, 0),
        ];
        let mut report = books(&deposits, &sweeps);
        assert_eq!(
            report.figures,
            Figures {
                received: 180,
                forwarded: 98,
                fees: 2,
                refunded: 50,
                held: 30,
                lost: 0,
                in_flight: 0,
            }
        );
        assert!(
            report.discrepancies.is_empty(),
            "{:?}",
            report.discrepancies
        );
        let chain = BTreeMap::from([("0xa".to_string(), 30), ("0xc".to_string(), 20)]);
        compare_chain(&mut report, &chain);
        assert!(
            report.discrepancies.is_empty(),
            "{:?}",
            report.discrepancies
        );
    }

    #[test]
    fn a_sweep_moving_more_than_its_deposits_is_caught() {
        let deposits = [deposit("0xa", 100, DepositState::Counted, Some(1))];
        let sweeps = [sweep(1, "0xa", SweepKind::Sweep, 130, 0)];
        let report = books(&deposits, &sweeps);
        assert!(report.discrepancies.contains(&Discrepancy::Sweep {
            id: 1,
            amount: 130,
            deposits: 100
        }));
    }

    #[test]
    fn a_balance_the_books_do_not_explain_is_caught() {
        let deposits = [deposit("0xa", 100, DepositState::Counted, Some(1))];
        let sweeps = [sweep(1, "0xa", SweepKind::Sweep, 100, 0)];
        let mut report = books(&deposits, &sweeps);
        compare_chain(&mut report, &BTreeMap::from([("0xa".to_string(), 100)]));
        assert_eq!(
            report.discrepancies.len(),
            1,
            "the sweep never left: {report:?}"
        );
    }

    #[test]
    fn a_reversal_after_forwarding_is_a_loss_not_a_mismatch() {
        let deposits = [deposit("0xa", 100, DepositState::Dropped, Some(1))];
        let sweeps = [sweep(1, "0xa", SweepKind::Sweep, 100, 0)];
        let report = books(&deposits, &sweeps);
        assert_eq!(report.figures.lost, 100);
        assert_eq!(report.figures.received, 0);
        assert!(
            report.discrepancies.is_empty(),
            "{:?}",
            report.discrepancies
        );
    }

    #[test]
    fn money_in_a_sweep_not_yet_sent_is_still_held() {
        let deposits = [deposit("0xa", 100, DepositState::Counted, Some(1))];
        let mut pending = sweep(1, "0xa", SweepKind::Sweep, 100, 0);
        pending.state = SweepState::Sending;
        let report = books(&deposits, &[pending]);
        assert_eq!(report.figures.held, 100);
        assert_eq!(report.figures.in_flight, 100);
        assert_eq!(report.expected["0xa"], 100);
        assert!(report.discrepancies.is_empty());
    }
}
