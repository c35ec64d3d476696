//! `GET /metrics`: Prometheus text. Figures read from the database
//! (sessions by status, sweeps by state, the webhook backlog) and the session registry are
//! refreshed at scrape time; everything else is recorded where it happens.
//! Every family is registered at zero at startup (`metric_families`), so a
//! figure the database cannot give now keeps its last value.

use actix_web::{HttpResponse, web};

use crate::actors::supervision::{self, ActorKind};
use crate::actors::webhook_sender::publish_queue;
use crate::http::state::AppState;

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (stats, depth) = state.sessions.stats().await;
    metrics::gauge!("kassa_registry_live_actors").set(stats.live as f64);
    metrics::gauge!("kassa_registry_mailbox_depth").set(depth as f64);
    supervision::set_live(ActorKind::Session, stats.live);
    metrics::gauge!(supervision::MAILBOX_DEPTH, "actor" => ActorKind::Session.as_str())
        .set(depth as f64);
    if let Ok(counts) = state.store.count_by_status().await {
        for (status, n) in counts {
            metrics::gauge!("kassa_sessions", "status" => status.as_str()).set(n as f64);
        }
    }
    if let Ok(counts) = state.store.count_sweeps_by_state().await {
        for (sweep_state, n) in counts {
            metrics::gauge!("kassa_payouts", "state" => sweep_state.as_str()).set(n as f64);
        }
    }
    if let Ok((depth, oldest)) = state.store.webhook_queue().await {
        publish_queue(depth, oldest, state.clock.now_ms());
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
