//! Wiring of the chain side: which chain the watcher reads (the node in live
//! mode, the sandbox ledger otherwise), the node's chain id checked at
//! start, and the watched set loaded from every address ever issued. The
//! watcher and the payout actor get stores fenced by the chain leader's
//! lease, and step only while this node leads.
//!
//! The watcher's address exists before the actor runs, so the session
//! creator (which the watcher's session handle contains) can be told where
//! to announce new addresses.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, AsyncContext, Context};
use alloy_primitives::Address;
use anyhow::{Context as _, bail};

use crate::actors::chain_watcher::{ChainWatch, ChainWatcher, WatcherParts, WatcherSettings};
use crate::actors::handle::Sessions;
use crate::actors::payout::{GasLevels, PayoutActor, PayoutDeps, PayoutRules, Payouts};
use crate::chain::hd::HdWallet;
use crate::chain::ledger::{self, SandboxLedger};
use crate::chain::rpc::RpcChain;
use crate::chain::sender::ChainSender;
use crate::chain::settings::{ChainSettings, Eip3009, PayoutSettings};
use crate::chain::signer::GasAccounts;
use crate::chain::source::{ChainError, ChainSource};
use crate::clock::SharedClock;
use crate::domain::confirmation::ConfirmationPolicy;
use crate::store::Store;
use crate::store::lease::Fence;

/// How long one JSON-RPC request may take.
const RPC_TIMEOUT: Duration = Duration::from_secs(10);

/// A watcher whose address is known but which is not running yet.
pub enum PendingWatcher {
    Live(Context<ChainWatcher<RpcChain>>, RpcChain),
    Sandbox(Context<ChainWatcher<SandboxLedger>>, SandboxLedger),
}

impl PendingWatcher {
    /// The node of live mode (its chain id checked when it answers), or the
    /// ledger of sandbox mode.
    pub async fn prepare(
        chain: &ChainSettings,
        store: &Store,
        clock: &SharedClock,
    ) -> anyhow::Result<PendingWatcher> {
        match &chain.rpc_url {
            Some(url) => {
                let rpc = RpcChain::new(url, RPC_TIMEOUT)
                    .context("setting `chain_rpc_url` (KASSA_CHAIN_RPC_URL)")?;
                check_chain_id(&rpc, chain.chain_id).await?;
                Ok(PendingWatcher::Live(Context::new(), rpc))
            }
            None => Ok(PendingWatcher::Sandbox(
                Context::new(),
                SandboxLedger::new(store.clone(), ledger::FINALITY_DEPTH, clock.clone()),
            )),
        }
    }

    pub fn handle(&self) -> ChainWatch {
        match self {
            PendingWatcher::Live(ctx, _) => ChainWatch::of(&ctx.address()),
            PendingWatcher::Sandbox(ctx, _) => ChainWatch::of(&ctx.address()),
        }
    }

    pub fn ledger(&self) -> Option<SandboxLedger> {
        match self {
            PendingWatcher::Live(..) => None,
            PendingWatcher::Sandbox(_, ledger) => Some(ledger.clone()),
        }
    }

    /// Loads the watched set and runs the watcher, led by `fence`.
    pub async fn run(
        self,
        chain: &ChainSettings,
        store: &Store,
        sessions: Sessions,
        clock: SharedClock,
        fence: Arc<Fence>,
    ) -> anyhow::Result<()> {
        let loaded_at_ms = clock.now_ms();
        let watched = watched_set(store).await?;
        let parts = WatcherParts {
            store: store.with_fence(fence.clone()),
            sessions,
            clock,
            settings: watcher_settings(chain),
            watched,
            loaded_at_ms,
            fence,
            shared_database: store.may_have_other_nodes(),
        };
        match self {
            PendingWatcher::Live(ctx, rpc) => {
                ctx.run(ChainWatcher::new(rpc, parts));
            }
            PendingWatcher::Sandbox(ctx, ledger) => {
                ctx.run(ChainWatcher::new(ledger, parts));
            }
        }
        Ok(())
    }
}

