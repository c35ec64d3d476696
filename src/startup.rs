//! Wiring: binds the listener (port 0 in tests), migrates the database,
//! starts the actors and the HTTP server. The one place that knows everything.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use actix::Actor;
use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware::from_fn, web};
use anyhow::Context;
use governor::{Quota, RateLimiter};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::actors::chain_watcher::ChainWatch;
use crate::actors::creator::SessionCreator;
use crate::actors::expiry::ExpirySweeper;
use crate::actors::handle::Sessions;
use crate::actors::key_usage::KeyUses;
use crate::actors::leadership::{Leadership, LeadershipActor, LeaseSettings};
use crate::actors::payout::Payouts;
use crate::actors::registry::SessionRegistry;
use crate::actors::sandbox::SandboxPayments;
use crate::actors::session::SessionDeps;
use crate::actors::supervision;
use crate::actors::webhook_sender::{SenderSettings, StopSending, WebhookSender, claim_lease};
use crate::api;
use crate::app::sessions::open::{SessionOpener, SessionRules, platform_domain};
use crate::chain::hd::HdWallet;
use crate::clock::SharedClock;
use crate::config::{Mode, Settings};
use crate::domain::session::Policy;
use crate::http::{self, auth_cache::AuthCache, state::AppState};
use crate::store::Store;
use crate::store::lease::{CHAIN_LEADER, Fence};
use crate::webhooks::delivery::Deliverer;

mod chain;

/// How often recorded API key uses are written ("last used" precision).
const KEY_USES_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

use chain::PendingWatcher;

/// A built application: listening, not yet serving.
pub struct Application {
    address: SocketAddr,
    server: Server,
    store: Store,
    sessions: Sessions,
    chain_watch: ChainWatch,
    payouts: Payouts,
    key_uses: KeyUses,
    auth_cache: Arc<AuthCache>,
    leadership: Leadership,
    /// Stopped after the server, so this node's webhook claims can be given back.
    webhooks: actix::Addr<WebhookSender>,
}

