//! `/admin/merchants/{id}`: one merchant — who it is, its shop domains,
//! wallet, webhook and API keys — with one form per group of settings:
//! plan and checkout (package, checkout mode, country, crypto checkout),
//! the provider allow and block lists, partner split, and switching the
//! merchant off or on. `POST /admin/merchants/{id}/{group}` calls one
//! `app::merchants::admin` function, which checks, stores and audits the
//! change and makes it reach the API at once; a refused field is shown
//! beside its form (422), a saved change as a notice after the redirect.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::merchant_form::{self, Refused, Typed, View, notice_for};
use super::redirect;
use crate::app::merchants::admin::{self, Console};
use crate::app::routing_admin::RoutingScope;
use crate::config::Mode;
use crate::domain::audit::AuditActor;
use crate::http::state::AppState;
use crate::pages::dashboard::error::DashError;
use crate::pages::dashboard::form::{FieldErrors, Form};
use crate::pages::dashboard::{Done, render};

#[derive(Template)]
#[template(path = "admin/merchant.html")]
struct MerchantPage {
    frame: Frame,
    m: View,
    typed: Typed,
    errors: FieldErrors,
    providers: String,
}

fn scope(state: &AppState) -> RoutingScope<'_> {
    RoutingScope {
        store: &state.store,
        sandbox: state.settings.mode == Mode::Sandbox,
        onramp: &state.settings.onramp,
    }
}

/// `GET /admin/merchants/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = query.done.as_deref().and_then(notice_for);
    page(&state, &ctx, *id, None, FieldErrors::default(), notice).await
}

/// `POST /admin/merchants/{id}/{group}`: `plan`, `providers`, `partner`
/// or `status`.
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let (id, group) = path.into_inner();
    let console = Console {
        routing: scope(&state),
        router: Some(&state.router),
        keys: state.auth_cache.as_ref(),
        actor: AuditActor::Admin(ctx.operator.id),
        now_ms: ctx.now_ms,
    };
    match apply(&console, id, &group, &form).await {
        Ok(done) => redirect(&state, &format!("/admin/merchants/{id}?done={done}")),
        Err(Refused::NotFound) => refuse(&state, DashError::NotFound),
        Err(Refused::Failed(e)) => refuse(&state, e),
        Err(Refused::Input(errors)) => {
            let typed = Some((group.as_str(), &form));
            page(&state, &ctx, id, typed, errors, None).await
        }
    }
}

/// Reads the group's form and calls its one function; the notice's key.
async fn apply(
    console: &Console<'_>,
    id: i64,
    group: &str,
    form: &Form,
) -> Result<&'static str, Refused> {
    match group {
        "plan" => {
            admin::set_plan(console, id, merchant_form::plan(form)).await?;
            Ok("plan")
        }
        "providers" => {
            let (allow, block) = merchant_form::provider_lists(form);
            admin::set_provider_lists(console, id, &allow, &block).await?;
            Ok("providers")
        }
        "partner" => {
            let choice = merchant_form::partner_split(form)?;
            admin::set_partner_split(console, id, choice).await?;
            Ok("partner")
        }
        "status" => {
            let disabled = merchant_form::disabled(form)?;
            admin::set_disabled(console, id, disabled).await?;
            Ok(if disabled { "disabled" } else { "enabled" })
        }
        _ => Err(Refused::NotFound),
    }
}

/// The merchant page; `typed` puts a refused form's values back.
async fn page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    typed: Option<(&str, &Form)>,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let detail = match admin::detail(&scope(state), id).await {
        Ok(detail) => detail,
        Err(e) => {
            return match Refused::from(e) {
                Refused::NotFound => refuse(state, DashError::NotFound),
                Refused::Failed(e) => refuse(state, e),
                Refused::Input(_) => refuse(
                    state,
                    DashError::Unexpected(anyhow::anyhow!("the merchant page could not be read")),
                ),
            };
        }
    };
    let view = View::of(&detail, ctx.now_ms);
    let mut values = Typed::of(&view);
    if let Some((group, form)) = typed {
        values.overwrite(group, form);
    }
    let title = format!("Merchant {}", detail.merchant().id);
    let body = MerchantPage {
        frame: ctx.frame(state, &title, "/admin/merchants", notice),
        m: view,
        typed: values,
        errors: errors.clone(),
        providers: merchant_form::known_providers(),
    };
    render(state, errors.status(), &ctx.nonce, body)
}
