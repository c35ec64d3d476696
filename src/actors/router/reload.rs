//! Following the live routing in the database: the poll of the routing
//! version (every `reload_every`, never two at once), reading the live
//! routing when it moved, and taking it in (configuration and the adapters
//! its credentials make), or refusing a stored version that does not read
//! and keeping the previous one. Reads only; never writes the database.

use actix::prelude::*;

use super::RouterActor;
use super::handle::ReloadRouting;
use crate::actors::supervision::{ActorKind, Handling};
use crate::domain::routing::RoutingConfig;
use crate::store::StoreError;
use crate::store::routing::StoredRouting;

impl RouterActor {
    /// Takes a version read from the database: its configuration and the
    /// adapters its credentials make. One that does not read is refused
    /// (logged, counted) and the previous one kept until the next version.
    pub(super) fn apply(&mut self, stored: StoredRouting) -> Result<(), String> {
        let version = stored.version;
        self.version = version;
        match config_of(&stored, self.sandbox) {
            Ok(config) => {
                self.config = config;
                self.providers = self.factory.build(&stored.credentials);
                metrics::counter!("kassa_routing_config_reloads_total", "result" => "ok")
                    .increment(1);
                metrics::gauge!("kassa_routing_config_version").set(version as f64);
                tracing::info!(version, "routing configuration reloaded");
                self.publish();
                Ok(())
            }
            Err(e) => {
                metrics::counter!("kassa_routing_config_reloads_total", "result" => "error")
                    .increment(1);
                tracing::warn!(version, error = %e, "stored routing refused; keeping the previous table");
                Err(e)
            }
        }
    }

    /// Reads the routing version and, when it moved, the live routing, then
    /// applies it. At most one poll runs at a time.
    pub(super) fn poll(&mut self, ctx: &mut Context<Self>) {
        if self.polling {
            return;
        }
        self.polling = true;
        let store = self.store.clone();
        let known = self.version;
        let read = async move {
            if store.routing_version().await? == known {
                return Ok(None);
            }
            store.live_routing().await.map(Some)
        };
        ctx.spawn(read.into_actor(self).map(
            |result: Result<Option<StoredRouting>, StoreError>, actor, _| {
                actor.polling = false;
                match result {
                    Ok(Some(stored)) => {
                        let _ = actor.apply(stored);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "could not read the routing version; keeping the current table");
                    }
                }
            },
        ));
    }
}

impl Handler<ReloadRouting> for RouterActor {
    type Result = ResponseActFuture<Self, Result<i64, String>>;
    fn handle(&mut self, _: ReloadRouting, _: &mut Self::Context) -> Self::Result {
        let _handling = Handling::begin(ActorKind::Router);
        let store = self.store.clone();
        Box::pin(
            async move { store.live_routing().await }
                .into_actor(self)
                .map(|read, actor, _| {
                    let stored = read.map_err(|e| e.to_string())?;
                    let version = stored.version;
                    actor.apply(stored).map(|()| version)
                }),
        )
    }
}

/// The configuration a stored version holds (`None`: the built-in table).
pub(super) fn config_of(stored: &StoredRouting, sandbox: bool) -> Result<RoutingConfig, String> {
    match &stored.config_json {
        Some(json) => RoutingConfig::from_json(json, sandbox),
        None => Ok(RoutingConfig::defaults(sandbox)),
    }
}