impl Application {
    /// Connects, migrates, starts the actors and binds `settings.bind`.
    /// Must run inside the actix system (actors live on its arbiter).
    pub async fn build(settings: Settings, clock: SharedClock) -> anyhow::Result<Application> {
        // First: actors record figures from their first moment on.
        let metrics = metrics_handle()?;
        let store = Store::connect(&settings.database).await?;
        store.migrate().await?;
        if store.sqlite_stable_plans().await? == Some(false) {
            tracing::warn!(
                "SQLite was built without SQLITE_ENABLE_QPSG (set by .cargo/config.toml): statements with a bound LIMIT are planned again at every use"
            );
        }
        seal_secrets_at_rest(&store, &clock).await?;
        let wallet = HdWallet::load(&settings.chain.wallet)?;
        let listener = TcpListener::bind(settings.bind).with_context(|| {
            format!(
                "setting `bind` (KASSA_BIND): cannot listen on {}",
                settings.bind
            )
        })?;
        let address = listener.local_addr()?;
        let public_base = settings.public_base(address);
        let settings = Arc::new(settings);
        let node = settings
            .node_id
            .clone()
            .unwrap_or_else(|| default_node_id(address.port()));
        let (leadership, fence) = lead_at_start(&store, &node, settings.leader_lease).await?;

        if settings.webhook_allow_private {
            tracing::warn!(
                "webhook_allow_private is ON: webhooks may target loopback and private addresses (SSRF guard off); never use this in production"
            );
        }
        let deliverer = Deliverer::new(
            settings.webhook_timeout,
            settings.webhook_allow_private,
            settings.mode == Mode::Live,
            settings.webhook_endpoint_concurrency,
        )?;
        let webhooks = WebhookSender::new(
            store.clone(),
            clock.clone(),
            deliverer.clone(),
            SenderSettings {
                per_endpoint: settings.webhook_endpoint_concurrency,
                tick: settings.webhook_tick,
                node: node.clone(),
                lease: claim_lease(settings.webhook_timeout),
            },
        )
        .start();

        let page_secret = crate::providers::page_secret::load(
            settings.page_secret.as_ref(),
            &settings.page_secret_file,
        )?;
        let router = start_router(
            &settings,
            &store,
            &public_base,
            page_secret.clone(),
            clock.clone(),
        )
        .await?;

        let deps_grace_ms = i64::try_from(settings.grace_period.as_millis()).unwrap_or(i64::MAX);
        let deps = SessionDeps {
            store: store.clone(),
            clock: clock.clone(),
            policy: Policy {
                grace_ms: deps_grace_ms,
                tolerance_units: settings.underpayment_tolerance_units,
            },
            idle: settings.session_idle,
            webhooks: Some(webhooks.clone().recipient()),
            router: Some(router.clone()),
        };
        let registry = SessionRegistry::new(deps).start();
        let watcher = PendingWatcher::prepare(&settings.chain, &store, &clock).await?;
        let watch = watcher.handle();
        let ledger = watcher.ledger();
        let creator = SessionCreator::new(
            store.clone(),
            wallet.clone(),
            settings.create_batch_max,
            Some(watch.clone()),
        )
        .start();
        let sessions = Sessions::new(creator, registry);
        let payouts = chain::start_payouts(
            &watcher,
            &settings.chain,
            &settings.payouts,
            &store,
            sessions.clone(),
            clock.clone(),
            wallet,
            fence.clone(),
        )?;
        watcher
            .run(
                &settings.chain,
                &store,
                sessions.clone(),
                clock.clone(),
                fence,
            )
            .await?;
        ExpirySweeper::new(
            store.clone(),
            clock.clone(),
            sessions.clone(),
            settings.expiry_sweep_interval,
            deps_grace_ms,
        )
        .start();
        let sandbox = ledger
            .filter(|_| settings.mode == Mode::Sandbox)
            .map(|ledger| {
                SandboxPayments::new(
                    sessions.clone(),
                    store.clone(),
                    ledger,
                    watch.clone(),
                    settings.chain.usdc_contract.address(),
                    chain::sandbox_confirm_blocks(&settings.chain, settings.payouts.confirmations),
                )
            });

        let quota = Quota::per_second(
            std::num::NonZeroU32::new(settings.rate_limit_per_second)
                .unwrap_or(std::num::NonZeroU32::MIN),
        )
        .allow_burst(
            std::num::NonZeroU32::new(settings.rate_limit_burst)
                .unwrap_or(std::num::NonZeroU32::MIN),
        );
        let auth_cache = Arc::new(AuthCache::new(settings.auth_cache_ttl));
        http::key_revocations::start(&store, &auth_cache).await;
        let key_uses = KeyUses::start(store.clone(), KEY_USES_FLUSH_EVERY);
        let opener = SessionOpener::new(
            sessions.clone(),
            router.clone(),
            clock.clone(),
            session_rules(&settings, &public_base)?,
        );
        let state = web::Data::new(AppState {
            store: store.clone(),
            sessions: sessions.clone(),
            opener,
            payouts: payouts.clone(),
            chain: watch.clone(),
            sandbox,
            router,
            clock,
            settings: settings.clone(),
            public_base,
            page_secret,
            limiter: RateLimiter::keyed(quota),
            admission: http::admission::Admission::new(
                settings.api_create_concurrency,
                settings.api_status_concurrency,
                settings.api_queue,
            ),
            login_limiter: RateLimiter::keyed(crate::http::account::login_quota()),
            storefront_limiter: RateLimiter::keyed(crate::pages::storefront::open_quota()),
            auth_cache: auth_cache.clone(),
            key_uses: key_uses.clone(),
            deliverer,
            metrics,
            leadership: leadership.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(http::middleware::observe))
                .configure(api::routes)
                .configure(crate::pages::routes)
                .default_service(web::to(api::not_found))
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(5)
        .run();
        Ok(Application {
            address,
            server,
            store,
            sessions,
            chain_watch: watch,
            payouts,
            key_uses,
            auth_cache,
            leadership,
            webhooks,
        })
    }

    /// The address actually bound (its port is the real one when 0 was asked).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The chain watcher (tests and benchmarks run a step with `sync`).
    pub fn chain_watch(&self) -> &ChainWatch {
        &self.chain_watch
    }

    /// The payout actor (tests run a step with `run`).
    pub fn payouts(&self) -> &Payouts {
        &self.payouts
    }

    /// The API key use recorder (tests flush it with `flush`).
    pub fn key_uses(&self) -> &KeyUses {
        &self.key_uses
    }

    /// The cache of authenticated keys (a revocation through this node
    /// passes it to `app::api_keys::revoke`).
    pub fn auth_cache(&self) -> &Arc<AuthCache> {
        &self.auth_cache
    }

    /// This node's hold on the chain leader's lease (its name, whether it
    /// leads, the release).
    pub fn leadership(&self) -> &Leadership {
        &self.leadership
    }

    /// A handle that stops the server gracefully.
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped, then gives the chain leader's
    /// lease up (another node takes over at once) and writes the API key
    /// uses still in memory.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.leadership.release().await;
        if let Err(e) = self.key_uses.flush().await {
            tracing::warn!(error = %e, "could not record the last API key uses at shutdown");
        }
        // Deliveries cut short here are given back, so another node sends
        // them at once rather than when their claims lapse.
        if let Err(e) = self.webhooks.send(StopSending).await {
            tracing::warn!(error = %e, "the webhook sender was already gone at shutdown");
        }
        served
    }
}

