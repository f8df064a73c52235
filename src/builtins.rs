//! The built-in functions of the language: one row per function, read by the
//! checker (name, arity, argument and result types) and by the interpreter
//! (behaviour).

use crate::check::ir::Builtin;
use crate::time::{Zone, SECONDS_PER_DAY};
use crate::types::Type;
use crate::value::Value;
use std::sync::Arc;

/// One built-in function.
pub struct Def {
    pub builtin: Builtin,
    pub name: &'static str,
    /// How many arguments it takes (one or two).
    pub arity: usize,
    /// Checks the argument types (reporting each mismatch through [`Args::need`])
    /// and gives the result type.
    pub typing: fn(&mut Args) -> Type,
    /// The result for argument values of the checked types. `zone` is the
    /// policy's calendar zone, for the functions that read local dates and times.
    pub run: fn(&[&Value], &Zone) -> Result<Value, Failure>,
}

/// Why a built-in gives no value.
#[derive(Debug, PartialEq)]
pub enum Failure {
    /// The arguments are not of the kinds the checker allows (not reached on a
    /// checked policy); the value stays unknown.
    Kinds,
    /// It cannot be computed on these values; the message is reported as a
    /// runtime warning (W0102).
    Cannot(String),
}

/// The argument types of one call, as the checker sees them, and the
/// mismatches found so far.
pub struct Args<'t> {
    types: &'t [Type],
    /// `(argument index, what it should have been)`, in the order found.
    pub problems: Vec<(usize, &'static str)>,
}

impl<'t> Args<'t> {
    pub fn new(types: &'t [Type]) -> Args<'t> {
        Args {
            types,
            problems: Vec::new(),
        }
    }

    /// The type of argument `i` (an error type if there is none).
    pub fn ty(&self, i: usize) -> &'t Type {
        static ERROR: Type = Type::Error;
        self.types.get(i).unwrap_or(&ERROR)
    }

    /// Records that argument `i` should have been `expected` unless `ok` (an
    /// argument that already has an error is not reported again).
    pub fn need(&mut self, i: usize, ok: bool, expected: &'static str) {
        if !ok && !self.ty(i).is_error() {
            self.problems.push((i, expected));
        }
    }
}

