//! The OpenAPI 3.1 document of the service.

pub fn document() -> serde_json::Value {
    serde_json::json!({"openapi": "3.1.0"})
}