/// Starts the payout actor on the node of live mode, or on the sandbox
/// ledger (which executes the same signed transactions), led by `fence`.
#[expect(
    clippy::too_many_arguments,
    reason = "wiring: each is one independent piece"
)]
pub fn start_payouts(
    pending: &PendingWatcher,
    chain_settings: &ChainSettings,
    payouts: &PayoutSettings,
    store: &Store,
    sessions: Sessions,
    clock: SharedClock,
    wallet: HdWallet,
    fence: Arc<Fence>,
) -> anyhow::Result<Payouts> {
    let gas = GasAccounts::load(&payouts.gas_keys)?;
    tracing::info!(accounts = ?gas.addresses(), "payouts: gas accounts loaded");
    let deps = PayoutDeps {
        chain: (),
        store: store.with_fence(fence.clone()),
        sessions,
        clock,
        wallet,
        gas,
        rules: payout_rules(chain_settings, payouts),
        token_info: Arc::new(tokio::sync::Mutex::new(None)),
        gas_levels: GasLevels::default(),
    };
    Ok(match pending {
        PendingWatcher::Live(_, rpc) => run_payouts(deps.on(rpc.clone()), payouts.poll, fence),
        PendingWatcher::Sandbox(_, ledger) => {
            let ledger = match payouts.eip3009 {
                Eip3009::Off => ledger.clone().without_eip3009(),
                Eip3009::Auto | Eip3009::On => ledger.clone(),
            };
            run_payouts(deps.on(ledger), payouts.poll, fence)
        }
    })
}

fn run_payouts<C: ChainSender + Clone + Unpin>(
    deps: PayoutDeps<C>,
    poll: Duration,
    fence: Arc<Fence>,
) -> Payouts {
    let levels = deps.gas_levels.clone();
    Payouts::of(&PayoutActor::new(deps, poll, fence).start(), levels)
}

/// The payout actor's rules from the chain and payouts sections.
pub fn payout_rules(chain: &ChainSettings, payouts: &PayoutSettings) -> PayoutRules {
    PayoutRules {
        token: chain.usdc_contract.address(),
        chain_id: chain.chain_id,
        fee_wallet: payouts.fee_wallet.as_ref().map(|w| w.address()),
        fee_bps: payouts.platform_fee_bps,
        confirmations: payouts.confirmations,
        stuck_blocks: payouts.stuck_blocks,
        min_priority_fee_wei: payouts.min_priority_fee_wei,
        eip3009: payouts.eip3009,
        transfer_gas: TRANSFER_GAS,
    }
}

/// Gas limit of one token transfer: USDC's `transferWithAuthorization`
/// uses about 60 000–90 000; unused gas is not charged.
const TRANSFER_GAS: u64 = 150_000;

/// The watcher's reading rules from the chain section.
pub fn watcher_settings(chain: &ChainSettings) -> WatcherSettings {
    WatcherSettings {
        token: chain.usdc_contract.address(),
        policy: ConfirmationPolicy {
            required: chain.required_confirmations,
            finality: chain.finality,
            large_units: chain.large_payment_units,
        },
        poll: chain.poll,
        head_lag: chain.head_lag_blocks,
        max_range: chain.max_block_range,
    }
}

/// Blocks a sandbox payment mines on top of its own so that it counts at
/// once: deep enough, final on the ledger, within the scanned range, and
/// deep enough to be swept to the merchant.
pub fn sandbox_confirm_blocks(chain: &ChainSettings, payout_confirmations: u64) -> u64 {
    chain
        .required_confirmations
        .max(payout_confirmations)
        .saturating_sub(1)
        .max(chain.head_lag_blocks)
        .max(ledger::FINALITY_DEPTH)
}

/// Refuses to start on the wrong chain; a node that does not answer yet is
/// only a warning (the watcher keeps trying and catches up).
async fn check_chain_id(rpc: &RpcChain, expected: u64) -> anyhow::Result<()> {
    match rpc.chain_id().await {
        Ok(id) if id == expected => Ok(()),
        Ok(id) => bail!(
            "setting `chain_id` (KASSA_CHAIN_ID): the node at KASSA_CHAIN_RPC_URL reports chain {id}, not {expected}"
        ),
        Err(ChainError::Unavailable(why)) => {
            tracing::warn!(error = %why, "the chain node does not answer yet; the chain watcher will keep trying");
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e).context("asking the chain node for its chain id")),
    }
}

/// Every deposit address ever issued, with its session; read in pages into
/// a map sized once.
async fn watched_set(store: &Store) -> anyhow::Result<HashMap<Address, i64>> {
    let count = usize::try_from(store.deposit_address_count().await?).unwrap_or(0);
    let mut watched = HashMap::with_capacity(count);
    let mut pages = store.address_pages();
    while let Some(rows) = pages.next().await? {
        for (id, address) in rows {
            let address: Address = address
                .parse()
                .with_context(|| format!("session {id} has an unreadable deposit address"))?;
            watched.insert(address, id);
        }
    }
    Ok(watched)
}