/// Every built-in function, in the order of [`Builtin`].
pub const TABLE: [Def; 17] = [
    Def {
        builtin: Builtin::Length,
        name: "length",
        arity: 1,
        typing: |a| {
            let ok = matches!(a.ty(0), Type::Text | Type::List(_));
            a.need(0, ok, "a text or a list");
            Type::Int
        },
        run: |v, _| match v {
            [Value::Text(t)] => Ok(Value::Int(t.chars().count() as i64)),
            [Value::List(l)] => Ok(Value::Int(l.len() as i64)),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::Lower,
        name: "lower",
        arity: 1,
        typing: text_to_text,
        run: |v, _| text_map(v, |t| t.to_lowercase().into()),
    },
    Def {
        builtin: Builtin::Upper,
        name: "upper",
        arity: 1,
        typing: text_to_text,
        run: |v, _| text_map(v, |t| t.to_uppercase().into()),
    },
    Def {
        builtin: Builtin::Trim,
        name: "trim",
        arity: 1,
        typing: text_to_text,
        run: |v, _| text_map(v, |t| t.trim().into()),
    },
    Def {
        builtin: Builtin::Contains,
        name: "contains",
        arity: 2,
        typing: |a| {
            match a.ty(0) {
                Type::List(elem) => {
                    let ok = elem.unify(a.ty(1)).is_some();
                    a.need(1, ok, "a value of the list's kind");
                }
                t => {
                    let ok = *t == Type::Text;
                    a.need(0, ok, "a text or a list");
                    let ok = *a.ty(1) == Type::Text;
                    a.need(1, ok, "a text");
                }
            }
            Type::Bool
        },
        run: |v, _| match v {
            [Value::Text(a), Value::Text(b)] => Ok(Value::Bool(a.contains(b.as_ref()))),
            [Value::List(l), x] => Ok(Value::Bool(l.iter().any(|i| i.equals(x)))),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::StartsWith,
        name: "starts_with",
        arity: 2,
        typing: two_texts_to_bool,
        run: |v, _| match v {
            [Value::Text(a), Value::Text(b)] => Ok(Value::Bool(a.starts_with(b.as_ref()))),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::EndsWith,
        name: "ends_with",
        arity: 2,
        typing: two_texts_to_bool,
        run: |v, _| match v {
            [Value::Text(a), Value::Text(b)] => Ok(Value::Bool(a.ends_with(b.as_ref()))),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::Digits,
        name: "digits",
        arity: 1,
        typing: text_to_text,
        run: |v, _| match v {
            [Value::Text(t)] => Ok(Value::Text(digits(t))),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::EditDistance,
        name: "edit_distance",
        arity: 2,
        typing: |a| {
            let ok = *a.ty(0) == Type::Text;
            a.need(0, ok, "a text");
            let ok = *a.ty(1) == Type::Text;
            a.need(1, ok, "a text");
            Type::Int
        },
        run: |v, _| {
            match v {
            [Value::Text(a), Value::Text(b)] => match edit_distance(a, b) {
                Some(d) => Ok(Value::Int(d as i64)),
                None => Err(Failure::Cannot(format!(
                    "cannot compute edit_distance: a text is longer than {EDIT_DISTANCE_MAX_CHARS} characters"
                ))),
            },
            _ => Err(Failure::Kinds),
        }
        },
    },
    Def {
        builtin: Builtin::Abs,
        name: "abs",
        arity: 1,
        typing: |a| {
            let t = a.ty(0);
            a.need(
                0,
                t.is_number() || *t == Type::Duration,
                "a number or a duration",
            );
            t.clone()
        },
        run: |v, _| match v {
            [Value::Int(i)] => Ok(Value::Int(i.saturating_abs())),
            [Value::Decimal(d)] => Ok(Value::Decimal(d.abs())),
            [Value::Duration(d)] => Ok(Value::Duration(d.saturating_abs())),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::Min,
        name: "min",
        arity: 2,
        typing: two_of_a_kind,
        run: |v, _| pick(v, true),
    },
    Def {
        builtin: Builtin::Max,
        name: "max",
        arity: 2,
        typing: two_of_a_kind,
        run: |v, _| pick(v, false),
    },
    Def {
        builtin: Builtin::DateOf,
        name: "date_of",
        arity: 1,
        typing: |a| {
            let ok = *a.ty(0) == Type::DateTime;
            a.need(0, ok, "a date and time");
            Type::Date
        },
        run: |v, zone| match v {
            [Value::DateTime(t)] => Ok(Value::Date(local_date(zone, *t))),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::TimeOf,
        name: "time_of",
        arity: 1,
        typing: |a| {
            let ok = *a.ty(0) == Type::DateTime;
            a.need(0, ok, "a date and time");
            Type::Time
        },
        run: |v, zone| match v {
            [Value::DateTime(t)] => Ok(Value::Time(
                zone.local_seconds(*t).rem_euclid(SECONDS_PER_DAY) as u32,
            )),
            _ => Err(Failure::Kinds),
        },
    },
    Def {
        builtin: Builtin::EndOfDay,
        name: "end_of_day",
        arity: 1,
        typing: |a| {
            date_or_datetime(a);
            Type::DateTime
        },
        run: |v, zone| {
            let day = match v {
                [Value::DateTime(t)] => local_date(zone, *t),
                [Value::Date(d)] => *d,
                _ => return Err(Failure::Kinds),
            };
            let local = i64::from(day) * SECONDS_PER_DAY + SECONDS_PER_DAY - 1;
            Ok(Value::DateTime(zone.instant_of_local(local)))
        },
    },
    Def {
        builtin: Builtin::Weekday,
        name: "weekday",
        arity: 1,
        typing: |a| {
            date_or_datetime(a);
            Type::Int
        },
        run: |v, zone| {
            let day = match v {
                [Value::DateTime(t)] => local_date(zone, *t),
                [Value::Date(d)] => *d,
                _ => return Err(Failure::Kinds),
            };
            Ok(Value::Int(i64::from(crate::time::weekday(day))))
        },
    },
    Def {
        builtin: Builtin::DaysBetween,
        name: "days_between",
        arity: 2,
        typing: |a| {
            let ok = *a.ty(0) == Type::Date;
            a.need(0, ok, "a date");
            let ok = *a.ty(1) == Type::Date;
            a.need(1, ok, "a date");
            Type::Int
        },
        run: |v, _| match v {
            [Value::Date(a), Value::Date(b)] => Ok(Value::Int(i64::from(*b) - i64::from(*a))),
            _ => Err(Failure::Kinds),
        },
    },
];

/// The row of a built-in function.
pub fn def(b: Builtin) -> Option<&'static Def> {
    TABLE.get(b as usize)
}

/// The built-in function called `name`.
pub fn by_name(name: &str) -> Option<&'static Def> {
    TABLE.iter().find(|d| d.name == name)
}

/// The typing of `lower`, `upper`, `trim`, `digits`.
fn text_to_text(a: &mut Args) -> Type {
    let ok = *a.ty(0) == Type::Text;
    a.need(0, ok, "a text");
    Type::Text
}

/// The typing of `starts_with`, `ends_with`.
fn two_texts_to_bool(a: &mut Args) -> Type {
    let ok = *a.ty(0) == Type::Text;
    a.need(0, ok, "a text");
    let ok = *a.ty(1) == Type::Text;
    a.need(1, ok, "a text");
    Type::Bool
}

/// The typing of `min`, `max`: two values of one ordered type.
fn two_of_a_kind(a: &mut Args) -> Type {
    let t = a.ty(0).unify(a.ty(1));
    a.need(1, t.is_some(), "two values of the same kind");
    let t = t.unwrap_or(Type::Error);
    a.need(0, t.is_ordered(), "numbers, dates, times or durations");
    t
}

/// The argument check of `end_of_day`, `weekday`.
fn date_or_datetime(a: &mut Args) {
    let ok = matches!(a.ty(0), Type::DateTime | Type::Date);
    a.need(0, ok, "a date or a date and time");
}

/// A text made from one text argument.
fn text_map(v: &[&Value], f: impl FnOnce(&str) -> Arc<str>) -> Result<Value, Failure> {
    match v {
        [Value::Text(t)] => Ok(Value::Text(f(t))),
        _ => Err(Failure::Kinds),
    }
}

/// `min` (`first_if_le`) or `max`: the first argument when it is not after
/// (for `min`) or is after (for `max`) the second, else the second.
fn pick(v: &[&Value], first_if_le: bool) -> Result<Value, Failure> {
    match v {
        [a, b] => {
            let a_first = a.compare(b).is_some_and(|o| o.is_le());
            Ok(if first_if_le == a_first {
                (*a).clone()
            } else {
                (*b).clone()
            })
        }
        _ => Err(Failure::Kinds),
    }
}

/// The local date (days since 1970-01-01) of an instant in `zone`.
pub fn local_date(zone: &Zone, instant: i64) -> i32 {
    zone.local_seconds(instant).div_euclid(SECONDS_PER_DAY) as i32
}

/// The longest text, in characters, that `edit_distance` compares: the work
/// grows with the product of the two lengths.
pub const EDIT_DISTANCE_MAX_CHARS: usize = 1_000;

/// Levenshtein distance in characters; `None` when either text is longer than
/// [`EDIT_DISTANCE_MAX_CHARS`] (evaluation then reports that it cannot compute it).
pub fn edit_distance(a: &str, b: &str) -> Option<usize> {
    if longer_than(a, EDIT_DISTANCE_MAX_CHARS) || longer_than(b, EDIT_DISTANCE_MAX_CHARS) {
        return None;
    }
    Some(levenshtein(a, b))
}

/// Whether `text` has more than `n` characters, without counting past `n + 1`.
fn longer_than(text: &str, n: usize) -> bool {
    text.len() > n && text.chars().nth(n).is_some()
}

fn levenshtein(a: &str, b: &str) -> usize {
    // A common start and end never add to the distance: two phone numbers one
    // digit apart leave a table of one or two cells instead of twelve by twelve.
    let (a, b) = trim_common(a, b);
    // Phone numbers and names are short: their rows live on the stack, so that
    // evaluating a case allocates nothing.
    const SHORT: usize = 64;
    let n = b.chars().count();
    if n < SHORT {
        let mut chars = ['\0'; SHORT];
        for (slot, c) in chars.iter_mut().zip(b.chars()) {
            *slot = c;
        }
        let (mut prev, mut cur) = ([0usize; SHORT + 1], [0usize; SHORT + 1]);
        distance_rows(a, &chars[..n], &mut prev[..=n], &mut cur[..=n])
    } else {
        let chars: Vec<char> = b.chars().collect();
        let (mut prev, mut cur) = (vec![0; n + 1], vec![0; n + 1]);
        distance_rows(a, &chars, &mut prev, &mut cur)
    }
}

/// `a` and `b` without the characters they start with and end with alike.
fn trim_common<'t>(a: &'t str, b: &'t str) -> (&'t str, &'t str) {
    let same = |(x, y): &(char, char)| x == y;
    let start: usize = a
        .chars()
        .zip(b.chars())
        .take_while(same)
        .map(|(x, _)| x.len_utf8())
        .sum();
    let (a, b) = (a.get(start..).unwrap_or(a), b.get(start..).unwrap_or(b));
    let end: usize = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(same)
        .map(|(x, _)| x.len_utf8())
        .sum();
    (
        a.get(..a.len() - end).unwrap_or(a),
        b.get(..b.len() - end).unwrap_or(b),
    )
}

/// The dynamic programme of [`levenshtein`], over two rows of `b.len() + 1`.
fn distance_rows<'r>(
    a: &str,
    b: &[char],
    mut prev: &'r mut [usize],
    mut cur: &'r mut [usize],
) -> usize {
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Only the digits of a text: `"+62 811-111"` → `"62811111"`. A text that is
/// all digits is shared, not copied.
pub fn digits(text: &Arc<str>) -> Arc<str> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Arc::clone(text);
    }
    let kept: String = text.chars().filter(char::is_ascii_digit).collect();
    Arc::from(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Zone;

    /// [`def`] finds each row by its place in [`Builtin`]'s order.
    #[test]
    fn rows_are_in_the_order_of_the_builtins() {
        for (i, d) in TABLE.iter().enumerate() {
            assert_eq!(d.builtin as usize, i, "{}", d.name);
            assert!(def(d.builtin).is_some_and(|r| r.name == d.name));
            assert!(by_name(d.name).is_some_and(|r| r.builtin == d.builtin));
            assert!(d.arity == 1 || d.arity == 2, "{}", d.name);
        }
    }

    /// A sample value of a type.
    fn sample(t: &Type) -> Value {
        match t {
            Type::Bool => Value::Bool(true),
            Type::Int => Value::Int(-3),
            Type::Decimal => Value::Decimal(rust_decimal::Decimal::new(-25, 1)),
            Type::Text => Value::Text(Arc::from("+62 811-1")),
            Type::Date => Value::Date(20_000),
            Type::DateTime => Value::DateTime(1_746_000_000),
            Type::Time => Value::Time(3_600),
            Type::Duration => Value::Duration(-60),
            _ => Value::List(Arc::from(vec![Value::Int(1)])),
        }
    }

    /// Whether a value may stand where the type is expected (a whole number
    /// where a decimal is: `min(1, 2.5)` is typed decimal and gives `1`).
    fn is_of(v: &Value, t: &Type) -> bool {
        matches!(
            (v, t),
            (Value::Bool(_), Type::Bool)
                | (Value::Int(_), Type::Int | Type::Decimal)
                | (Value::Decimal(_), Type::Decimal)
                | (Value::Text(_), Type::Text)
                | (Value::Date(_), Type::Date)
                | (Value::DateTime(_), Type::DateTime)
                | (Value::Time(_), Type::Time)
                | (Value::Duration(_), Type::Duration)
        )
    }

    /// On every combination of argument types the checker accepts, the
    /// behaviour gives a value of the type the checker gives the call.
    #[test]
    fn behaviour_gives_the_checked_type() {
        let types = [
            Type::Bool,
            Type::Int,
            Type::Decimal,
            Type::Text,
            Type::Date,
            Type::DateTime,
            Type::Time,
            Type::Duration,
            Type::List(Box::new(Type::Int)),
        ];
        let zone = Zone::utc();
        let mut accepted = 0;
        for d in &TABLE {
            let combos: Vec<Vec<Type>> = if d.arity == 1 {
                types.iter().map(|t| vec![t.clone()]).collect()
            } else {
                types
                    .iter()
                    .flat_map(|a| types.iter().map(move |b| vec![a.clone(), b.clone()]))
                    .collect()
            };
            for args in combos {
                let mut check = Args::new(&args);
                let result = (d.typing)(&mut check);
                let values: Vec<Value> = args.iter().map(sample).collect();
                let refs: Vec<&Value> = values.iter().collect();
                let out = (d.run)(&refs, &zone);
                // Calls the checker refuses never reach the behaviour.
                if check.problems.is_empty() {
                    accepted += 1;
                    match out {
                        Ok(v) => assert!(
                            is_of(&v, &result),
                            "{}{args:?}: {v:?} is not {result:?}",
                            d.name
                        ),
                        Err(e) => panic!("{}{args:?}: {e:?}", d.name),
                    }
                }
            }
        }
        assert!(accepted >= 30, "only {accepted} accepted signatures");
    }

    #[test]
    fn distance_of_short_texts() {
        assert_eq!(edit_distance("kitten", "sitting"), Some(3));
        assert_eq!(edit_distance("", "abc"), Some(3));
    }

    /// Trimming the common start and end gives the distance of the whole table,
    /// on every pair of short texts over a small alphabet (with a two-byte letter).
    #[test]
    fn trimming_keeps_the_distance() {
        let alphabet = ['0', '8', 'é'];
        let texts: Vec<String> = (0..3usize.pow(5))
            .flat_map(|n| {
                (0..=5).map(move |len| {
                    (0..len)
                        .map(|i| alphabet[(n / 3usize.pow(i as u32)) % 3])
                        .collect()
                })
            })
            .collect();
        let whole = |a: &str, b: &str| {
            let chars: Vec<char> = b.chars().collect();
            let (mut prev, mut cur) = (vec![0; chars.len() + 1], vec![0; chars.len() + 1]);
            distance_rows(a, &chars, &mut prev, &mut cur)
        };
        let mut compared = 0;
        for a in texts.iter().step_by(7) {
            for b in texts.iter().step_by(5) {
                assert_eq!(levenshtein(a, b), whole(a, b), "{a:?} {b:?}");
                compared += 1;
            }
        }
        assert!(compared > 10_000, "{compared}");
        assert_eq!(edit_distance("081234567890", "081234567809"), Some(2));
        assert_eq!(edit_distance("081234567890", "08123456789"), Some(1));
    }

    #[test]
    fn texts_over_the_limit_are_not_compared() {
        let long = "a".repeat(EDIT_DISTANCE_MAX_CHARS + 1);
        let max = "a".repeat(EDIT_DISTANCE_MAX_CHARS);
        assert_eq!(edit_distance(&long, "a"), None);
        assert_eq!(edit_distance("a", &long), None);
        assert_eq!(edit_distance(&max, ""), Some(EDIT_DISTANCE_MAX_CHARS));
        // Multi-byte characters count as one each.
        let wide = "é".repeat(EDIT_DISTANCE_MAX_CHARS);
        assert_eq!(edit_distance(&wide, ""), Some(EDIT_DISTANCE_MAX_CHARS));
    }

    #[test]
    fn digits_keep_only_digits_and_share_a_digit_text() {
        let all = Arc::from("0811");
        assert!(Arc::ptr_eq(&digits(&all), &all));
        assert_eq!(&*digits(&Arc::from("+62 811-111")), "62811111");
        assert_eq!(&*digits(&Arc::from("tidak ada")), "");
    }
}
