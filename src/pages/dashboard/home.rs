//! `GET /dashboard`: the account's overview, the integration checklist
//! (shop domain, payout wallet, webhook, API key) with a link to each
//! setting, the base URL a shop's integration points to, and the paid
//! volume per day of the last 30 days as a chart (see [`super::chart`]).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::chart::{Chart, chart};
use super::frame::Frame;
use super::{guard, render};
use crate::app::{api_keys, sessions};
use crate::http::state::AppState;

/// One step of the checklist.
#[derive(Debug)]
pub struct Step {
    pub label: &'static str,
    pub done: bool,
    pub detail: String,
    pub href: &'static str,
    pub action: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard/home.html")]
struct HomePage {
    frame: Frame,
    steps: Vec<Step>,
    remaining: usize,
    base_url: String,
    chart: Chart,
    chart_days: u32,
}

/// `GET /dashboard`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let m = &ctx.merchant;
    let keys = match api_keys::list(&state.store, m.id).await {
        Ok(keys) => keys,
        Err(e) => return guard::refuse(&state, e.into()),
    };
    let volume = match sessions::paid_volume(&state.store, m.id, ctx.now_ms).await {
        Ok(v) => v,
        Err(e) => return guard::refuse(&state, e.into()),
    };
    let active_keys = keys.iter().filter(|k| k.is_active()).count();
    let steps = vec![
        Step {
            label: "Add your shop's domain",
            done: !m.domains.is_empty(),
            detail: match m.domains.len() {
                0 => "Sessions are accepted only for domains on your list.".into(),
                1 => m.domains.join(""),
                n => format!("{n} domains"),
            },
            href: "/dashboard/domains",
            action: "Shop domains",
        },
        Step {
            label: "Set the payout wallet",
            done: m.payout_wallet(ctx.now_ms).is_ok(),
            detail: m
                .payout_wallet(ctx.now_ms)
                .map(|w| w.checksummed())
                .unwrap_or_else(|_| "Where your USDC on Polygon is paid out.".into()),
            href: "/dashboard/wallet",
            action: "Payout wallet",
        },
        Step {
            label: "Set the webhook URL and secret",
            done: m.webhook_url.is_some(),
            detail: m.webhook_url.clone().unwrap_or_else(|| {
                "Your shop learns of each payment from a signed webhook.".into()
            }),
            href: "/dashboard/webhooks",
            action: "Webhooks",
        },
        Step {
            label: "Copy an API key into your shop",
            done: active_keys > 0,
            detail: match active_keys {
                0 => "No active key: the API refuses your shop until you create one.".into(),
                1 => "1 active key. Your shop sends it as Authorization: Bearer ….".into(),
                n => format!("{n} active keys. Your shop sends one as Authorization: Bearer …."),
            },
            href: "/dashboard/api-keys",
            action: "API keys",
        },
    ];
    let remaining = steps.iter().filter(|s| !s.done).count();
    let page = HomePage {
        frame: ctx.frame(&state, "Overview", "/dashboard", None),
        steps,
        remaining,
        base_url: state.public_base.clone(),
        chart: chart(&volume),
        chart_days: sessions::CHART_DAYS,
    };
    render(&state, StatusCode::OK, &ctx.nonce, page)
}
