//! `/admin/routing`: Smart Routing as it runs — the global switch, each
//! provider's state as the router sees it (configured, cooling down after
//! a failure, switched off), the ordered provider list per method, EPv2 and
//! partner split, the provider credentials (where each comes from, never
//! shown in full), and the outcome figures per provider × country ×
//! method. Every form calls one `app::routing_admin` function, which
//! stores a new version with its audit line; this node's router reloads at
//! once, the others at their next poll of the version.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::redirect;
use crate::app::routing_admin::{self, PartnerParams, RoutingAdminError, RoutingScope};
use crate::clock::format_doc_time;
use crate::config::Mode;
use crate::domain::audit::AuditActor;
use crate::domain::routing::credential::{CredentialName, CredentialValue};
use crate::domain::routing::{Layer, Method, Provider};
use crate::http::state::AppState;
use crate::pages::dashboard::error::DashError;
use crate::pages::dashboard::form::Form;
use crate::pages::dashboard::render;

/// One provider's line.
#[derive(Debug, Clone)]
pub struct ProviderLine {
    pub slug: &'static str,
    pub layer: &'static str,
    pub configured: bool,
    pub disabled: bool,
    /// Cooling down after a failure until this time (UTC).
    pub unhealthy_until: Option<String>,
}

/// One method's ordered list.
#[derive(Debug, Clone)]
pub struct MethodLine {
    pub method: &'static str,
    pub providers: String,
}

/// One credential's line.
#[derive(Debug, Clone)]
pub struct CredentialLine {
    pub name: &'static str,
    pub provider: &'static str,
    pub source: &'static str,
    pub masked: String,
}

/// One line of outcome figures.
#[derive(Debug, Clone)]
pub struct OutcomeLine {
    pub provider: &'static str,
    pub country: String,
    pub method: &'static str,
    pub started: u64,
    pub completed: u64,
    pub rate: String,
    pub mean_to_paid: String,
}

#[derive(Template)]
#[template(path = "admin/routing.html")]
struct RoutingPage {
    frame: Frame,
    version: i64,
    stored: bool,
    /// "on", "off" or "setting".
    global: &'static str,
    setting_enabled: bool,
    providers: Vec<ProviderLine>,
    methods: Vec<MethodLine>,
    epv1_slugs: String,
    epv2_active: bool,
    partner_split: bool,
    credentials: Vec<CredentialLine>,
    outcomes: Vec<OutcomeLine>,
    error: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn scope(state: &AppState) -> RoutingScope<'_> {
    RoutingScope {
        store: &state.store,
        sandbox: state.settings.mode == Mode::Sandbox,
        onramp: &state.settings.onramp,
    }
}

/// `GET /admin/routing`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = query.done.as_deref().map(notice_for);
    page(&state, &ctx, StatusCode::OK, notice, None).await
}

/// `GET /admin/routing/export`: the live configuration as a routing file.
pub async fn export(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Err(refusal) = guard::page(&req, &state).await {
        return refusal;
    }
    match routing_admin::export(&scope(&state)).await {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/toml; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                "attachment; filename=\"kassa-routing.toml\"",
            ))
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(text),
        Err(e) => refuse(&state, admin_error(e)),
    }
}

/// `POST /admin/routing/{what}`: one change.
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    what: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let done = match apply(&state, &ctx, what.as_str(), &form).await {
        Ok(done) => done,
        Err(Refused::NotFound) => return refuse(&state, DashError::NotFound),
        Err(Refused::Input(message)) => {
            return page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(message),
            )
            .await;
        }
        Err(Refused::Failed(e)) => return refuse(&state, e),
    };
    // This node follows at once; the others at their next poll.
    if let Err(e) = state.router.reload().await {
        tracing::warn!(error = %e, "the router did not reload after a console change");
    }
    redirect(&state, &format!("/admin/routing?done={done}"))
}

enum Refused {
    NotFound,
    /// Shown beside the forms.
    Input(String),
    Failed(DashError),
}

impl From<RoutingAdminError> for Refused {
    fn from(e: RoutingAdminError) -> Self {
        match e {
            RoutingAdminError::Edit(_)
            | RoutingAdminError::Credential(_)
            | RoutingAdminError::PartnerNotConfigured
            | RoutingAdminError::Stored { .. }
            | RoutingAdminError::Busy
            | RoutingAdminError::File(_) => Refused::Input(e.to_string()),
            RoutingAdminError::Store(e) => Refused::Failed(e.into()),
        }
    }
}

fn admin_error(e: RoutingAdminError) -> DashError {
    match e {
        RoutingAdminError::Store(e) => e.into(),
        other => DashError::Unexpected(anyhow::Error::new(other)),
    }
}

fn flag(form: &Form, name: &str) -> bool {
    matches!(form.get(name), Some("1" | "on" | "true"))
}

