//! The OpenAPI 3.1 document of the service, generated from the route handlers'
//! annotations (`routes.rs`) and the contract's types (`crate::contract`), so the
//! Decision schema here is the one `pol schema --decision` prints.

use super::routes;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pol",
        description = "Evaluate call-center SOP policies on case records: what the agent must do now, with the SOP sentence behind every answer. See docs/serve.md and docs/decision.md."
    ),
    paths(
        routes::evaluate,
        routes::batch,
        routes::list,
        routes::one,
        routes::case_schema,
        routes::healthz,
        routes::readyz,
        routes::metrics,
        routes::openapi,
    ),
    tags((name = "policies", description = "Evaluate cases; list the policies served"),
         (name = "operations", description = "Health, readiness, metrics and this document"))
)]
struct Api;

/// The document, as served at `GET /openapi.json`.
pub fn document() -> serde_json::Value {
    let mut doc = Api::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let components = doc.components.get_or_insert_with(Default::default);
    components
        .schemas
        .extend(crate::contract::openapi_components().schemas);
    serde_json::to_value(&doc).unwrap_or_default()
}
