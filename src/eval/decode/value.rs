//! One fact's JSON value → a [`Value`] of the fact's type, read as serde meets it.
//!
//! Texts are read in place (borrowed from the input, or from serde's scratch buffer
//! when they hold escapes): a date, time, duration, number or enum value is read from
//! the text without copying it; only a `text` fact keeps its own copy. A value of the
//! wrong kind is still read to its end (so that a broken JSON text further on is
//! reported as such), then worded as a [`CaseError`] whose path starts after the fact.

use super::error::{CaseError, Found};
use super::skip::{rest_of_list, Skip};
use crate::check::ir::{FactDef, Policy};
use crate::diagnostic::did_you_mean;
use crate::eval::FactValue;
use crate::types::Type;
use crate::value::Value;
use rust_decimal::Decimal;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::sync::Arc;

/// What reading a value gives: done, or the schema error that words why not.
pub(super) type Read<T> = Result<T, Box<CaseError>>;

/// Reads the value of one fact into its slot: `null` (asked, not answered) or a
/// value of its type. A value that does not fit leaves the slot as it was.
pub(super) struct FactSeed<'p, 's> {
    pub policy: &'p Policy,
    pub fact: &'p FactDef,
    pub slot: &'s mut FactValue,
}

impl<'de> DeserializeSeed<'de> for FactSeed<'_, '_> {
    type Value = Read<()>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Read<()>, D::Error> {
        let name = &self.fact.name;
        Ok(d.deserialize_any(self)?.map_err(|e| e.in_fact(name)))
    }
}

