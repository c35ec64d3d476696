//! `GET /healthz` (the process is up) and `GET /readyz` (the database answers
//! and every migration is applied; it also warns, without failing, when a
//! gas account holds less POL than `gas_low_pol`, and names the node and
//! whether it leads the chain watcher and payouts).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "ok": true, "status": "up", "version": env!("CARGO_PKG_VERSION") }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.readiness().await {
        Ok(true) => {
            let mut body = json!({
                "ok": true,
                "database": "up",
                "migrations": "applied",
                "node": state.leadership.node(),
                "leader": state.leadership.is_leader(),
            });
            let low = state.settings.payouts.gas_low_wei;
            let levels = state.payouts.gas_levels();
            let warnings: Vec<String> = levels
                .iter()
                .filter(|(_, wei)| **wei < low)
                .map(|(account, wei)| {
                    format!(
                        "gas account {account} holds {} POL, below gas_low_pol ({} POL): sweeps will stop when it runs dry",
                        pol(*wei),
                        pol(low)
                    )
                })
                .collect();
            body["gas_pol"] = levels
                .iter()
                .map(|(account, wei)| (account.clone(), json!(pol(*wei))))
                .collect::<serde_json::Map<_, _>>()
                .into();
            if !warnings.is_empty() {
                body["warnings"] = json!(warnings);
            }
            HttpResponse::Ok().json(body)
        }
        Ok(false) => HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(json!({
                "ok": false,
                "database": "up",
                "migrations": "pending",
                "node": state.leadership.node(),
            })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "1"))
                .json(json!({ "ok": false, "database": "down", "node": state.leadership.node() }))
        }
    }
}

/// Wei as POL with up to 6 decimals ("12.5", "0.000001").
fn pol(wei: u128) -> String {
    let micro = wei / 1_000_000_000_000;
    let whole = micro / 1_000_000;
    let fraction = micro % 1_000_000;
    if fraction == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{fraction:06}")
            .trim_end_matches('0')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::pol;

    #[test]
    fn wei_reads_as_pol() {
        assert_eq!(pol(5_000_000_000_000_000_000), "5");
        assert_eq!(pol(12_500_000_000_000_000_000), "12.5");
        assert_eq!(pol(1_000_000_000_000), "0.000001");
        assert_eq!(pol(0), "0");
    }
}
