//! `GET /dashboard/checkout` shows how the hosted checkout looks and
//! behaves for this merchant: crypto on or off, the checkout mode (Smart
//! Routing only where the package allows it), and the branding (display
//! name, logo, accent colour) with a preview of the checkout's header and
//! pay button; `POST` saves them through `app::merchants::update`, with the
//! same rules as the CLI and errors next to their fields.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::form::{FieldErrors, Form};
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::security::log_change;
use super::{Done, redirect};
use crate::app::merchants::{
    self, BrandingField, BrandingFields, FieldError, MerchantChanges, MerchantError, WebhookTargets,
};
use crate::domain::contrast;
use crate::domain::merchant::CheckoutMode;
use crate::domain::security_event::SecurityEventKind;
use crate::http::headers;
use crate::http::state::AppState;

/// The form's values, as saved or as typed.
#[derive(Debug, Clone)]
pub struct Values {
    pub crypto: bool,
    pub smart: bool,
    pub name: String,
    pub logo: String,
    pub accent: String,
}

/// What the preview shows (the saved branding; `#rrggbb` colours only).
#[derive(Debug, Clone)]
pub struct Preview {
    pub name: String,
    pub initial: char,
    pub logo: Option<String>,
    pub fill: String,
    pub ink: String,
}

#[derive(Template)]
#[template(path = "dashboard/checkout.html")]
struct CheckoutPage {
    frame: Frame,
    values: Values,
    preview: Preview,
    smart_allowed: bool,
    package: &'static str,
    errors: FieldErrors,
}

/// `GET /dashboard/checkout`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = (query.done.as_deref() == Some("saved")).then(|| "Checkout saved.".to_string());
    let values = saved(&ctx);
    page(&state, &ctx, values, FieldErrors::default(), notice)
}

/// `POST /dashboard/checkout`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let values = typed(&form);
    let smart_allowed = ctx.merchant.package.allows_smart_routing();
    let mode = if values.smart && smart_allowed {
        CheckoutMode::SmartRouter
    } else {
        CheckoutMode::Standard
    };
    let changes = MerchantChanges {
        crypto_enabled: Some(values.crypto),
        checkout_mode: Some(mode.as_str().to_string()),
        branding: BrandingFields {
            display_name: Some(values.name.clone()),
            logo_url: Some(values.logo.clone()),
            accent_color: Some(values.accent.clone()),
        },
        ..MerchantChanges::default()
    };
    let targets = WebhookTargets::strictest();
    let id = ctx.merchant.id;
    if let Err(e) = merchants::update(&state.store, id, changes, targets, ctx.now_ms).await {
        let mut errors = FieldErrors::default();
        return match e {
            MerchantError::Field(FieldError::Branding { field, .. }) => {
                let (name, message) = match field {
                    BrandingField::DisplayName => (
                        "display_name",
                        "Use a name of at most 64 characters, without control characters.",
                    ),
                    BrandingField::LogoUrl => (
                        "logo_url",
                        "Use an https:// address on a host name (not an IP address), at most 512 characters.",
                    ),
                    BrandingField::AccentColor => (
                        "accent_color",
                        "Use a colour like #4f46e5 (# and six hex digits).",
                    ),
                };
                errors.add(name, message);
                page(&state, &ctx, values, errors, None)
            }
            other => refuse(&state, other.into()),
        };
    }
    let detail = format!(
        "crypto {}, {} checkout",
        if values.crypto { "on" } else { "off" },
        mode.as_str()
    );
    if let Err(refusal) =
        log_change(&state, &ctx, SecurityEventKind::CheckoutChanged, &detail).await
    {
        return refusal;
    }
    redirect(&state, "/dashboard/checkout?done=saved")
}

fn saved(ctx: &Ctx) -> Values {
    let b = &ctx.merchant.branding;
    Values {
        crypto: ctx.merchant.crypto_enabled,
        smart: ctx.merchant.checkout_mode == CheckoutMode::SmartRouter,
        name: b
            .display_name
            .as_ref()
            .map(|n| n.as_str().to_string())
            .unwrap_or_default(),
        logo: b
            .logo_url
            .as_ref()
            .map(|u| u.as_str().to_string())
            .unwrap_or_default(),
        accent: b.accent_color.map(|c| c.css()).unwrap_or_default(),
    }
}

fn typed(form: &Form) -> Values {
    Values {
        crypto: form.get("crypto") == Some("on"),
        smart: form.get("mode") == Some("smart_router"),
        name: form.text("display_name"),
        logo: form.text("logo_url"),
        accent: form.text("accent_color"),
    }
}

fn preview(ctx: &Ctx) -> Preview {
    let b = &ctx.merchant.branding;
    let name = b
        .display_name
        .as_ref()
        .map(|n| n.as_str().to_string())
        .or_else(|| ctx.merchant.domains.first().cloned())
        .unwrap_or_else(|| "Your shop".into());
    let (fill, ink) = match b.accent_color {
        Some(c) => (c.css(), contrast::ink_on(c.rgb()).hex()),
        None => ("#4f46e5".into(), "#ffffff".into()),
    };
    Preview {
        initial: name.chars().next().unwrap_or('K'),
        name,
        logo: b.logo_url.as_ref().map(|u| u.as_str().to_string()),
        fill,
        ink,
    }
}

fn page(
    state: &AppState,
    ctx: &Ctx,
    values: Values,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let status = errors.status();
    let frame = ctx.frame(state, "Checkout", "/dashboard/checkout", notice);
    let body = CheckoutPage {
        frame,
        values,
        preview: preview(ctx),
        smart_allowed: ctx.merchant.package.allows_smart_routing(),
        package: ctx.merchant.package.as_str(),
        errors,
    };
    let logo_origin = ctx.merchant.branding.logo_url.as_ref().map(|u| u.origin());
    match body.render() {
        Ok(html) => headers::dashboard_html(
            status,
            &ctx.nonce,
            logo_origin.as_deref(),
            state.settings.accounts.hsts,
        )
        .body(html),
        Err(e) => refuse(state, anyhow::Error::new(e).into()),
    }
}
