//! JSON Schemas (draft 2020-12) of the contract, made from the Rust types.
//!
//! utoipa derives an OpenAPI component per type; [`openapi_components`] gives
//! them to an OpenAPI 3.1 document, and the standalone schemas are the same
//! components under `$defs`, with references rewritten to point there.

use super::{
    BadRequest, BatchError, BatchLine, BatchLineError, DiagnosticsReport, EvalError, Health,
    PolicyInfo, PolicyList, Ready, ServiceError, SCHEMA_VERSION,
};
use crate::eval::decision::Decision;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Components, Schema};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

type Named = BTreeMap<String, RefOr<Schema>>;

/// `T` and every schema it refers to, made strict.
fn collect<T: ToSchema>(out: &mut Named) {
    let mut list = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut list);
    for (name, mut schema) in list {
        close(&mut schema);
        out.insert(name, schema);
    }
}

/// Objects pol writes have exactly their declared properties: every object
/// schema with properties gets `additionalProperties: false`. Objects declared
/// without properties (outcome values, a counterexample's case) stay open.
fn close(s: &mut RefOr<Schema>) {
    let RefOr::T(s) = s else { return };
    match s {
        Schema::Object(o) => {
            if !o.properties.is_empty() && o.additional_properties.is_none() {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            o.properties.values_mut().for_each(close);
        }
        Schema::Array(a) => {
            if let ArrayItems::RefOrSchema(items) = &mut a.items {
                close(items);
            }
        }
        Schema::OneOf(x) => x.items.iter_mut().for_each(close),
        Schema::AllOf(x) => x.items.iter_mut().for_each(close),
        Schema::AnyOf(x) => x.items.iter_mut().for_each(close),
        _ => {}
    }
}

/// Every schema of the contract, for the `components` of an OpenAPI 3.1 document
/// (references are `#/components/schemas/NAME`).
pub fn openapi_components() -> Components {
    let mut all = Named::new();
    collect::<Decision>(&mut all);
    collect::<BatchError>(&mut all);
    collect::<EvalError>(&mut all);
    collect::<DiagnosticsReport>(&mut all);
    collect::<ServiceError>(&mut all);
    collect::<BatchLineError>(&mut all);
    collect::<PolicyList>(&mut all);
    collect::<PolicyInfo>(&mut all);
    collect::<Health>(&mut all);
    collect::<Ready>(&mut all);
    collect::<BadRequest>(&mut all);
    collect::<BatchLine>(&mut all);
    let mut c = Components::new();
    c.schemas = all;
    c
}

/// A standalone schema: `roots` (name, title, description) are the accepted
/// documents, `$defs` holds what they need.
fn standalone(id: &str, title: &str, defs: Named, roots: &[(&str, &str, &str)]) -> Value {
    let mut defs = match serde_json::to_value(defs) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for v in defs.values_mut() {
        rewrite_refs(v);
    }
    // JSON Schema says what OpenAPI's `enum` of one value says, more plainly.
    if let Some(v) = defs.get_mut("SchemaVersion") {
        *v = json!({
            "type": "string",
            "const": SCHEMA_VERSION,
            "description": v.get("description").cloned().unwrap_or(Value::Null),
        });
    }
    let any_of: Vec<Value> = roots
        .iter()
        .map(|(name, title, description)| {
            json!({
                "$ref": format!("#/$defs/{name}"),
                "title": title,
                "description": description,
            })
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:pol:{id}:{SCHEMA_VERSION}"),
        "title": title,
        "anyOf": any_of,
        "$defs": defs,
    })
}

fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    *r = format!("#/$defs/{name}");
                }
            }
            m.values_mut().for_each(rewrite_refs);
        }
        Value::Array(a) => a.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The schema of what `pol eval` writes: a Decision, a line of `--batch`
/// output (a Decision or an error record), or the error of a refused case.
pub fn decision_schema() -> Value {
    let mut defs = Named::new();
    collect::<Decision>(&mut defs);
    collect::<BatchError>(&mut defs);
    collect::<EvalError>(&mut defs);
    standalone(
        "decision",
        "pol Decision",
        defs,
        &[
            (
                "Decision",
                "Decision",
                "What the agent must do on one case: `pol eval`, and each good line of `pol eval --batch`.",
            ),
            (
                "BatchError",
                "Batch error record",
                "A line of `pol eval --batch` output whose input line is not a valid case record.",
            ),
            (
                "EvalError",
                "Case error",
                "`pol eval --format json` output when the case record is not valid (exit status 2).",
            ),
        ],
    )
}

/// The schema of `pol check --format json`.
pub fn diagnostics_schema() -> Value {
    let mut defs = Named::new();
    collect::<DiagnosticsReport>(&mut defs);
    standalone(
        "diagnostics",
        "pol diagnostics",
        defs,
        &[(
            "DiagnosticsReport",
            "Diagnostics",
            "`pol check --format json`: every diagnostic of the checked files and a summary.",
        )],
    )
}
