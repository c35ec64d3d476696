//! `GET /admin/attention`: the attention queue (`app::attention`) — late
//! deposits, failed payouts, dead-letter webhooks and parked endpoints —
//! with one form per item for its action; `POST /admin/attention` with
//! `kind` and `target` carries it out as the signed-in operator (the lever
//! writes the audit line) and comes back with a notice, or shows the page
//! again with why it was refused.
//!
//! Must not: act without `app::attention::act` (its checks and audit line).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use crate::app::attention::{self, Acted, AttentionError, AttentionItem, Requester};
use crate::clock::format_doc_time;
use crate::domain::attention::{AttentionKind, Target};
use crate::domain::audit::AuditActor;
use crate::http::state::AppState;
use crate::pages::dashboard::error::DashError;
use crate::pages::dashboard::{redirect, render};

/// One kind's items, as shown.
#[derive(Debug)]
struct Group {
    kind: &'static str,
    title: &'static str,
    what: &'static str,
    button: &'static str,
    rows: Vec<Row>,
    truncated: bool,
}

#[derive(Debug)]
struct Row {
    target: String,
    merchant_id: i64,
    session_id: Option<i64>,
    amount: Option<String>,
    detail: String,
    since: String,
    requested: bool,
}

#[derive(Template)]
#[template(path = "admin/attention.html")]
struct AttentionPage {
    frame: Frame,
    groups: Vec<Group>,
    total: usize,
    error: Option<String>,
}

/// The query after an action: what was done to which.
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    done: Option<String>,
    target: Option<String>,
}

/// `GET /admin/attention`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    page(&state, &ctx, notice(&query), None, StatusCode::OK).await
}

/// `POST /admin/attention` with `kind` and `target`.
pub async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let Some(kind) = AttentionKind::parse(&form.text("kind")) else {
        let why = "That is not an item of the queue.".to_string();
        return page(&state, &ctx, None, Some(why), StatusCode::BAD_REQUEST).await;
    };
    let who = Requester {
        actor: AuditActor::Admin(ctx.operator.id),
        name: ctx.operator.email.clone(),
    };
    let target = form.text("target");
    match attention::act(&state.store, &who, kind, &target, ctx.now_ms).await {
        Ok(acted) => redirect(&state, &done_location(&acted)),
        Err(e) => {
            let status = match &e {
                AttentionError::Target(_) | AttentionError::NotAnAddress(_) => {
                    StatusCode::BAD_REQUEST
                }
                AttentionError::NoDeposit(_)
                | AttentionError::NoSweep(_)
                | AttentionError::NoEvent(_)
                | AttentionError::NoMerchant(_) => StatusCode::NOT_FOUND,
                AttentionError::NotHeld { .. }
                | AttentionError::DepositQueued(_)
                | AttentionError::NoSender(_)
                | AttentionError::NoPayoutWallet(_)
                | AttentionError::NotFailed { .. }
                | AttentionError::RetryQueued(_)
                | AttentionError::NotParked(_) => StatusCode::CONFLICT,
                AttentionError::Store(_) | AttentionError::Unexpected(_) => {
                    return refuse(&state, failure(e));
                }
            };
            let why = format!("{}.", capitalise(&e.to_string()));
            page(&state, &ctx, None, Some(why), status).await
        }
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let queue = match attention::list(&state.store).await {
        Ok(queue) => queue,
        Err(e) => return refuse(state, e.into()),
    };
    let groups: Vec<Group> = AttentionKind::ALL
        .iter()
        .map(|kind| group(*kind, &queue.items, queue.truncated.contains(kind)))
        .collect();
    let body = AttentionPage {
        frame: ctx.frame(state, "Attention", "/admin/attention", notice),
        total: queue.items.len(),
        groups,
        error,
    };
    render(state, status, &ctx.nonce, body)
}

fn group(kind: AttentionKind, items: &[AttentionItem], truncated: bool) -> Group {
    let (title, what, button) = match kind {
        AttentionKind::LateDeposit => (
            "Late deposits",
            "Money that arrived after its session closed. Forward it to the merchant's payout wallet (less the fee).",
            "Forward",
        ),
        AttentionKind::FailedPayout => (
            "Failed payouts",
            "Sweeps that could not go out. Retry one now instead of at its next backoff.",
            "Retry now",
        ),
        AttentionKind::DeadWebhook => (
            "Dead-letter webhooks",
            "Deliveries that gave up. Resend one: its attempts start over.",
            "Resend",
        ),
        AttentionKind::DisabledEndpoint => (
            "Disabled webhook endpoints",
            "Endpoints parked after answering 410 Gone. Re-enable one once the merchant fixed it.",
            "Re-enable",
        ),
    };
    Group {
        kind: kind.as_str(),
        title,
        what,
        button,
        rows: items
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| Row {
                target: i.target.clone(),
                merchant_id: i.merchant_id,
                session_id: i.session_id,
                amount: i.amount.map(|a| format!("{a} USDC")),
                detail: i.detail.clone().unwrap_or_default(),
                since: i.since_ms.map(format_doc_time).unwrap_or_default(),
                requested: i.requested,
            })
            .collect(),
        truncated,
    }
}

/// Where to go after an action: the queue, saying what was done.
fn done_location(acted: &Acted) -> String {
    let (done, target) = match acted {
        Acted::Forwarded(r) => ("forwarded", r.deposit_id.to_string()),
        Acted::RetryQueued(r) => ("retried", r.sweep_id.to_string()),
        Acted::Resent(event) => ("resent", event.clone()),
        Acted::Enabled(merchant) => ("enabled", merchant.to_string()),
    };
    format!("/admin/attention?done={done}&target={target}")
}

/// The notice for `?done=…&target=…`; the target is shown only once it
/// reads as one of its kind (nothing typed is echoed as it came).
fn notice(query: &Done) -> Option<String> {
    let (kind, text): (AttentionKind, fn(&str) -> String) = match query.done.as_deref()? {
        "forwarded" => (AttentionKind::LateDeposit, |t| {
            format!(
                "Forward of deposit {t} queued: the payout actor sends it once its block is final."
            )
        }),
        "retried" => (AttentionKind::FailedPayout, |t| {
            format!("Retry of sweep {t} queued for the payout actor's next step.")
        }),
        "resent" => (AttentionKind::DeadWebhook, |t| {
            format!("Webhook {t} queued for delivery again.")
        }),
        "enabled" => (AttentionKind::DisabledEndpoint, |t| {
            format!("Merchant {t}'s webhook endpoint is enabled again.")
        }),
        _ => return None,
    };
    let target = Target::parse(kind, query.target.as_deref().unwrap_or_default()).ok()?;
    let shown = match target {
        Target::Deposit(id) | Target::Sweep(id) | Target::Merchant(id) => id.to_string(),
        Target::Event(id) => id,
    };
    Some(text(&shown))
}

/// A refusal that is not the operator's to fix: the database or a bug.
fn failure(e: AttentionError) -> DashError {
    match e {
        AttentionError::Store(e) => e.into(),
        other => DashError::Unexpected(anyhow::Error::new(other)),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
