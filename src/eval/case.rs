//! Case JSON → fact slots, checked against the case schema as it is read.

use super::{Case, FactValue};
use crate::check::ir::Policy;
use crate::diagnostic::did_you_mean;
use crate::types::Type;
use crate::value::Value;
use serde_json::Value as J;
use std::fmt;
use std::sync::Arc;

/// A case record that does not fit the policy's case schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseError {
    /// Stable code, e.g. `E0601`.
    pub code: &'static str,
    /// JSON path of the offending value, e.g. `$.confirm_count`.
    pub path: String,
    pub expected: String,
    pub found: String,
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.code, self.path, self.message)
    }
}

impl std::error::Error for CaseError {}

fn err(
    code: &'static str,
    path: String,
    expected: impl Into<String>,
    found: impl Into<String>,
    message: impl Into<String>,
) -> CaseError {
    CaseError {
        code,
        path,
        expected: expected.into(),
        found: found.into(),
        message: message.into(),
    }
}

fn kind_of(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => format!("`{b}`"),
        J::Number(n) => format!("the number {n}"),
        J::String(s) => format!("the text {s:?}"),
        J::Array(_) => "a list".into(),
        J::Object(_) => "an object".into(),
    }
}

/// Decodes a case record (JSON text) into the policy's fact slots.
pub fn decode_case(policy: &Policy, text: &str) -> Result<Case, CaseError> {
    if let Some(case) = super::case_fast::decode(policy, text) {
        return Ok(case);
    }
    let json: J = serde_json::from_str(text).map_err(|e| {
        err(
            "E0601",
            format!("line {}, column {}", e.line(), e.column()),
            "a JSON object",
            "text that is not valid JSON",
            format!("the case is not valid JSON: {e}"),
        )
    })?;
    decode_value(policy, &json)
}

/// Decodes an already parsed JSON value.
pub fn decode_value(policy: &Policy, json: &J) -> Result<Case, CaseError> {
    let J::Object(map) = json else {
        return Err(err(
            "E0602",
            "$".into(),
            "a JSON object of facts",
            kind_of(json),
            format!(
                "a case must be a JSON object of facts, not {}",
                kind_of(json)
            ),
        ));
    };
    let mut case = Case::empty(policy);
    for (key, v) in map {
        let Some(index) = policy.facts.iter().position(|f| f.name == *key) else {
            let suggestion = did_you_mean(key, policy.facts.iter().map(|f| f.name.as_str()));
            let msg = match &suggestion {
                Some(s) => format!(
                    "`{key}` is not a fact of policy `{}`; did you mean `{s}`?",
                    policy.meta.id
                ),
                None => format!("`{key}` is not a fact of policy `{}`", policy.meta.id),
            };
            return Err(err(
                "E0603",
                format!("$.{key}"),
                "a fact of the policy",
                format!("`{key}`"),
                msg,
            ));
        };
        let Some(fact) = policy.facts.get(index) else {
            continue;
        };
        let path = format!("$.{key}");
        let value = if v.is_null() {
            FactValue::Null
        } else {
            FactValue::Known(value_of(policy, &fact.ty, v, &path, fact.is_set)?)
        };
        if let Some(slot) = case.slots.get_mut(index) {
            *slot = value;
        }
    }
    Ok(case)
}

fn value_of(
    policy: &Policy,
    ty: &Type,
    v: &J,
    path: &str,
    is_set: bool,
) -> Result<Value, CaseError> {
    let wrong = |expected: &str| {
        err(
            "E0604",
            path.to_string(),
            expected,
            kind_of(v),
            format!("expected {expected}, found {}", kind_of(v)),
        )
    };
    let bad_text = |code: &'static str, expected: &str, s: &str| {
        err(
            code,
            path.to_string(),
            expected,
            format!("{s:?}"),
            format!("expected {expected}, found {s:?}"),
        )
    };
    Ok(match ty {
        Type::Bool => Value::Bool(v.as_bool().ok_or_else(|| wrong("true or false"))?),
        Type::Int => Value::Int(v.as_i64().ok_or_else(|| wrong("a whole number"))?),
        Type::Decimal => match v {
            J::Number(n) => Value::Decimal(n.to_string().parse().map_err(|_| wrong("a number"))?),
            J::String(s) => Value::Decimal(
                s.trim()
                    .parse()
                    .map_err(|_| bad_text("E0605", "a number such as \"12.50\"", s))?,
            ),
            _ => return Err(wrong("a number")),
        },
        Type::Text => Value::Text(Arc::from(v.as_str().ok_or_else(|| wrong("a text"))?)),
        Type::Enum(ei, name) => {
            let s = v
                .as_str()
                .ok_or_else(|| wrong(&format!("one of the values of `{name}`")))?;
            let en = policy
                .enums
                .get(*ei as usize)
                .ok_or_else(|| wrong("a value"))?;
            match en.variants.iter().position(|x| x.name == s) {
                Some(i) => Value::Enum(*ei, i as u32),
                None => {
                    let names: Vec<&str> = en.variants.iter().map(|x| x.name.as_str()).collect();
                    let hint = did_you_mean(s, names.iter().copied())
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default();
                    return Err(err(
                        "E0606",
                        path.to_string(),
                        format!("one of {}", names.join(", ")),
                        format!("{s:?}"),
                        format!("{s:?} is not a value of `{name}`{hint}"),
                    ));
                }
            }
        }
        Type::Date => {
            let s = v
                .as_str()
                .ok_or_else(|| wrong("a date such as \"2025-04-29\""))?;
            Value::Date(
                crate::time::parse_date(s)
                    .ok_or_else(|| bad_text("E0605", "a date such as \"2025-04-29\"", s))?,
            )
        }
        Type::DateTime => {
            let s = v
                .as_str()
                .ok_or_else(|| wrong("a date and time such as \"2025-04-29T10:30:00+07:00\""))?;
            Value::DateTime(
                crate::time::read_instant(s, &policy.calendar.zone).ok_or_else(|| {
                    bad_text(
                        "E0605",
                        "a date and time such as \"2025-04-29T10:30:00+07:00\", from year 0001 to 9999",
                        s,
                    )
                })?,
            )
        }
        Type::Time => {
            let s = v
                .as_str()
                .ok_or_else(|| wrong("a time of day such as \"19:05\""))?;
            Value::Time(
                crate::time::parse_time(s)
                    .ok_or_else(|| bad_text("E0605", "a time of day such as \"19:05\"", s))?,
            )
        }
        Type::Duration => {
            let s = v
                .as_str()
                .ok_or_else(|| wrong("a duration such as \"30 minutes\" or \"PT30M\""))?;
            Value::Duration(crate::time::parse_duration(s).ok_or_else(|| {
                bad_text("E0605", "a duration such as \"30 minutes\" or \"PT30M\"", s)
            })?)
        }
        Type::List(elem) => {
            let items = v
                .as_array()
                .ok_or_else(|| wrong(&format!("a list of {elem}")))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                if item.is_null() {
                    return Err(err(
                        "E0604",
                        p,
                        elem.to_string(),
                        "null",
                        "a list cannot hold null",
                    ));
                }
                let value = value_of(policy, elem, item, &p, false)?;
                if is_set && out.iter().any(|x: &Value| x.equals(&value)) {
                    return Err(err(
                        "E0607",
                        p,
                        "each value once",
                        kind_of(item),
                        format!("{} appears twice in a set", kind_of(item)),
                    ));
                }
                out.push(value);
            }
            Value::List(Arc::from(out))
        }
        Type::Error => return Err(wrong("a value")),
    })
}
