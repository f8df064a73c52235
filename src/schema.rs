//! The JSON Schema (draft 2020-12) of a policy's case record.

use crate::check::ir::Policy;
use crate::types::Type;
use serde_json::{json, Map, Value as J};

fn type_schema(policy: &Policy, t: &Type, unique: bool) -> J {
    match t {
        Type::Bool => json!({"type": "boolean"}),
        Type::Int => json!({"type": "integer"}),
        Type::Decimal => json!({"type": ["number", "string"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}),
        Type::Text => json!({"type": "string"}),
        Type::Date => json!({"type": "string", "format": "date"}),
        Type::DateTime => json!({"type": "string", "format": "date-time"}),
        Type::Time => {
            json!({"type": "string", "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"})
        }
        Type::Duration => {
            json!({"type": "string", "description": "ISO 8601 (\"PT30M\") or \"30 minutes\""})
        }
        Type::Enum(ei, name) => {
            let en = policy.enums.get(*ei as usize);
            let values: Vec<J> = en
                .map(|e| {
                    e.variants
                        .iter()
                        .map(|v| J::String(v.name.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let labels: Map<String, J> = en
                .map(|e| {
                    e.variants
                        .iter()
                        .filter_map(|v| v.label.clone().map(|l| (v.name.clone(), J::String(l))))
                        .collect()
                })
                .unwrap_or_default();
            let mut s = json!({"type": "string", "enum": values, "title": name});
            if !labels.is_empty() {
                s["x-labels"] = J::Object(labels);
            }
            s
        }
        Type::List(elem) => {
            let mut s = json!({"type": "array", "items": type_schema(policy, elem, false)});
            if unique {
                s["uniqueItems"] = J::Bool(true);
            }
            s
        }
        Type::Error => json!({}),
    }
}

/// A schema accepting exactly the case records `pol eval` accepts. A fact may
/// be absent (not asked yet) or `null` (asked, not answered).
pub fn case_schema(policy: &Policy) -> J {
    let mut props = Map::new();
    for f in &policy.facts {
        let inner = type_schema(policy, &f.ty, f.is_set);
        let mut s = json!({"anyOf": [inner, {"type": "null"}]});
        if let Some(l) = &f.label {
            s["title"] = J::String(l.clone());
        }
        if let Some(q) = &f.ask {
            s["x-question"] = J::String(q.clone());
        }
        s["description"] = J::String(
            "absent: not asked yet; null: asked, the customer could not or would not answer".into(),
        );
        props.insert(f.name.clone(), s);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:pol:{}:case", policy.meta.id),
        "title": policy.meta.title.clone().unwrap_or_else(|| policy.meta.id.clone()),
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    })
}
