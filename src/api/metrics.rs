//! `GET /metrics`: Prometheus text. Supervision figures and sessions by
//! status are refreshed at scrape time; HTTP figures are recorded by the
//! request middleware as requests happen.

use actix_web::{HttpResponse, web};

use crate::http::state::AppState;

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (stats, depth) = state.sessions.stats().await;
    metrics::gauge!("kassa_registry_live_actors").set(stats.live as f64);
    metrics::gauge!("kassa_registry_mailbox_depth").set(depth as f64);
    if let Ok(counts) = state.store.count_by_status().await {
        for (status, n) in counts {
            metrics::gauge!("kassa_sessions", "status" => status.as_str()).set(n as f64);
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
