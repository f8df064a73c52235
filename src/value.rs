//! Runtime values. Names are gone: enum values are indices, facts are slots.

use crate::check::ids::{EnumId, VariantId};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Decimal(#[serde(with = "decimal_bytes")] Decimal),
    Text(Arc<str>),
    /// A value of an enum type.
    Enum(EnumId, VariantId),
    /// Days since 1970-01-01.
    Date(i32),
    /// Seconds since the Unix epoch, UTC.
    DateTime(i64),
    /// Seconds since midnight.
    Time(u32),
    /// Seconds.
    Duration(i64),
    List(Arc<[Value]>),
}

impl Value {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    /// Equality across int/decimal; other kinds compare structurally.
    pub fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Decimal(b)) | (Value::Decimal(b), Value::Int(a)) => {
                Decimal::from(*a) == *b
            }
            (a, b) => a == b,
        }
    }

    /// Order of two values of one ordered type.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        Some(match (self, other) {
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::DateTime(a), Value::DateTime(b)) => a.cmp(b),
            (Value::Time(a), Value::Time(b)) => a.cmp(b),
            (Value::Duration(a), Value::Duration(b)) => a.cmp(b),
            (Value::Text(a), Value::Text(b)) => a.cmp(b),
            (a, b) => a.as_decimal()?.cmp(&b.as_decimal()?),
        })
    }
}

/// A decimal as its 16-byte binary form, for the compiled-policy cache: the
/// crate's own serde form is read through `deserialize_any`, which a compact
/// binary format cannot answer.
mod decimal_bytes {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        d.serialize().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let bytes = <[u8; 16]>::deserialize(d)?;
        Ok(Decimal::deserialize(bytes))
    }
}
