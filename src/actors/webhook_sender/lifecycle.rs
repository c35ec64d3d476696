//! The sender's life: at start (on SQLite) it takes back the claims an
//! earlier process of this server left, then scans on every tick and every
//! [`Wake`]; at shutdown ([`StopSending`]) it gives this node's claims back
//! and stops. Delivery itself is in the parent module.

use actix::prelude::*;

use super::{StopSending, Wake, WebhookSender};
use crate::actors::supervision::{self, ActorKind, Handling};

impl Actor for WebhookSender {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        supervision::hold(ActorKind::WebhookSender, ctx);
        if self.store.backend() == sea_orm::DbBackend::Sqlite {
            // One server per SQLite database (the node lock): claims found
            // now were left by a process that ended, and are ours to redo.
            let store = self.store.clone();
            let clear = async move { store.clear_webhook_claims().await };
            ctx.wait(clear.into_actor(self).map(|cleared, act, ctx| {
                match cleared {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "took back webhook claims of an earlier run"),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not take back earlier webhook claims; they lapse with their lease")
                    }
                }
                act.scan(ctx);
            }));
        } else {
            self.scan(ctx);
        }
        ctx.run_interval(self.settings.tick, |act, ctx| act.scan(ctx));
    }
}

impl Handler<StopSending> for WebhookSender {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: StopSending, _: &mut Context<Self>) -> Self::Result {
        self.stopping = true;
        let store = self.store.clone();
        let node = self.settings.node.clone();
        let release = async move { store.release_node_webhook_claims(&node).await };
        Box::pin(release.into_actor(self).map(|released, _, ctx| {
            match released {
                Ok(n) => tracing::info!(count = n, "gave back webhook claims at shutdown"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not give back webhook claims at shutdown; they lapse with their lease")
                }
            }
            ctx.stop();
        }))
    }
}

impl Handler<Wake> for WebhookSender {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Context<Self>) {
        supervision::taken(ActorKind::WebhookSender);
        let _handling = Handling::begin(ActorKind::WebhookSender);
        self.scan(ctx);
    }
}
