//! The "Products" section: `GET /dashboard/products` lists the merchant's
//! products with a form to create one; `GET /dashboard/products/{id}`
//! shows one with its landing page's address, a copy button and a QR code,
//! and edits it; `POST` there saves it or takes it off / puts it on sale.
//! Another merchant's product is not found (404).
//!
//! Handlers parse the form and call `app::products`; the rules live there.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::catalog_form::{currencies, errors_of};
use super::error::DashError;
use super::form::{FieldErrors, Form};
use super::frame::Frame;
use super::guard::{self, Ctx, refuse};
use super::security::log_change;
use super::{Done, qr, redirect, render};
use crate::app::products::{self, ProductError, ProductInput};
use crate::domain::product::Product;
use crate::domain::security_event::SecurityEventKind;
use crate::http::state::AppState;

const SECTION: &str = "/dashboard/products";

/// A product as listed.
pub struct Row {
    pub id: i64,
    pub name: String,
    pub price: String,
    pub url: String,
    pub active: bool,
}

/// The product form's fields as typed (or as stored, when editing).
#[derive(Debug, Clone, Default)]
pub struct ProductForm {
    pub name: String,
    pub description: String,
    pub price: String,
    pub currency: String,
    pub image_url: String,
}

impl ProductForm {
    fn read(form: &Form) -> ProductForm {
        ProductForm {
            name: form.text("name"),
            description: form.text("description"),
            price: form.text("price"),
            currency: form.text("currency"),
            image_url: form.text("image_url"),
        }
    }

    fn of(p: &Product) -> ProductForm {
        ProductForm {
            name: p.name.clone(),
            description: p.description.clone(),
            price: p.price.to_string(),
            currency: p.price.currency().code().into(),
            image_url: p.image_url.clone().unwrap_or_default(),
        }
    }

    fn input(&self, active: bool) -> ProductInput {
        ProductInput {
            name: self.name.clone(),
            description: self.description.clone(),
            price: self.price.clone(),
            currency: self.currency.clone(),
            image_url: self.image_url.clone(),
            active,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/products.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    form: ProductForm,
    errors: FieldErrors,
    currencies: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "dashboard/product.html")]
struct EditPage {
    frame: Frame,
    id: i64,
    url: String,
    qr: String,
    active: bool,
    form: ProductForm,
    errors: FieldErrors,
    currencies: Vec<&'static str>,
}

impl From<ProductError> for DashError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::NotFound => DashError::NotFound,
            ProductError::Merchant(e) => e.into(),
            ProductError::Store(e) => e.into(),
            ProductError::Invalid(p) => {
                DashError::Unexpected(anyhow::anyhow!("unshown fields: {p}"))
            }
        }
    }
}

fn url_of(state: &AppState, p: &Product) -> String {
    format!("{}/p/{}", state.public_base, p.slug)
}

/// `GET /dashboard/products`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Done>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let notice = (query.done.as_deref() == Some("created")).then(|| "Product created.".to_string());
    let form = ProductForm {
        currency: "EUR".into(),
        ..ProductForm::default()
    };
    list_page(&state, &ctx, form, FieldErrors::default(), notice).await
}

/// `POST /dashboard/products`: create one.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let (ctx, form) = match guard::form(&req, &state, payload).await {
        Ok(ok) => ok,
        Err(refusal) => return refusal,
    };
    let typed = ProductForm::read(&form);
    let rules = state.opener.rules();
    match products::create(
        &state.store,
        rules,
        ctx.merchant.id,
        &typed.input(true),
        ctx.now_ms,
    )
    .await
    {
        Ok(p) => {
            let detail = format!("{} (/p/{})", p.name, p.slug);
            if let Err(refusal) =
                log_change(&state, &ctx, SecurityEventKind::ProductCreated, &detail).await
            {
                return refusal;
            }
            redirect(&state, &format!("{SECTION}/{}?done=created", p.id))
        }
        Err(ProductError::Invalid(p)) => list_page(&state, &ctx, typed, errors_of(p), None).await,
        Err(e) => refuse(&state, e.into()),
    }
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: ProductForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let list = match products::list(&state.store, ctx.merchant.id).await {
        Ok(list) => list,
        Err(e) => return refuse(state, e.into()),
    };
    let rows = list
        .iter()
        .map(|p| Row {
            id: p.id,
            name: p.name.clone(),
            price: format!("{} {}", p.price, p.price.currency()),
            url: url_of(state, p),
            active: p.active,
        })
        .collect();
    let page = ListPage {
        frame: ctx.frame(state, "Products", SECTION, notice),
        rows,
        form,
        errors,
        currencies: currencies(state),
    };
    render(state, page.errors.status(), &ctx.nonce, page)
}

/// `GET /dashboard/products/{id}`.
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
        Some("created") => Some("Product created: share its page."),
        Some("saved") => Some("Changes saved."),
        Some("disabled") => Some("Taken off sale: its page sells nothing."),
        Some("enabled") => Some("Back on sale."),
        _ => None,
    };
    let Ok(id) = id.parse::<i64>() else {
        return refuse(&state, DashError::NotFound);
    };
    match products::get(&state.store, ctx.merchant.id, id).await {
        Ok(p) => {
            let form = ProductForm::of(&p);
            edit_page(
                &state,
                &ctx,
                &p,
                form,
                FieldErrors::default(),
                notice.map(str::to_string),
            )
        }
        Err(e) => refuse(&state, e.into()),
    }
}

/// `POST /dashboard/products/{id}` with `action=save|disable|enable`.
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
    let current = match products::get(&state.store, ctx.merchant.id, id).await {
        Ok(p) => p,
        Err(e) => return refuse(&state, e.into()),
    };
    let (store, merchant, now) = (&state.store, ctx.merchant.id, ctx.now_ms);
    let (result, done) = match form.get("action") {
        Some("disable") => (
            products::set_active(store, merchant, id, false, now).await,
            "disabled",
        ),
        Some("enable") => (
            products::set_active(store, merchant, id, true, now).await,
            "enabled",
        ),
        Some("save") => {
            let typed = ProductForm::read(&form);
            let input = typed.input(current.active);
            match products::update(store, state.opener.rules(), merchant, id, &input, now).await {
                Err(ProductError::Invalid(p)) => {
                    return edit_page(&state, &ctx, &current, typed, errors_of(p), None);
                }
                other => (other, "saved"),
            }
        }
        _ => return refuse(&state, DashError::NotFound),
    };
    match result {
        Ok(p) => {
            let detail = format!("{done}: {} (/p/{})", p.name, p.slug);
            if let Err(refusal) =
                log_change(&state, &ctx, SecurityEventKind::ProductChanged, &detail).await
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
    p: &Product,
    form: ProductForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> HttpResponse {
    let url = url_of(state, p);
    let page = EditPage {
        frame: ctx.frame(state, &p.name, SECTION, notice),
        id: p.id,
        qr: qr::svg(&url).unwrap_or_default(),
        url,
        active: p.active,
        form,
        errors,
        currencies: currencies(state),
    };
    render(state, page.errors.status(), &ctx.nonce, page)
}
