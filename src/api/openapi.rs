//! `GET /openapi.json`: the OpenAPI 3.1 description of the merchant API,
//! generated from the handlers' annotations and the very types that parse
//! requests and render answers, so it cannot drift from the code.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde_json::{Value, json};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{create_session, me, session_status};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kassa merchant API",
        description = "Create checkout sessions, poll their status and read your capabilities. \
Authenticate with `Authorization: Bearer KEY` or `X-API-Key: KEY`. \
Errors are `{\"ok\":false,\"error\":\"<code>\",…}`. \
Mark orders paid only on a signed webhook or a `paid` status.",
    ),
    paths(create_session::create_session, session_status::session_status, me::me),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The document as JSON (built once).
pub fn document() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        add_links(&mut doc);
        serde_json::to_string(&doc).unwrap_or_else(|_| "{}".into())
    })
}

/// OpenAPI links from a created session to its status, so clients (and
/// stateful contract tests) know where `session_id` and `order_id` lead.
/// Written as JSON: utoipa 5.5 spells a link's `operationId` in snake case.
fn add_links(doc: &mut Value) {
    let links: serde_json::Map<String, Value> = [
        ("StatusBySessionId", "session_id"),
        ("StatusByOrderId", "order_id"),
    ]
    .into_iter()
    .map(|(name, field)| {
        let link = json!({
            "operationId": "session_status",
            "parameters": { format!("query.{field}"): format!("$response.body#/{field}") },
            "description": format!("The answer's `{field}` finds this session at GET /gateway/session_status.php."),
        });
        (name.to_string(), link)
    })
    .collect();
    if let Some(created) = doc.pointer_mut("/paths/~1gateway~1session.php/post/responses/200")
        && let Some(created) = created.as_object_mut()
    {
        created.insert("links".into(), Value::Object(links));
    }
}

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}