async fn apply(
    state: &AppState,
    ctx: &Ctx,
    what: &str,
    form: &Form,
) -> Result<&'static str, Refused> {
    let scope = scope(state);
    let actor = AuditActor::Admin(ctx.operator.id);
    let now = ctx.now_ms;
    match what {
        "global" => {
            let enabled = match form.get("state") {
                Some("on") => Some(true),
                Some("off") => Some(false),
                Some("setting") => None,
                _ => return Err(Refused::Input("Choose on, off or the setting.".into())),
            };
            routing_admin::set_global_switch(&scope, actor, now, enabled).await?;
            Ok("global")
        }
        "provider" => {
            let provider = form
                .get("provider")
                .and_then(Provider::from_slug)
                .ok_or_else(|| Refused::Input("Unknown provider.".into()))?;
            let disabled = flag(form, "disabled");
            routing_admin::set_provider_disabled(&scope, actor, now, provider, disabled).await?;
            Ok(if disabled { "disabled" } else { "enabled" })
        }
        "method" => {
            let method: Method = form
                .get("method")
                .and_then(|m| m.parse().ok())
                .ok_or_else(|| Refused::Input("Unknown payment method.".into()))?;
            let mut providers = Vec::new();
            for slug in form
                .text("providers")
                .split([',', ' ', '\n', '\r', '\t'])
                .filter(|s| !s.is_empty())
            {
                let p = Provider::from_slug(slug).ok_or_else(|| {
                    Refused::Input(format!("`{slug}` is not a provider Kassa knows."))
                })?;
                providers.push(p);
            }
            routing_admin::set_method_providers(&scope, actor, now, method, &providers).await?;
            Ok("method")
        }
        "epv2" => {
            routing_admin::set_epv2_active(&scope, actor, now, flag(form, "active")).await?;
            Ok("epv2")
        }
        "partner" => {
            let url = form.text("checkout_url");
            let id = form.text("partner_id");
            let params = match (url.trim().is_empty(), id.trim().is_empty()) {
                (true, true) => None,
                (false, false) => Some(PartnerParams {
                    checkout_url: CredentialValue::parse(CredentialName::PartnerCheckoutUrl, &url)
                        .map_err(|e| Refused::Input(e.to_string()))?,
                    partner_id: CredentialValue::parse(CredentialName::PartnerId, &id)
                        .map_err(|e| Refused::Input(e.to_string()))?,
                }),
                _ => {
                    return Err(Refused::Input(
                        "Give both the partner checkout URL and the partner id, or neither to keep the stored ones.".into(),
                    ));
                }
            };
            routing_admin::set_partner_split(&scope, actor, now, flag(form, "active"), params)
                .await?;
            Ok("partner")
        }
        "credential" => {
            let name = form
                .get("name")
                .and_then(CredentialName::parse)
                .ok_or(Refused::NotFound)?;
            if form.get("action") == Some("clear") {
                routing_admin::clear_credential(&scope, actor, now, name).await?;
                return Ok("cleared");
            }
            let value = CredentialValue::parse(name, &form.text("value"))
                .map_err(|e| Refused::Input(e.to_string()))?;
            routing_admin::set_credential(&scope, actor, now, name, value).await?;
            Ok("credential")
        }
        _ => Err(Refused::NotFound),
    }
}

fn notice_for(done: &str) -> String {
    match done {
        "global" => "The global switch is saved.",
        "disabled" => "The provider is switched off for every merchant.",
        "enabled" => "The provider is switched back on.",
        "method" => "The provider order is saved.",
        "epv2" => "EPv2 is saved.",
        "partner" => "Partner split is saved.",
        "credential" => "The credential is stored (encrypted) and overrides the configuration.",
        "cleared" => "The stored credential is removed; the configuration's value applies, if any.",
        _ => "Saved.",
    }
    .to_string()
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let live = match routing_admin::current(&scope(state)).await {
        Ok(live) => live,
        Err(e) => return refuse(state, admin_error(e)),
    };
    let status_now = state.router.status().await;
    let now = ctx.now_ms;
    let config = &live.config;
    let providers = Provider::ALL
        .into_iter()
        .filter(|p| state.settings.mode == Mode::Sandbox || *p != Provider::Sandbox)
        .map(|p| ProviderLine {
            slug: p.as_str(),
            layer: match p.layer() {
                Layer::Epv1 => "EPv1",
                Layer::Epv2 => "EPv2",
                Layer::Epv3 => "EPv3",
            },
            configured: status_now.configured.contains(&p),
            disabled: config.disabled.contains(&p),
            unhealthy_until: status_now
                .unhealthy_until
                .iter()
                .find(|(q, until)| *q == p && *until > now)
                .map(|(_, until)| format_doc_time(*until)),
        })
        .collect();
    let methods = Method::ALL
        .into_iter()
        .filter(|m| *m != Method::Other)
        .map(|m| MethodLine {
            method: m.as_str(),
            providers: config
                .table
                .get(&m)
                .map(|l| l.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
        })
        .collect();
    let epv1_slugs = Provider::ALL
        .into_iter()
        .filter(|p| p.layer() == Layer::Epv1)
        .filter(|p| state.settings.mode == Mode::Sandbox || *p != Provider::Sandbox)
        .map(Provider::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let credentials = live
        .credentials
        .iter()
        .map(|c| CredentialLine {
            name: c.name.as_str(),
            provider: c.provider.as_str(),
            source: c.source.as_str(),
            masked: c.masked.clone().unwrap_or_else(|| "—".into()),
        })
        .collect();
    let outcomes = status_now
        .outcomes
        .iter()
        .map(|o| OutcomeLine {
            provider: o.provider.as_str(),
            country: o.country.clone(),
            method: o.method,
            started: o.started,
            completed: o.completed,
            rate: if o.started == 0 {
                "—".into()
            } else {
                format!("{:.0} %", 100.0 * o.completed as f64 / o.started as f64)
            },
            mean_to_paid: o
                .mean_ms_to_paid
                .map_or_else(|| "—".into(), |ms| format!("{:.1} s", ms as f64 / 1000.0)),
        })
        .collect();
    let body = RoutingPage {
        frame: ctx.frame(state, "Smart Routing", "/admin/routing", notice),
        version: live.version,
        stored: live.stored,
        global: match config.enabled_global {
            Some(true) => "on",
            Some(false) => "off",
            None => "setting",
        },
        setting_enabled: state.settings.smart_router_enabled,
        providers,
        methods,
        epv1_slugs,
        epv2_active: config.epv2.active,
        partner_split: config.epv2.partner_split,
        credentials,
        outcomes,
        error,
    };
    render(state, status, &ctx.nonce, body)
}
