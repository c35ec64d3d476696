//! `GET /admin/merchants[?q=TEXT&page=N]`: every merchant, newest first,
//! page by page, with what an operator scans a list for (package, checkout
//! mode, country, whether it is switched off, when it signed up); the
//! search box finds one by id, e-mail, shop domain or display name. Each
//! row leads to the merchant's page (`merchant.rs`).
//!
//! Reads only, through `app::merchants::admin::search`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::frame::Frame;
use super::guard::{self, refuse};
use crate::app::merchants::admin::{self, PER_PAGE};
use crate::clock::format_doc_time;
use crate::http::state::AppState;
use crate::pages::dashboard::render;
use crate::store::merchant_search::ListedMerchant;

/// One merchant's row.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub name: Option<String>,
    pub email: String,
    pub domains: String,
    pub package: &'static str,
    pub mode: &'static str,
    pub country: String,
    pub crypto: bool,
    pub disabled: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/merchants.html")]
struct MerchantsPage {
    frame: Frame,
    q: String,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
}

/// The query as typed (a page that is not a number is the first).
#[derive(Debug, serde::Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<String>,
}

/// `GET /admin/merchants`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let ctx = match guard::page(&req, &state).await {
        Ok(ctx) => ctx,
        Err(refusal) => return refusal,
    };
    let q = query.q.as_deref().unwrap_or_default().trim().to_string();
    let page_no = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<u64>().ok())
        .unwrap_or(1);
    let found = match admin::search(&state.store, Some(&q), page_no, PER_PAGE).await {
        Ok(found) => found,
        Err(e) => return refuse(&state, e.into()),
    };
    let pages = found.pages();
    let link = |n: u64| list_href(&q, n);
    let body = MerchantsPage {
        frame: ctx.frame(&state, "Merchants", "/admin/merchants", None),
        rows: found.rows.iter().map(row).collect(),
        total: found.total,
        page: found.page,
        pages,
        prev: (found.page > 1).then(|| link(found.page.min(pages + 1) - 1)),
        next: (found.page < pages).then(|| link(found.page + 1)),
        q,
    };
    render(&state, StatusCode::OK, &ctx.nonce, body)
}

/// The list's address for page `n` of the search `q`.
fn list_href(q: &str, n: u64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if n > 1 {
        query.append_pair("page", &n.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        "/admin/merchants".into()
    } else {
        format!("/admin/merchants?{query}")
    }
}

fn row(listed: &ListedMerchant) -> Row {
    let m = &listed.merchant;
    Row {
        id: m.id,
        name: m
            .branding
            .display_name
            .as_ref()
            .map(|n| n.as_str().to_string()),
        email: m.email.clone(),
        domains: m.domains.join(", "),
        package: m.package.as_str(),
        mode: m.checkout_mode.as_str(),
        country: m.country.clone().unwrap_or_else(|| "—".into()),
        crypto: m.crypto_enabled,
        disabled: m.disabled,
        created: format_doc_time(listed.created_at_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_search_and_leave_out_the_defaults() {
        assert_eq!(list_href("", 1), "/admin/merchants");
        assert_eq!(list_href("a&b c", 3), "/admin/merchants?q=a%26b+c&page=3");
    }
}
