//! The webhook page's forms: save the URL and statuses, rotate the secret
//! (both ask for the password again), send a test webhook now, resend one
//! event of the log. Every change is written to the security log; another
//! merchant's event is not found (404).

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Extra, page};
use crate::app::merchants::webhooks::{self, TEST_TIMEOUT};
use crate::app::merchants::{FieldError, MerchantError, WebhookTargets};
use crate::config::Mode;
use crate::domain::security_event::SecurityEventKind;
use crate::domain::session::EventKind;
use crate::http::state::AppState;
use crate::pages::dashboard::form::Form;
use crate::pages::dashboard::guard::{self, Ctx, refuse};
use crate::pages::dashboard::redirect;
use crate::pages::dashboard::security::{check_current, log_change};
use crate::webhooks::delivery::redact_query;

/// How long the previous secret keeps signing after a rotation (the CLI's default).
const ROTATION_WINDOW: Duration = Duration::from_secs(24 * 3_600);

/// `POST /dashboard/webhooks/endpoint` with `url`, `status` (repeated) and `current`.
pub async fn save_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let url = form.text("url");
    let checked: Vec<String> = form.all("status").into_iter().map(String::from).collect();
    let mut extra = Extra {
        typed_url: Some(url.clone()),
        checked: Some(checked.clone()),
        ..Extra::default()
    };
    if let Some(answer) = password_refused(&state, &ctx, &form, "current", &mut extra).await {
        return answer;
    }
    if checked.is_empty() {
        extra.errors.add("status", "Choose at least one status.");
        return page(&state, &ctx, extra).await;
    }
    let statuses = if checked.len() == EventKind::ALL.len() {
        "all".to_string()
    } else {
        checked.join(",")
    };
    let id = ctx.merchant.id;
    let saved = webhooks::set_webhook_endpoint(
        &state.store,
        id,
        &url,
        &statuses,
        targets(&state),
        ctx.now_ms,
    )
    .await;
    match saved {
        Ok(()) => {}
        Err(MerchantError::WebhookUrl(e)) => {
            extra
                .errors
                .add("url", format!("{}.", capitalise(&e.to_string())));
            return page(&state, &ctx, extra).await;
        }
        Err(MerchantError::Field(FieldError::WebhookStatus(s))) => {
            extra.errors.add("status", format!("{s} is not a status."));
            return page(&state, &ctx, extra).await;
        }
        Err(e) => return refuse(&state, e.into()),
    }
    let shown = if url.is_empty() {
        "none".to_string()
    } else {
        redact_query(&url)
    };
    let detail = format!("url {shown}, statuses {statuses}");
    match log_change(&state, &ctx, SecurityEventKind::WebhookChanged, &detail).await {
        Ok(()) => redirect(&state, "/dashboard/webhooks?done=saved"),
        Err(answer) => answer,
    }
}

/// `POST /dashboard/webhooks/secret` with `current`: a new secret, shown once.
pub async fn rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let mut extra = Extra::default();
    if let Some(answer) = password_refused(&state, &ctx, &form, "secret_current", &mut extra).await
    {
        return answer;
    }
    let id = ctx.merchant.id;
    let rotated = match webhooks::rotate_webhook_secret(
        &state.store,
        id,
        ROTATION_WINDOW,
        targets(&state),
        ctx.now_ms,
    )
    .await
    {
        Ok(rotated) => rotated,
        Err(e) => return refuse(&state, e.into()),
    };
    let detail = "the previous secret signs for 24 more hours";
    if let Err(answer) = log_change(
        &state,
        &ctx,
        SecurityEventKind::WebhookSecretRotated,
        detail,
    )
    .await
    {
        return answer;
    }
    let extra = Extra {
        new_secret: Some(rotated.secret),
        notice: Some("New secret issued. The previous one keeps signing for 24 hours.".into()),
        ..Extra::default()
    };
    page(&state, &ctx, extra).await
}

/// `POST /dashboard/webhooks/test`: sends a test event now; the result is shown inline.
pub async fn send_test(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, _form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let id = ctx.merchant.id;
    let sent = webhooks::send_test_webhook_now(
        &state.store,
        &state.deliverer,
        id,
        TEST_TIMEOUT,
        ctx.now_ms,
    )
    .await;
    let mut extra = Extra::default();
    match sent {
        Ok(test) => {
            let detail = format!(
                "{}: {}",
                test.event_id,
                test.http_status
                    .map_or_else(|| test.error.clone().unwrap_or_default(), |s| s.to_string())
            );
            if let Err(answer) =
                log_change(&state, &ctx, SecurityEventKind::WebhookTestSent, &detail).await
            {
                return answer;
            }
            extra.test = Some(test);
        }
        Err(MerchantError::NoWebhookEndpoint(_)) => {
            extra.errors.add(
                "test",
                "Save a webhook URL first: there is nowhere to send it.",
            );
        }
        Err(e) => return refuse(&state, e.into()),
    }
    page(&state, &ctx, extra).await
}

/// `POST /dashboard/webhooks/resend` with `event`: queues it again now.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let event = form.text("event");
    let id = ctx.merchant.id;
    if let Err(e) = webhooks::resend_webhook(&state.store, id, &event, ctx.now_ms).await {
        return refuse(&state, e.into());
    }
    match log_change(&state, &ctx, SecurityEventKind::WebhookResent, &event).await {
        Ok(()) => redirect(&state, "/dashboard/webhooks?done=resent"),
        Err(answer) => answer,
    }
}

/// The webhook targets this deployment accepts: https only in live mode,
/// private addresses only when configuration allows them.
fn targets(state: &AppState) -> WebhookTargets {
    WebhookTargets {
        https_only: state.settings.mode == Mode::Live,
        allow_private: state.settings.webhook_allow_private,
    }
}

/// Checks the `current` password; on refusal, the page with the error next
/// to `field`, or the error to answer.
async fn password_refused(
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

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
