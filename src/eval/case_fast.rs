//! The fast way from case JSON text to fact slots: one pass with serde, straight
//! into the slots, no intermediate JSON tree and no text made on the way.
//!
//! It takes the common shapes only (scalars and `null`). Anything else, and every
//! error, returns `None`, and [`decode_case`](super::decode_case) reads the case
//! again the thorough way, which gives the clear error with its JSON path.

use super::{Case, FactValue};
use crate::check::ir::Policy;
use crate::types::Type;
use crate::value::Value;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Decodes `text`, or `None` when the thorough decoder must look at it.
pub(super) fn decode(policy: &Policy, text: &str) -> Option<Case> {
    let mut de = serde_json::Deserializer::from_str(text);
    let case = CaseSeed { policy }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(case)
}

/// Any JSON scalar, text borrowed from the input where it has no escapes.
enum Scalar<'de> {
    Null,
    Bool(bool),
    Int(i64),
    Text(Cow<'de, str>),
    /// A list of scalars (never of lists: the thorough decoder reads those).
    List(Vec<Scalar<'de>>),
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON scalar")
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Scalar<'de>, E> {
        i64::try_from(u)
            .map(Scalar::Int)
            .map_err(|_| E::custom("out of range"))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Text(Cow::Owned(s)))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(ScalarSeed)? {
            if matches!(item, Scalar::List(_)) {
                return Err(de::Error::custom("nested list"));
            }
            items.push(item);
        }
        Ok(Scalar::List(items))
    }
}

struct KeySeed<'p> {
    policy: &'p Policy,
    /// Where the key is looked for first: just after the previous one, since
    /// records usually list their facts in the policy's order.
    hint: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        let key = match d.deserialize_str(ScalarVisitor)? {
            Scalar::Text(t) => t,
            _ => return Err(de::Error::custom("not a text")),
        };
        let facts = &self.policy.facts;
        if facts.get(self.hint).is_some_and(|f| f.name == *key) {
            return Ok(self.hint);
        }
        facts
            .iter()
            .position(|f| f.name == *key)
            .ok_or_else(|| de::Error::custom("unknown fact"))
    }
}

struct CaseSeed<'p> {
    policy: &'p Policy,
}

impl<'de> DeserializeSeed<'de> for CaseSeed<'_> {
    type Value = Case;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Case, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CaseSeed<'_> {
    type Value = Case;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object of facts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Case, A::Error> {
        let policy = self.policy;
        let mut case = Case::empty(policy);
        let mut hint = 0;
        while let Some(index) = map.next_key_seed(KeySeed { policy, hint })? {
            hint = index + 1;
            let scalar = map.next_value_seed(ScalarSeed)?;
            let fact = policy
                .facts
                .get(index)
                .ok_or_else(|| de::Error::custom("unknown fact"))?;
            let value = match scalar {
                Scalar::Null => FactValue::Null,
                s => FactValue::Known(
                    value_of(policy, &fact.ty, s, fact.is_set)
                        .ok_or_else(|| de::Error::custom("value"))?,
                ),
            };
            if let Some(slot) = case.slots.get_mut(index) {
                *slot = value;
            }
        }
        Ok(case)
    }
}

struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A scalar as a value of the fact's type, read exactly as the thorough decoder
/// reads it; `None` for anything it would reject or that needs a closer look.
fn value_of(policy: &Policy, ty: &Type, s: Scalar, is_set: bool) -> Option<Value> {
    Some(match (ty, s) {
        (Type::Bool, Scalar::Bool(b)) => Value::Bool(b),
        (Type::Int, Scalar::Int(i)) => Value::Int(i),
        (Type::Decimal, Scalar::Int(i)) => Value::Decimal(i.into()),
        (Type::Decimal, Scalar::Text(t)) => Value::Decimal(t.trim().parse().ok()?),
        (Type::Text, Scalar::Text(t)) => Value::Text(Arc::from(t.as_ref())),
        (Type::Enum(ei, _), Scalar::Text(t)) => {
            let en = policy.enums.get(*ei as usize)?;
            let i = en.variants.iter().position(|x| x.name == *t)?;
            Value::Enum(*ei, i as u32)
        }
        (Type::Date, Scalar::Text(t)) => Value::Date(crate::time::parse_date(&t)?),
        (Type::DateTime, Scalar::Text(t)) => {
            Value::DateTime(crate::time::read_instant(&t, &policy.calendar.zone)?)
        }
        (Type::Time, Scalar::Text(t)) => Value::Time(crate::time::parse_time(&t)?),
        (Type::Duration, Scalar::Text(t)) => Value::Duration(crate::time::parse_duration(&t)?),
        (Type::List(elem), Scalar::List(items)) => {
            let mut out: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                if matches!(item, Scalar::Null) {
                    return None;
                }
                let v = value_of(policy, elem, item, false)?;
                // A value twice in a set is an error the thorough decoder words.
                if is_set && out.iter().any(|x| x.equals(&v)) {
                    return None;
                }
                out.push(v);
            }
            Value::List(Arc::from(out))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::eval::decode_value;

    const POLICY: &str = r#"
policy p { title "P" }
enum Who { owner, other }
case {
  who: Who ask "Who?"
  n: int ask "How many?"
  amount: decimal ask "How much?"
  ok: bool ask "OK?"
  name: text ask "Name?"
  day: date ask "Day?"
  at: datetime ask "When?"
  tags: list of text ask "Tags?"
  roles: set of Who ask "Roles?"
}
action a "A"
rule r when ok then require a
"#;

    /// The fast decoder reads exactly what the thorough one reads, or stands aside.
    #[test]
    fn fast_equals_thorough_or_stands_aside() {
        let policy = crate::compile(POLICY, "p.pol")
            .unwrap_or_else(|d| panic!("{d:?}"))
            .policy;
        let taken = [
            r#"{}"#,
            r#"{"who": "owner", "n": 3, "ok": true, "name": "Budi"}"#,
            r#"{"who": null, "n": -2, "amount": "12.50", "ok": false}"#,
            r#"{"amount": 7, "name": "tab\there \"quoted\"", "day": "2025-04-29"}"#,
            r#"{"at": "2025-04-29T10:30:00+07:00", "ok": true, "ok": false}"#,
            r#"  {"n": 9223372036854775807}  "#,
            r#"{"tags": ["a", "a", "b"], "roles": ["owner", "other"]}"#,
            r#"{"tags": [], "roles": []}"#,
        ];
        for text in taken {
            let fast = decode(&policy, text).unwrap_or_else(|| panic!("stood aside: {text}"));
            let json: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(fast, decode_value(&policy, &json).unwrap(), "{text}");
        }
        let aside = [
            r#"{"tags": [["a"]]}"#,
            r#"{"tags": ["a", null]}"#,
            r#"{"tags": [1]}"#,
            r#"{"roles": ["owner", "owner"]}"#,
            r#"{"roles": "owner"}"#,
            r#"{"n": 1.5}"#,
            r#"{"n": 9223372036854775808}"#,
            r#"{"amount": 1.5}"#,
            r#"{"who": "nobody"}"#,
            r#"{"unknown": 1}"#,
            r#"{"ok": "yes"}"#,
            r#"{"day": "29/04/2025"}"#,
            r#"[1]"#,
            r#"{"ok": true} x"#,
            r#"{"ok": true"#,
        ];
        for text in aside {
            assert!(decode(&policy, text).is_none(), "{text}");
        }
    }
}