/// `host:port`: the host name (from the kernel, else `HOSTNAME`, else
/// `localhost`) and the bound port, unique among nodes that each bind
/// their own port on their own host.
fn default_node_id(port: u16) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{port}")
}

/// Tries for the chain leader's lease once before the actors start (so a
/// lone node leads from its first moment), then starts the actor that
/// keeps trying or renewing. On SQLite the lease is taken whoever held
/// it last: the single-node lock means that holder has ended.
async fn lead_at_start(
    store: &Store,
    node: &str,
    ttl: std::time::Duration,
) -> anyhow::Result<(Leadership, Arc<Fence>)> {
    let fence = Fence::new(CHAIN_LEADER, node);
    let sent = std::time::Instant::now();
    let token = if store.may_have_other_nodes() {
        store.try_acquire_lease(CHAIN_LEADER, node, ttl).await
    } else {
        store.take_lease(CHAIN_LEADER, node, ttl).await
    }
    .context("taking the chain leader's lease")?;
    fence.set(token);
    match token {
        Some(token) => tracing::info!(
            node,
            token,
            "this node leads: chain watcher and payouts run here"
        ),
        None => tracing::info!(
            node,
            "another node leads the chain watcher and payouts; this one stands by"
        ),
    }
    if token.is_some() {
        metrics::counter!("kassa_leader_changes_total").increment(1);
    }
    let actor =
        LeadershipActor::new(store.clone(), fence.clone(), LeaseSettings::new(ttl), sent).start();
    Ok((Leadership::of(actor, fence.clone()), fence))
}

/// Checks that the secrets key opens what the database holds sealed, then
/// seals in place the secrets still in the clear from before encryption
/// (an audit line says how many).
pub async fn seal_secrets_at_rest(store: &Store, clock: &SharedClock) -> anyhow::Result<()> {
    store
        .verify_secrets_key()
        .await
        .context("checking the secrets key against the database")?;
    let sealed = store
        .seal_plaintext_secrets()
        .await
        .context("sealing secrets stored in the clear")?;
    if sealed.merchants > 0 {
        tracing::info!(
            merchants = sealed.merchants,
            "sealed webhook secrets that were stored in the clear"
        );
        crate::app::audit_log::record(
            store,
            clock.now_ms(),
            crate::domain::audit::AuditActor::System,
            crate::domain::audit::AuditAction::SecretsEncrypted,
            "merchants.webhook_secret",
            None,
            Some(serde_json::json!({ "merchants": sealed.merchants })),
        )
        .await?;
    }
    Ok(())
}

