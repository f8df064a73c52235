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
        Value::Enum(e, i) => J::String(
            policy
                .enums
                .get(*e as usize)
                .and_then(|e| e.variants.get(*i as usize))
                .map(|v| v.name.clone())
                .unwrap_or_default(),
        ),
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

/// How a value reads inside a script: enum values by their label.
fn text_of(policy: &Policy, v: &Value) -> String {
    match v {
        Value::Enum(e, i) => policy
            .enums
            .get(*e as usize)
            .and_then(|e| e.variants.get(*i as usize))
            .map(|v| v.label.clone().unwrap_or_else(|| v.name.clone()))
            .unwrap_or_default(),
        Value::Bool(b) => {
            let (yes, no) = match policy.meta.language.as_deref() {
                Some("ru") => ("да", "нет"),
                Some("en") => ("yes", "no"),
                _ => ("ya", "tidak"),
            };
            (if *b { yes } else { no }).into()
        }
        other => match json_value(policy, other) {
            J::String(s) => s,
            j => j.to_string(),
        },
    }
}

/// The script text, and the placeholders that could not be filled in.
pub(crate) fn script(env: &mut Env, s: &ScriptDef) -> (String, Vec<String>) {
    let policy = env.policy;
    let mut text = String::new();
    let mut missing = Vec::new();
    for p in &s.parts {
        match p {
            ScriptPart::Text(t) => text.push_str(t),
            ScriptPart::Slot(slot) => {
                let (v, name) = match slot {
                    Slot::Fact(i) => (
                        env.fact(*i as usize),
                        policy.facts.get(*i as usize).map(|f| f.name.clone()),
                    ),
                    Slot::Let(i) => (
                        env.lets
                            .get(*i as usize)
                            .cloned()
                            .unwrap_or(V::Unknown(Default::default())),
                        policy.lets.get(*i as usize).map(|l| l.name.clone()),
                    ),
                };
                let name = name.unwrap_or_default();
                match v {
                    V::Known(v) => text.push_str(&text_of(policy, &v)),
                    V::Unknown(_) => {
                        text.push('{');
                        text.push_str(&name);
                        text.push('}');
                        if !missing.contains(&name) {
                            missing.push(name);
                        }
                    }
                }
            }
        }
    }
    (text, missing)
}