impl<'de> Visitor<'de> for FactSeed<'_, '_> {
    type Value = Read<()>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a value of type {}", self.fact.ty)
    }
    fn visit_unit<E>(self) -> Result<Read<()>, E> {
        *self.slot = FactValue::Null;
        Ok(Ok(()))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Read<()>, E> {
        Ok(self.known(Found::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Read<()>, E> {
        Ok(self.known(Found::Int(i)))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Read<()>, E> {
        Ok(self.known(Found::UInt(u)))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Read<()>, E> {
        Ok(self.known(Found::Float(x)))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Read<()>, E> {
        Ok(self.known(Found::Text(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Read<()>, E> {
        Ok(self.known(Found::Text(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Read<()>, A::Error> {
        let read = list(self.policy, &self.fact.ty, self.fact.is_set, seq)?;
        Ok(read.map(|v| *self.slot = FactValue::Known(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Read<()>, A::Error> {
        Ok(Err(object(&self.fact.ty, map)?))
    }
}

impl FactSeed<'_, '_> {
    // Inlined into each `visit_*`, where the kind of `found` is known, so that
    // reading e.g. a `bool` is a match on the fact's type and a store.
    #[inline(always)]
    fn known(self, found: Found) -> Read<()> {
        let v = scalar(self.policy, &self.fact.ty, found)?;
        *self.slot = FactValue::Known(v);
        Ok(())
    }
}

/// Reads one item of a list of `ty` into `items`; in a set, a value already there
/// is an error.
struct ItemSeed<'p, 'i> {
    policy: &'p Policy,
    ty: &'p Type,
    set: bool,
    items: &'i mut Items,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_, '_> {
    type Value = Read<()>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Read<()>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_, '_> {
    type Value = Read<()>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a value of type {}", self.ty)
    }
    fn visit_unit<E>(self) -> Result<Read<()>, E> {
        Ok(Err(CaseError::null_in_list(self.ty.to_string())))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Read<()>, E> {
        Ok(self.add(Found::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Read<()>, E> {
        Ok(self.add(Found::Int(i)))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Read<()>, E> {
        Ok(self.add(Found::UInt(u)))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Read<()>, E> {
        Ok(self.add(Found::Float(x)))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Read<()>, E> {
        Ok(self.add(Found::Text(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Read<()>, E> {
        Ok(self.add(Found::Text(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Read<()>, A::Error> {
        // A list inside a list is never read as a set.
        Ok(match list(self.policy, self.ty, false, seq)? {
            Ok(v) => self.push(v, &Found::List),
            Err(e) => Err(e),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Read<()>, A::Error> {
        Ok(Err(object(self.ty, map)?))
    }
}

impl ItemSeed<'_, '_> {
    #[inline(always)]
    fn add(self, found: Found) -> Read<()> {
        let v = scalar(self.policy, self.ty, found)?;
        self.push(v, &found)
    }

    fn push(self, v: Value, found: &Found) -> Read<()> {
        if self.set && self.items.iter().any(|x| x.equals(&v)) {
            return Err(CaseError::twice_in_set(found));
        }
        self.items.push(v);
        Ok(())
    }
}

/// The items of a list being read: the first few on the stack, so that a short
/// list allocates once (its `Arc`), the rest in a `Vec`.
struct Items {
    head: [Value; HEAD],
    len: usize,
    tail: Vec<Value>,
}

const HEAD: usize = 8;
/// What an unused place of `Items::head` holds.
const EMPTY: Value = Value::Bool(false);

impl Items {
    fn new() -> Items {
        Items {
            head: [EMPTY; HEAD],
            len: 0,
            tail: Vec::new(),
        }
    }

    fn push(&mut self, v: Value) {
        match self.head.get_mut(self.len) {
            Some(place) => *place = v,
            None => self.tail.push(v),
        }
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &Value> {
        self.head.iter().take(self.len).chain(self.tail.iter())
    }

    fn into_value(mut self) -> Value {
        let head = self.head.iter_mut().take(self.len);
        let items = head.map(|v| std::mem::replace(v, EMPTY));
        Value::List(items.chain(self.tail.drain(..)).collect())
    }
}

/// A JSON list as a value of `ty`: its items one by one while they read, the rest
/// read past after the first that does not.
fn list<'de, A: SeqAccess<'de>>(
    policy: &Policy,
    ty: &Type,
    set: bool,
    mut seq: A,
) -> Result<Read<Value>, A::Error> {
    let Type::List(elem) = ty else {
        rest_of_list(seq)?;
        return Ok(Err(CaseError::wrong(&expected(ty), &Found::List)));
    };
    let mut items = Items::new();
    loop {
        let index = items.len;
        let seed = ItemSeed {
            policy,
            ty: elem,
            set,
            items: &mut items,
        };
        match seq.next_element_seed(seed)? {
            None => return Ok(Ok(items.into_value())),
            Some(Ok(())) => {}
            Some(Err(e)) => {
                rest_of_list(seq)?;
                return Ok(Err(e.in_item(index)));
            }
        }
    }
}

/// A JSON object where a value of `ty` was expected: read past, then worded.
fn object<'de, A: MapAccess<'de>>(ty: &Type, map: A) -> Result<Box<CaseError>, A::Error> {
    Skip.visit_map(map)?;
    Ok(CaseError::wrong(&expected(ty), &Found::Object))
}

/// What a value of `ty` must be, as E0604 says it.
fn expected(ty: &Type) -> String {
    match ty {
        Type::Bool => "true or false".into(),
        Type::Int => "a whole number".into(),
        Type::Decimal => "a number".into(),
        Type::Text => "a text".into(),
        Type::Enum(_, name) => format!("one of the values of `{name}`"),
        Type::Date => DATE.into(),
        Type::DateTime => DATE_TIME.into(),
        Type::Time => TIME.into(),
        Type::Duration => DURATION.into(),
        Type::List(elem) => format!("a list of {elem}"),
        Type::Error => "a value".into(),
    }
}

const DATE: &str = "a date such as \"2025-04-29\"";
const DATE_TIME: &str = "a date and time such as \"2025-04-29T10:30:00+07:00\"";
const DATE_TIME_RANGE: &str =
    "a date and time such as \"2025-04-29T10:30:00+07:00\", from year 0001 to 9999";
const TIME: &str = "a time of day such as \"19:05\"";
const DURATION: &str = "a duration such as \"30 minutes\" or \"PT30M\"";
const DECIMAL_TEXT: &str = "a number such as \"12.50\"";

/// A JSON scalar as a value of `ty`.
#[inline(always)]
fn scalar(policy: &Policy, ty: &Type, found: Found) -> Read<Value> {
    let wrong = || CaseError::wrong(&expected(ty), &found);
    Ok(match (ty, found) {
        (Type::Bool, Found::Bool(b)) => Value::Bool(b),
        (Type::Int, Found::Int(i)) => Value::Int(i),
        (Type::Int, Found::UInt(u)) => Value::Int(i64::try_from(u).map_err(|_| wrong())?),
        (Type::Decimal, Found::Int(i)) => Value::Decimal(Decimal::from(i)),
        (Type::Decimal, Found::UInt(u)) => Value::Decimal(Decimal::from(u)),
        (Type::Decimal, Found::Float(x)) => Value::Decimal(float_decimal(x).ok_or_else(wrong)?),
        (Type::Decimal, Found::Text(s)) => Value::Decimal(
            s.trim()
                .parse()
                .map_err(|_| CaseError::bad_text("E0605", DECIMAL_TEXT, s))?,
        ),
        (Type::Text, Found::Text(s)) => Value::Text(Arc::from(s)),
        (Type::Enum(ei, name), Found::Text(s)) => {
            let en = &policy.enums[*ei];
            match en.variant(s) {
                Some(i) => Value::Enum(*ei, i),
                None => {
                    let names: Vec<&str> = en.variants.iter().map(|x| x.name.as_str()).collect();
                    let hint = did_you_mean(s, names.iter().copied());
                    return Err(CaseError::not_a_variant(s, name, &names, hint));
                }
            }
        }
        (Type::Date, Found::Text(s)) => Value::Date(
            crate::time::parse_date(s).ok_or_else(|| CaseError::bad_text("E0605", DATE, s))?,
        ),
        (Type::DateTime, Found::Text(s)) => Value::DateTime(
            crate::time::read_instant(s, &policy.calendar.zone)
                .ok_or_else(|| CaseError::bad_text("E0605", DATE_TIME_RANGE, s))?,
        ),
        (Type::Time, Found::Text(s)) => Value::Time(
            crate::time::parse_time(s).ok_or_else(|| CaseError::bad_text("E0605", TIME, s))?,
        ),
        (Type::Duration, Found::Text(s)) => Value::Duration(
            crate::time::parse_duration(s)
                .ok_or_else(|| CaseError::bad_text("E0605", DURATION, s))?,
        ),
        _ => return Err(wrong()),
    })
}

/// A JSON number with a fraction or an exponent as a decimal: its shortest text
/// (as serde_json writes it) read as a decimal, without allocating. `1e-7` and the
/// like have no decimal reading and are refused.
fn float_decimal(x: f64) -> Option<Decimal> {
    use std::fmt::Write;
    let n = serde_json::Number::from_f64(x)?;
    let mut text = ShortText {
        bytes: [0; 40],
        len: 0,
    };
    write!(text, "{n}").ok()?;
    text.as_str()?.parse().ok()
}

/// A fixed buffer for the text of one number.
struct ShortText {
    bytes: [u8; 40],
    len: usize,
}

impl ShortText {
    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes.get(..self.len)?).ok()
    }
}

impl fmt::Write for ShortText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
