//! The types of facts, derived facts, outcomes and ticket fields.

use crate::check::ids::EnumId;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Type {
    Bool,
    Int,
    Decimal,
    Text,
    Date,
    DateTime,
    Time,
    Duration,
    /// Index into `Policy::enums`, and its name for messages.
    Enum(EnumId, String),
    List(Box<Type>),
    /// The type of an expression that already has an error: matches anything,
    /// so one mistake is reported once.
    Error,
}

impl Type {
    pub fn from_name(name: &str) -> Option<Type> {
        Some(match name {
            "bool" => Type::Bool,
            "int" => Type::Int,
            "decimal" => Type::Decimal,
            "text" => Type::Text,
            "date" => Type::Date,
            "datetime" => Type::DateTime,
            "time" => Type::Time,
            "duration" => Type::Duration,
            _ => return None,
        })
    }

    pub const BUILTIN_NAMES: [&'static str; 8] = [
        "bool", "int", "decimal", "text", "date", "datetime", "time", "duration",
    ];

    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Decimal)
    }

    /// Whether values of this type can be put in order with `<`.
    pub fn is_ordered(&self) -> bool {
        matches!(
            self,
            Type::Int
                | Type::Decimal
                | Type::Date
                | Type::DateTime
                | Type::Time
                | Type::Duration
                | Type::Error
        )
    }

    /// Whether a value of type `other` may stand where `self` is expected.
    pub fn accepts(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Error, _) | (_, Type::Error) => true,
            (Type::Decimal, Type::Int) => true,
            (Type::Enum(a, _), Type::Enum(b, _)) => a == b,
            (Type::List(a), Type::List(b)) => a.accepts(b),
            (a, b) => a == b,
        }
    }

    /// The common type of two comparable values, if there is one.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        if self.accepts(other) {
            Some(if self.is_error() {
                other.clone()
            } else {
                self.clone()
            })
        } else if other.accepts(self) {
            Some(other.clone())
        } else {
            None
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Decimal => f.write_str("decimal"),
            Type::Text => f.write_str("text"),
            Type::Date => f.write_str("date"),
            Type::DateTime => f.write_str("datetime"),
            Type::Time => f.write_str("time"),
            Type::Duration => f.write_str("duration"),
            Type::Enum(_, name) => f.write_str(name),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Error => f.write_str("unknown"),
        }
    }
}

/// How a type is described to a policy owner: `text`, `yes/no (bool)`.
pub fn describe(t: &Type) -> String {
    match t {
        Type::Bool => "yes/no (`bool`)".into(),
        Type::Int => "a whole number (`int`)".into(),
        Type::Decimal => "a number (`decimal`)".into(),
        Type::Text => "a text (`text`)".into(),
        Type::Date => "a date (`date`)".into(),
        Type::DateTime => "a date and time (`datetime`)".into(),
        Type::Time => "a time of day (`time`)".into(),
        Type::Duration => "a duration (`duration`)".into(),
        Type::Enum(_, n) => format!("one of the values of `{n}`"),
        Type::List(t) => format!("a list of `{t}` values"),
        Type::Error => "a value".into(),
    }
}
