//! The JSON Schema (draft 2020-12) of a policy's case record.

use crate::check::ir::Policy;
use crate::types::Type;
use serde_json::{json, Map, Value as J};

// The text forms `crate::time` reads, as ECMA-262 patterns (ASCII digits only,
// `[0-9]` rather than `\d`, which is Unicode-aware in some engines).

/// `YYYY-MM-DD`, with the days each month has, 29 February only in leap years.
const DATE: &str = concat!(
    "([0-9]{4}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])",
    "|[0-9]{4}-(0[469]|11)-(0[1-9]|[12][0-9]|30)",
    "|[0-9]{4}-02-(0[1-9]|1[0-9]|2[0-8])",
    "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)"
);

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.f` (1 to 9 digits of fraction).
const CLOCK: &str = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?";

/// A clock whose hour may have one digit.
const TIME_OF_DAY: &str = "([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?";

/// `Z`, `+HH:MM`, `-HH:MM`, or nothing (local time in the calendar's zone).
const OFFSET: &str = "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?";

/// `N UNIT`, or ISO 8601 `PnWnDTnHnMnS` with at least one part, in that order.
fn duration_pattern() -> String {
    let n = "[0-9]{1,9}";
    let time = format!("T({n}H({n}M)?({n}S)?|{n}M({n}S)?|{n}S)");
    format!("^({n} (second|minute|hour|day|week)s?|P({n}W({n}D)?({time})?|{n}D({time})?|{time}))$")
}

fn date_pattern() -> String {
    format!("^{DATE}$")
}

fn datetime_pattern() -> String {
    format!("^{DATE}T{CLOCK}{OFFSET}$")
}

fn type_schema(policy: &Policy, t: &Type, unique: bool) -> J {
    match t {
        Type::Bool => json!({"type": "boolean"}),
        Type::Int => json!({"type": "integer"}),
        Type::Decimal => json!({"type": ["number", "string"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}),
        Type::Text => json!({"type": "string"}),
        Type::Date => json!({"type": "string", "format": "date", "pattern": date_pattern()}),
        Type::DateTime => json!({"type": "string", "pattern": datetime_pattern()}),
        Type::Time => json!({"type": "string", "pattern": format!("^{TIME_OF_DAY}$")}),
        Type::Duration => json!({
            "type": "string",
            "pattern": duration_pattern(),
            "description": "\"30 minutes\" (second, minute, hour, day, week) or ISO 8601 \"PT30M\""
        }),
        Type::Enum(ei, name) => {
            let en = &policy.enums[*ei];
            let values: Vec<J> = en
                .variants
                .iter()
                .map(|v| J::String(v.name.clone()))
                .collect();
            let labels: Map<String, J> = en
                .variants
                .iter()
                .filter_map(|v| v.label.clone().map(|l| (v.name.clone(), J::String(l))))
                .collect();
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
        if f.sensitive {
            s["x-sensitive"] = J::Bool(true);
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
