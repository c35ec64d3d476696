//! `GET /dashboard/domains` lists the shop domains sessions are accepted
//! for; `POST` adds one (normalised exactly as the API normalises a
//! session's `domain`) or removes one. Each change is in the security log.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::error::DashError;
use super::form::FieldErrors;
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::security::log_change;
use super::{Done, redirect, render};
use crate::app::merchants::{self, FieldError, MerchantChanges, MerchantError, WebhookTargets};
use crate::domain::security_event::SecurityEventKind;
use crate::http::state::AppState;

/// Most domains one merchant may list.
pub const MAX_DOMAINS: usize = 50;

#[derive(Template)]
#[template(path = "dashboard/domains.html")]
struct DomainsPage {
    frame: Frame,
    domains: Vec<String>,
    typed: String,
    errors: FieldErrors,
}

/// `GET /dashboard/domains`.
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
        Some("added") => Some("Domain added.".to_string()),
        Some("removed") => Some("Domain removed.".to_string()),
        _ => None,
    };
    page(&state, &ctx, String::new(), FieldErrors::default(), notice)
}

/// `POST /dashboard/domains` with `action=add|remove` and `domain`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let typed = form.text("domain");
    let mut errors = FieldErrors::default();
    let mut domains = ctx.merchant.domains.clone();
    let (done, detail) = match form.get("action") {
        Some("add") => {
            let domain = match merchants::fields::domains(std::slice::from_ref(&typed)) {
                Ok(mut d) if !typed.is_empty() => d.pop().unwrap_or_default(),
                Ok(_) | Err(_) => {
                    errors.add("domain", "Enter a domain name like shop.example.");
                    return page(&state, &ctx, typed, errors, None);
                }
            };
            if domains.contains(&domain) {
                errors.add("domain", format!("{domain} is already on your list."));
                return page(&state, &ctx, typed, errors, None);
            }
            if domains.len() >= MAX_DOMAINS {
                errors.add(
                    "domain",
                    format!("A merchant may list at most {MAX_DOMAINS} domains."),
                );
                return page(&state, &ctx, typed, errors, None);
            }
            domains.push(domain.clone());
            ("added", format!("added {domain}"))
        }
        Some("remove") => {
            let before = domains.len();
            domains.retain(|d| *d != typed);
            if domains.len() == before {
                return refuse(&state, DashError::NotFound);
            }
            ("removed", format!("removed {typed}"))
        }
        _ => return refuse(&state, DashError::NotFound),
    };
    let changes = MerchantChanges {
        domains: Some(domains),
        ..MerchantChanges::default()
    };
    let targets = WebhookTargets::strictest();
    match merchants::update(&state.store, ctx.merchant.id, changes, targets, ctx.now_ms).await {
        Ok(_) => {}
        Err(MerchantError::Field(FieldError::Domain(_))) => {
            errors.add("domain", "Enter a domain name like shop.example.");
            return page(&state, &ctx, typed, errors, None);
        }
        Err(e) => return refuse(&state, e.into()),
    }
    if let Err(refusal) = log_change(&state, &ctx, SecurityEventKind::DomainsChanged, &detail).await
    {
        return refusal;
    }
    redirect(&state, &format!("/dashboard/domains?done={done}"))
}

fn page(
    state: &AppState,
    ctx: &Ctx,
    typed: String,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let status = errors.status();
    let frame = ctx.frame(state, "Shop domains", "/dashboard/domains", notice);
    let page = DomainsPage {
        frame,
        domains: ctx.merchant.domains.clone(),
        typed,
        errors,
    };
    render(state, status, &ctx.nonce, page)
}
