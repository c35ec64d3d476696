//! `GET /dashboard/wallet` shows the payout wallet in force and a change
//! still waiting out its cool-off (with when it takes effect and a cancel
//! button); `POST` asks for a new wallet (the current password is asked
//! again, the same address rules and messages as the API) or cancels the
//! waiting change. A merchant's door always waits out the cool-off; only
//! the operator's CLI may skip it. Each change is announced by a signed
//! webhook (in `app::merchants`) and written to the security log.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::error::DashError;
use super::form::FieldErrors;
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::security::{check_current, log_change};
use super::{Done, redirect, render};
use crate::app::merchants::payout_wallet::{
    Timing, cancel_payout_wallet_change, current_payout_wallet, request_payout_wallet_change,
};
use crate::app::merchants::{FieldError, MerchantError};
use crate::clock::format_doc_time;
use crate::domain::security_event::SecurityEventKind;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/wallet.html")]
struct WalletPage {
    frame: Frame,
    wallet: Option<String>,
    /// The waiting change: the wallet and when it takes effect (UTC).
    pending: Option<(String, String)>,
    cooloff_hours: u64,
    typed: String,
    errors: FieldErrors,
}

/// `GET /dashboard/wallet`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = match query.done.as_deref() {
        Some("now") => Some("Payout wallet changed.".to_string()),
        Some("scheduled") => Some(
            "Change requested. It takes effect after the cool-off; until then payouts go to the current wallet."
                .to_string(),
        ),
        Some("cancelled") => Some("The waiting change was cancelled.".to_string()),
        _ => None,
    };
    page(&state, &ctx, String::new(), FieldErrors::default(), notice).await
}

/// `POST /dashboard/wallet` with `action=change` (`wallet`, `current`) or `action=cancel`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let rules = state.settings.wallet_change;
    let id = ctx.merchant.id;
    let (kind, detail, done) = match form.get("action") {
        Some("change") => {
            let typed = form.text("wallet");
            let mut errors = FieldErrors::default();
            match check_current(&state, &ctx, &form).await {
                Ok(None) => {}
                Ok(Some(message)) => {
                    errors.add("current", message);
                    return page(&state, &ctx, typed, errors, None).await;
                }
                Err(refusal) => return refusal,
            }
            let change = match request_payout_wallet_change(
                &state.store,
                id,
                &typed,
                Timing::AfterCoolOff,
                rules,
                ctx.now_ms,
            )
            .await
            {
                Ok(change) => change,
                Err(MerchantError::Field(FieldError::PayoutWallet(_))) => {
                    errors.add(
                        "wallet",
                        "Enter a Polygon address: 0x followed by 40 hexadecimal characters.",
                    );
                    return page(&state, &ctx, typed, errors, None).await;
                }
                Err(e) => return refuse(&state, e.into()),
            };
            let detail = if change.in_force {
                format!("now {}", change.wallet)
            } else {
                format!(
                    "{} from {} UTC",
                    change.wallet,
                    format_doc_time(change.effective_at_ms)
                )
            };
            let done = if change.in_force { "now" } else { "scheduled" };
            (SecurityEventKind::PayoutWalletChangeRequested, detail, done)
        }
        Some("cancel") => {
            match cancel_payout_wallet_change(&state.store, id, rules, ctx.now_ms).await {
                Ok(dropped) => (
                    SecurityEventKind::PayoutWalletChangeCancelled,
                    format!("dropped {}", dropped.wallet),
                    "cancelled",
                ),
                // Nothing waits any more (it took effect or was cancelled elsewhere).
                Err(MerchantError::NoPendingWalletChange(_)) => {
                    return redirect(&state, "/dashboard/wallet");
                }
                Err(e) => return refuse(&state, e.into()),
            }
        }
        _ => return refuse(&state, DashError::NotFound),
    };
    if let Err(refusal) = log_change(&state, &ctx, kind, &detail).await {
        return refusal;
    }
    redirect(&state, &format!("/dashboard/wallet?done={done}"))
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    typed: String,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let view = match current_payout_wallet(&state.store, ctx.merchant.id, ctx.now_ms).await {
        Ok(view) => view,
        Err(e) => return refuse(state, e.into()),
    };
    let status = errors.status();
    let frame = ctx.frame(state, "Payout wallet", "/dashboard/wallet", notice);
    let page = WalletPage {
        frame,
        wallet: view.wallet,
        pending: view.pending.map(|p| {
            (
                p.wallet,
                format!("{} UTC", format_doc_time(p.effective_at_ms)),
            )
        }),
        cooloff_hours: state.settings.wallet_change.cooloff.as_secs() / 3600,
        typed,
        errors,
    };
    render(state, status, &ctx.nonce, page)
}
