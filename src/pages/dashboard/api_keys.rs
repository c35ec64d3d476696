//! `GET /dashboard/api-keys` lists the merchant's API keys (public prefix,
//! label, created, last used, revoked) — never a secret; `POST` creates
//! one (the key shown once, on that response only) or revokes one. Both
//! ask for the current password again and are written to the security
//! log. Another merchant's key is not found (404).
//!
//! Must not: show or log a whole key anywhere but the creation response.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret, SecretString};

use super::form::{FieldErrors, Form};
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::security::{check_current, log_change};
use super::{redirect, render};
use crate::app::api_keys::{self, ApiKeyError, ApiKeySummary, MAX_ACTIVE_KEYS};
use crate::clock::format_doc_time;
use crate::domain::api_key::{LABEL_MAX_CHARS, display_prefix};
use crate::domain::security_event::SecurityEventKind;
use crate::http::state::AppState;

/// A key as listed.
#[derive(Debug)]
pub struct Row {
    /// `kassa_<id>`, as the CLI lists it and as a revoke names it.
    pub prefix: String,
    pub label: String,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/api_keys.html")]
struct ApiKeysPage {
    frame: Frame,
    rows: Vec<Row>,
    active: usize,
    max_active: usize,
    label_max: usize,
    typed_label: String,
    /// The key just created: on this response only.
    new_key: Option<String>,
    errors: FieldErrors,
}

#[derive(Debug, serde::Deserialize)]
pub struct Notice {
    done: Option<String>,
}

/// What a page shows beyond the list.
#[derive(Default)]
struct Extra {
    typed_label: String,
    new_key: Option<SecretString>,
    errors: FieldErrors,
    notice: Option<String>,
}

/// `GET /dashboard/api-keys`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Notice>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = (query.done.as_deref() == Some("revoked"))
        .then(|| "Key revoked: the API refuses it from now on.".to_string());
    let extra = Extra {
        notice,
        ..Extra::default()
    };
    page(&state, &ctx, extra).await
}

/// `POST /dashboard/api-keys` with `action=create` (`label`, `current`)
/// or `action=revoke` (`key`, `current`).
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    match form.get("action") {
        Some("create") => create(&state, &ctx, &form).await,
        Some("revoke") => revoke(&state, &ctx, &form).await,
        _ => refuse(&state, super::error::DashError::NotFound),
    }
}

async fn create(state: &AppState, ctx: &Ctx, form: &Form) -> HttpResponse {
    let typed_label = form.text("label");
    let mut extra = Extra {
        typed_label: typed_label.clone(),
        ..Extra::default()
    };
    if let Some(refusal) = check_password(state, ctx, form, "current", &mut extra).await {
        return refusal;
    }
    let label = Some(typed_label.as_str()).filter(|l| !l.is_empty());
    let created = match api_keys::create(&state.store, ctx.merchant.id, label, ctx.now_ms).await {
        Ok(created) => created,
        Err(ApiKeyError::Label(e)) => {
            extra.errors.add("label", format!("Label: {e}."));
            return page(state, ctx, extra).await;
        }
        Err(ApiKeyError::TooManyKeys(n)) => {
            extra.errors.add(
                "label",
                format!("You hold {n} active keys, the most allowed: revoke one first."),
            );
            return page(state, ctx, extra).await;
        }
        Err(e) => return refuse(state, e.into()),
    };
    let detail = display_prefix(&created.summary.prefix);
    if let Err(e) = log_change(state, ctx, SecurityEventKind::ApiKeyCreated, &detail).await {
        return e;
    }
    let extra = Extra {
        new_key: Some(created.key),
        notice: Some(format!("Key {detail} created.")),
        ..Extra::default()
    };
    page(state, ctx, extra).await
}

async fn revoke(state: &AppState, ctx: &Ctx, form: &Form) -> HttpResponse {
    let mut extra = Extra::default();
    if let Some(refusal) = check_password(state, ctx, form, "revoke_current", &mut extra).await {
        return refusal;
    }
    let key = form.text("key");
    let cache = state.auth_cache.as_ref();
    let revoked =
        match api_keys::revoke(&state.store, cache, ctx.merchant.id, &key, ctx.now_ms).await {
            Ok(revoked) => revoked,
            Err(e) => return refuse(state, e.into()),
        };
    let detail = display_prefix(&revoked.prefix);
    if let Err(e) = log_change(state, ctx, SecurityEventKind::ApiKeyRevoked, &detail).await {
        return e;
    }
    redirect(state, "/dashboard/api-keys?done=revoked")
}

/// Checks the `current` password; on refusal, the page with the error
/// next to `field`, or the error to answer.
async fn check_password(
    state: &AppState,
    ctx: &Ctx,
    form: &Form,
    field: &'static str,
    extra: &mut Extra,
) -> Option<HttpResponse> {
    match check_current(state, ctx, form).await {
        Ok(None) => None,
        Ok(Some(message)) => {
            extra.errors.add(field, message);
            Some(page(state, ctx, std::mem::take(extra)).await)
        }
        Err(refusal) => Some(refusal),
    }
}

async fn page(state: &AppState, ctx: &Ctx, extra: Extra) -> HttpResponse {
    let keys = match api_keys::list(&state.store, ctx.merchant.id).await {
        Ok(keys) => keys,
        Err(e) => return refuse(state, e.into()),
    };
    let status = extra.errors.status();
    let frame = ctx.frame(state, "API keys", "/dashboard/api-keys", extra.notice);
    let page = ApiKeysPage {
        frame,
        active: keys.iter().filter(|k| k.is_active()).count(),
        rows: keys.into_iter().rev().map(row).collect(),
        max_active: MAX_ACTIVE_KEYS,
        label_max: LABEL_MAX_CHARS,
        typed_label: extra.typed_label,
        new_key: extra.new_key.map(|k| k.expose_secret().to_string()),
        errors: extra.errors,
    };
    render(state, status, &ctx.nonce, page)
}

fn when(ms: i64) -> String {
    format!("{} UTC", format_doc_time(ms))
}

fn row(key: ApiKeySummary) -> Row {
    Row {
        prefix: display_prefix(&key.prefix),
        label: key.label.unwrap_or_default(),
        created: when(key.created_at),
        last_used: key.last_used_at.map_or_else(|| "never".to_string(), when),
        revoked: key.revoked_at.map(when),
    }
}