/// Imports the `routing_file` setting's file when the database holds no
/// routing yet, then starts the router on the database's live routing.
async fn start_router(
    settings: &Settings,
    store: &Store,
    public_base: &str,
    page_secret: crate::domain::page_token::PageSecret,
    clock: SharedClock,
) -> anyhow::Result<crate::actors::router::Router> {
    use crate::actors::router::{Router, RouterActor, RouterSetup};
    use crate::app::routing_admin::{RoutingScope, import_file_at_start};
    let sandbox = settings.mode == Mode::Sandbox;
    if let Some(path) = &settings.routing_file {
        let scope = RoutingScope {
            store,
            sandbox,
            onramp: &settings.onramp,
        };
        let imported = import_file_at_start(&scope, path, clock.now_ms())
            .await
            .map_err(|e| anyhow::anyhow!("setting `routing_file` (KASSA_ROUTING_FILE): {e}"))?;
        if imported {
            tracing::info!(path = %path.display(), "imported the routing file into the database (it is not read again)");
        } else {
            tracing::info!(path = %path.display(), "routing_file ignored: the database already holds the routing (use `kassa routing import`)");
        }
    }
    let factory = crate::providers::ProviderFactory::new(
        settings.onramp.clone(),
        public_base,
        page_secret,
        sandbox,
    );
    let actor = RouterActor::load(RouterSetup {
        factory,
        store: store.clone(),
        clock: clock.clone(),
        sandbox,
        setting_enabled: settings.smart_router_enabled,
        reload_every: settings.routing_reload,
        cooldown: settings.provider_cooldown,
    })
    .await?;
    let view = actor.view();
    Ok(Router::new(
        actor.start(),
        settings.smart_router_enabled,
        view,
        clock,
    ))
}

/// Bounds of the histograms that count batch sizes.
const BATCH_SIZE_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The process-wide Prometheus recorder, installed once.
fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut slot = HANDLE
        .lock()
        .map_err(|_| anyhow::anyhow!("metrics recorder lock poisoned"))?;
    if let Some(h) = slot.as_ref() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets(&[
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ])
        .context("metrics buckets")?
        // The admin console's figures count into these same bounds.
        .set_buckets_for_metric(
            Matcher::Full(supervision::HANDLING_SECONDS.into()),
            &supervision::HANDLING_BUCKETS,
        )
        .context("actor handling buckets")?
        // Batch sizes, not durations: counted in sessions or transitions.
        .set_buckets_for_metric(
            Matcher::Full("kassa_create_batch_size".into()),
            &BATCH_SIZE_BUCKETS,
        )
        .context("batch size buckets")?
        .set_buckets_for_metric(
            Matcher::Full("kassa_store_group_commit_size".into()),
            &BATCH_SIZE_BUCKETS,
        )
        .context("batch size buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    crate::metric_families::register();
    *slot = Some(handle.clone());
    Ok(handle)
}

/// The rules every new session follows, from the settings (the server's
/// session opener, and the CLI's checks of links and products).
pub fn session_rules(settings: &Settings, public_base: &str) -> anyhow::Result<SessionRules> {
    Ok(SessionRules {
        rates: settings.rates.clone(),
        max_amount: settings.max_amount,
        lifetime: settings.session_lifetime,
        sandbox: settings.mode == Mode::Sandbox,
        platform_domain: platform_domain(public_base)
            .context("the public URL's host as the platform's shop domain")?,
    })
}
