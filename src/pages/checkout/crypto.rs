//! `/crypto.php?session=N`: crypto checkout (EPv3). Network Polygon, token
//! USDC, the exact amount still owed, the session's deposit address with a
//! copy button, an EIP-681 QR code, time left and live status; in sandbox
//! mode a "Simulate payment" button (the sandbox on-ramp's own path).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::customer;
use super::error::PageError;
use super::frame::Frame;
use super::qr;
use super::query::PageQuery;
use super::security;
use super::view::{SessionSummary, load, shop_of};
use crate::domain::routing::Reason;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "checkout/crypto.html")]
struct CryptoPage {
    frame: Frame,
    s: SessionSummary,
    address: String,
    qr_svg: std::sync::Arc<str>,
    /// The page token, in sandbox mode (the "Simulate payment" form).
    simulate: Option<String>,
    /// The explicitly chosen language, carried through the form.
    lang: Option<&'static str>,
    back: String,
}

/// `GET /crypto.php`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = PageQuery::parse(req.query_string().as_bytes());
    let lang = customer::language(&req, &query);
    let self_path = query.session.map_or_else(
        || "/crypto.php".to_string(),
        |id| format!("/crypto.php?session={id}"),
    );
    match render(&req, &state, &query, &self_path).await {
        Ok(response) => response,
        Err(e) => e.respond(lang, &self_path),
    }
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    query: &PageQuery,
    self_path: &str,
) -> Result<HttpResponse, PageError> {
    let lang = customer::language(req, query);
    let loaded = load(state, query.session).await?;
    let policy = security::policy(&loaded.merchant);
    let lang_suffix = query.lang_suffix();
    let back = format!("/pay.php?session={}{lang_suffix}", loaded.record.id);
    if !loaded.merchant.crypto_enabled {
        return Err(PageError::Refused {
            reason: Reason::CryptoNotEnabled,
            shop: Box::new(shop_of(&loaded)),
            back,
            policy,
        });
    }
    let summary = SessionSummary::new(&loaded, state.clock.now_ms(), lang);
    let nonce = security::nonce();
    let t = lang.messages();
    let frame = Frame::new(lang, nonce.clone(), self_path)
        .title(t.crypto_title)
        .shop(summary.shop.clone(), summary.test);
    let frame = match summary.live(&loaded.record) {
        Some(live) => frame.live(live),
        None => frame,
    };
    let record = &loaded.record;
    let uri = qr::eip681(
        &state.settings.chain.usdc_contract.checksummed(),
        &record.deposit_address.checksummed(),
        record.owed().units(),
    );
    let page = CryptoPage {
        frame,
        address: record.deposit_address.checksummed(),
        qr_svg: qr::svg_memo(&uri, t.scan_qr)?,
        simulate: state
            .sandbox
            .as_ref()
            .map(|_| state.page_secret.token(record.id)),
        lang: query.lang.map(|l| l.code()),
        back,
        s: summary,
    };
    Ok(security::html(
        StatusCode::OK,
        page.render()?,
        &nonce,
        &policy,
    ))
}
