//! `GET /metrics`: Prometheus text. Figures read from the database
//! (sessions by status, sweeps by state, the webhook backlog) and the
//! session registry are refreshed at scrape time from one operations
//! snapshot (`app::operations`, the same the admin console shows);
//! everything else is recorded where it happens. Every family is registered
//! at zero at startup (`metric_families`), so a figure the database cannot
//! give now keeps its last value.

use actix_web::{HttpResponse, web};

use crate::app::operations::{self, Sources};
use crate::http::state::AppState;

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let sources = Sources {
        store: &state.store,
        sessions: &state.sessions,
        chain: &state.chain,
    };
    let snapshot = operations::snapshot(sources, state.clock.now_ms()).await;
    operations::publish(&snapshot);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
