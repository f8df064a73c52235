//! Values as JSON and scripts with their placeholders filled in.

use super::value3::V;
use super::Env;
use crate::check::ir::{Policy, ScriptDef, ScriptPart, Slot};
use crate::value::Value;
use serde_json::Value as J;

pub fn json_value(policy: &Policy, v: &Value) -> J {
    match v {
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Decimal(d) => J::String(d.normalize().to_string()),
        Value::Text(t) => J::String(t.to_string()),
        Value::Enum(e, i) => J::String(policy.enums[*e].variants[*i].name.clone()),
        Value::Date(d) => J::String(crate::time::format_date(*d)),
        Value::DateTime(t) => J::String(crate::time::format_instant(
            *t,
            policy.calendar.zone.offset_at(*t),
        )),
        Value::Time(t) => J::String(crate::time::format_time(*t)),
        Value::Duration(d) => J::String(crate::time::format_duration(*d)),
        Value::List(items) => J::Array(items.iter().map(|i| json_value(policy, i)).collect()),
    }
}

/// Appends how a value reads inside a script: enum values by their label.
fn push_text(policy: &Policy, v: &Value, text: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Enum(e, i) => {
            let v = &policy.enums[*e].variants[*i];
            text.push_str(v.label.as_deref().unwrap_or(&v.name));
        }
        Value::Bool(b) => {
            let (yes, no) = match policy.meta.language.as_deref() {
                Some("ru") => ("да", "нет"),
                Some("en") => ("yes", "no"),
                _ => ("ya", "tidak"),
            };
            text.push_str(if *b { yes } else { no });
        }
        Value::Text(t) => text.push_str(t),
        Value::Int(i) => {
            let _ = write!(text, "{i}");
        }
        Value::DateTime(t) => {
            let _ = crate::time::write_instant(text, *t, policy.calendar.zone.offset_at(*t));
        }
        Value::Date(d) => {
            let _ = crate::time::write_date(text, *d);
        }
        other => match json_value(policy, other) {
            J::String(s) => text.push_str(&s),
            j => {
                let _ = write!(text, "{j}");
            }
        },
    }
}

/// Writes the script text into `text`, and the placeholders that could not be
/// filled in into `missing` (both emptied first).
pub(crate) fn script(env: &mut Env, s: &ScriptDef, text: &mut String, missing: &mut Vec<String>) {
    let policy = env.policy;
    text.clear();
    missing.clear();
    for p in &s.parts {
        match p {
            ScriptPart::Text(t) => text.push_str(t),
            ScriptPart::Slot(slot) => {
                let v = match slot {
                    Slot::Fact(i) => env.fact(*i),
                    Slot::Let(i) => env.lets[*i].clone(),
                };
                match v {
                    V::Known(v) => push_text(policy, &v, text),
                    V::Unknown(_) => {
                        let name = match slot {
                            Slot::Fact(i) => policy.facts[*i].name.as_str(),
                            Slot::Let(i) => policy.lets[*i].name.as_str(),
                        };
                        text.push('{');
                        text.push_str(name);
                        text.push('}');
                        if !missing.iter().any(|m| m == name) {
                            missing.push(name.to_string());
                        }
                    }
                }
            }
        }
    }
}
