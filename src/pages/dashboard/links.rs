//! The "Payment links" section: `GET /dashboard/links` lists the
//! merchant's links (amount, paid uses, state) with a form to create one;
//! `GET /dashboard/links/{id}` shows one with its URL, a copy button, a QR
//! code and its paid uses, and edits it; `POST` there saves, disables or
//! enables it. Another merchant's link is not found (404).
//!
//! Handlers parse the form and call `app::links`; the rules live there.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::catalog_form::{currencies, errors_of, state_word};
use super::error::DashError;
use super::form::FieldErrors;
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::link_form::LinkForm;
use super::security::log_change;
use super::{Done, qr, redirect, render};
use crate::app::links::{self, LinkError, LinkSummary};
use crate::domain::payment_link::{LinkAmount, PaymentLink};
use crate::domain::security_event::SecurityEventKind;
use crate::http::state::AppState;

const SECTION: &str = "/dashboard/links";

/// A link as listed.
pub struct Row {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub amount: String,
    pub uses: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard/links.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    form: LinkForm,
    errors: FieldErrors,
    currencies: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "dashboard/link.html")]
struct EditPage {
    frame: Frame,
    id: i64,
    url: String,
    qr: String,
    paid_uses: u64,
    state: &'static str,
    active: bool,
    form: LinkForm,
    errors: FieldErrors,
    currencies: Vec<&'static str>,
}

impl From<LinkError> for DashError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::NotFound => DashError::NotFound,
            LinkError::Merchant(e) => e.into(),
            LinkError::Store(e) => e.into(),
            LinkError::Invalid(p) => DashError::Unexpected(anyhow::anyhow!("unshown fields: {p}")),
        }
    }
}

fn url_of(state: &AppState, l: &PaymentLink) -> String {
    format!("{}/l/{}", state.public_base, l.slug)
}

/// `GET /dashboard/links`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice =
        (query.done.as_deref() == Some("created")).then(|| "Payment link created.".to_string());
    let form = LinkForm {
        currency: "EUR".into(),
        kind: "fixed".into(),
        ..LinkForm::default()
    };
    list_page(&state, &ctx, form, FieldErrors::default(), notice).await
}

/// `POST /dashboard/links`: create one.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let typed = LinkForm::read(&form);
    let rules = state.opener.rules();
    match links::create(
        &state.store,
        rules,
        ctx.merchant.id,
        &typed.input(true),
        ctx.now_ms,
    )
    .await
    {
        Ok(link) => {
            let detail = format!("{} (/l/{})", link.title, link.slug);
            if let Err(refusal) =
                log_change(&state, &ctx, SecurityEventKind::PaymentLinkCreated, &detail).await
            {
                return refusal;
            }
            redirect(&state, &format!("{SECTION}/{}?done=created", link.id))
        }
        Err(LinkError::Invalid(p)) => list_page(&state, &ctx, typed, errors_of(p), None).await,
        Err(e) => refuse(&state, e.into()),
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: LinkForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let list = match links::list(&state.store, ctx.merchant.id).await {
        Ok(list) => list,
        Err(e) => return refuse(state, e.into()),
    };
    let rows = list.iter().map(|s| row(state, s, ctx.now_ms)).collect();
    let page = ListPage {
        frame: ctx.frame(state, "Payment links", SECTION, notice),
        rows,
        form,
        errors,
        currencies: currencies(state),
    };
    render(state, page.errors.status(), &ctx.nonce, page)
}

fn row(state: &AppState, s: &LinkSummary, now_ms: i64) -> Row {
    let l = &s.link;
    Row {
        id: l.id,
        title: l.title.clone(),
        url: url_of(state, l),
        amount: match l.amount {
            LinkAmount::Fixed(m) => format!("{m} {}", m.currency()),
            LinkAmount::Open { min, max } => format!("{min} to {max} {}", max.currency()),
        },
        uses: match l.max_uses {
            Some(max) => format!("{} of {max}", s.paid_uses),
            None => s.paid_uses.to_string(),
        },
        state: state_word(l.closed(now_ms, s.paid_uses)),
    }
}

/// `GET /dashboard/links/{id}`.
pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = match query.done.as_deref() {
        Some("created") => Some("Payment link created: share its address or QR code."),
        Some("saved") => Some("Changes saved."),
        Some("disabled") => Some("Link disabled: it opens no new payments."),
        Some("enabled") => Some("Link enabled."),
        _ => None,
    };
    let Ok(id) = id.parse::<i64>() else {
        return refuse(&state, DashError::NotFound);
    };
    match links::get(&state.store, ctx.merchant.id, id).await {
        Ok(s) => {
            let form = LinkForm::of(&s.link);
            edit_page(
                &state,
                &ctx,
                &s,
                form,
                FieldErrors::default(),
                notice.map(str::to_string),
            )
        }
        Err(e) => refuse(&state, e.into()),
    }
}

/// `POST /dashboard/links/{id}` with `action=save|disable|enable`.
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let Ok(id) = id.parse::<i64>() else {
        return refuse(&state, DashError::NotFound);
    };
    let current = match links::get(&state.store, ctx.merchant.id, id).await {
        Ok(s) => s,
        Err(e) => return refuse(&state, e.into()),
    };
    let (store, merchant, now) = (&state.store, ctx.merchant.id, ctx.now_ms);
    let (result, done) = match form.get("action") {
        Some("disable") => (
            links::set_active(store, merchant, id, false, now).await,
            "disabled",
        ),
        Some("enable") => (
            links::set_active(store, merchant, id, true, now).await,
            "enabled",
        ),
        Some("save") => {
            let typed = LinkForm::read(&form);
            let input = typed.input(current.link.active);
            match links::update(store, state.opener.rules(), merchant, id, &input, now).await {
                Err(LinkError::Invalid(p)) => {
                    return edit_page(&state, &ctx, &current, typed, errors_of(p), None);
                }
                other => (other, "saved"),
            }
        }
        _ => return refuse(&state, DashError::NotFound),
    };
    match result {
        Ok(link) => {
            let detail = format!("{done}: {} (/l/{})", link.title, link.slug);
            if let Err(refusal) =
                log_change(&state, &ctx, SecurityEventKind::PaymentLinkChanged, &detail).await
            {
                return refusal;
            }
            redirect(&state, &format!("{SECTION}/{id}?done={done}"))
        }
        Err(e) => refuse(&state, e.into()),
    }
}

fn edit_page(
    state: &AppState,
    ctx: &Ctx,
    s: &LinkSummary,
    form: LinkForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let url = url_of(state, &s.link);
    let page = EditPage {
        frame: ctx.frame(state, &s.link.title, SECTION, notice),
        id: s.link.id,
        qr: qr::svg(&url).unwrap_or_default(),
        url,
        paid_uses: s.paid_uses,
        state: state_word(s.link.closed(ctx.now_ms, s.paid_uses)),
        active: s.link.active,
        form,
        errors,
        currencies: currencies(state),
    };
    render(state, page.errors.status(), &ctx.nonce, page)
}
