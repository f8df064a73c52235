//! The case record: a JSON object whose keys are facts, read into the slots.
//!
//! The record is read once, front to back. A schema error does not stop the
//! reading: the rest is still read, because a text that is not JSON is reported as
//! such (E0601) whatever else is wrong with it, and because a key given twice counts
//! with its last value. The error reported is the one of the first key (in the order
//! keys first appear) whose last value is wrong, or which is not a fact: what reading
//! the record into a JSON object first, then checking it key by key, would report.

use super::error::{CaseError, Found};
use super::skip::{rest_of_list, Skip};
use super::value::{FactSeed, Read};
use crate::check::ir::{FactDef, Policy};
use crate::diagnostic::did_you_mean;
use crate::eval::FactValue;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Reads a case record into `slots` (one per fact, all absent to begin with).
pub(super) struct CaseSeed<'p, 'c> {
    pub policy: &'p Policy,
    pub slots: &'c mut [FactValue],
}

impl<'de> DeserializeSeed<'de> for CaseSeed<'_, '_> {
    type Value = Read<()>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Read<()>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CaseSeed<'_, '_> {
    type Value = Read<()>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object of facts")
    }
    fn visit_unit<E>(self) -> Result<Read<()>, E> {
        Ok(Err(CaseError::not_object(&Found::Null)))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Read<()>, E> {
        Ok(Err(CaseError::not_object(&Found::Bool(b))))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Read<()>, E> {
        Ok(Err(CaseError::not_object(&Found::Int(i))))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Read<()>, E> {
        Ok(Err(CaseError::not_object(&Found::UInt(u))))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Read<()>, E> {
        Ok(Err(CaseError::not_object(&Found::Float(x))))
    }
    fn visit_str<E>(self, s: &str) -> Result<Read<()>, E> {
        Ok(Err(CaseError::not_object(&Found::Text(s))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Read<()>, A::Error> {
        rest_of_list(seq)?;
        Ok(Err(CaseError::not_object(&Found::List)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read<()>, A::Error> {
        let CaseSeed { policy, slots } = self;
        let facts = policy.facts.as_slice();
        let mut order = Order::new(facts.len());
        // Once a key is wrong, every key from then on is noted in `problems`.
        let mut problems: Option<Problems> = None;
        let mut hint = 0;
        while let Some(key) = map.next_key_seed(KeySeed { facts, hint })? {
            let index = match key {
                Key::Fact(index) => index,
                Key::Unknown(name) => {
                    map.next_value_seed(Skip)?;
                    let problems = problems.get_or_insert_with(Problems::default);
                    problems.unknown_key(policy, name, &order);
                    continue;
                }
            };
            hint = index + 1;
            let (Some(fact), Some(slot)) = (facts.get(index), slots.get_mut(index)) else {
                // A fact the key seed found is always there.
                map.next_value_seed(Skip)?;
                continue;
            };
            let absent = matches!(slot, FactValue::Absent);
            let read = map.next_value_seed(FactSeed { policy, fact, slot })?;
            match (&mut problems, read) {
                (None, Ok(())) => {
                    if absent {
                        order.first_seen(index);
                    }
                }
                (problems, read) => {
                    // A filled slot not noted in `problems` was filled before the
                    // first wrong key.
                    let seen = (!absent).then(|| order.rank(index));
                    let problems = problems.get_or_insert_with(Problems::default);
                    problems.fact(index, read.err(), seen, &order);
                }
            }
        }
        Ok(match problems {
            Some(p) => p.first(),
            None => Ok(()),
        })
    }
}

/// A key of the record: the index of its fact, or the key itself when it is not one.
enum Key {
    Fact(usize),
    Unknown(String),
}

/// Finds a key's fact without copying the key.
struct KeySeed<'p> {
    facts: &'p [FactDef],
    /// Where the key is looked for first: just after the previous one, since
    /// records usually list their facts in the policy's order.
    hint: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the name of a fact")
    }
    fn visit_str<E>(self, key: &str) -> Result<Key, E> {
        if self.facts.get(self.hint).is_some_and(|f| f.name == key) {
            return Ok(Key::Fact(self.hint));
        }
        Ok(match self.facts.iter().position(|f| f.name == key) {
            Some(i) => Key::Fact(i),
            None => Key::Unknown(key.to_string()),
        })
    }
}

/// Where each fact's key first appeared among the record's distinct keys, while all
/// keys so far are right. Only read for facts already seen, so it is never cleared;
/// policies of up to [`FEW`] facts keep it on the stack.
enum Order {
    Few { rank: [u8; FEW], next: u8 },
    Many { rank: Vec<usize>, next: usize },
}

const FEW: usize = 128;

impl Order {
    fn new(facts: usize) -> Order {
        if facts <= FEW {
            Order::Few {
                rank: [0; FEW],
                next: 0,
            }
        } else {
            Order::Many {
                rank: vec![0; facts],
                next: 0,
            }
        }
    }

    /// Notes that fact `index` appears for the first time.
    fn first_seen(&mut self, index: usize) {
        match self {
            Order::Few { rank, next } => {
                if let Some(r) = rank.get_mut(index) {
                    *r = *next;
                }
                // At most FEW distinct keys are all facts.
                *next = next.saturating_add(1);
            }
            Order::Many { rank, next } => {
                if let Some(r) = rank.get_mut(index) {
                    *r = *next;
                }
                *next += 1;
            }
        }
    }

    fn rank(&self, index: usize) -> usize {
        match self {
            Order::Few { rank, .. } => rank.get(index).map_or(0, |r| usize::from(*r)),
            Order::Many { rank, .. } => rank.get(index).copied().unwrap_or(0),
        }
    }

    /// How many distinct keys appeared while all were right.
    fn count(&self) -> usize {
        match self {
            Order::Few { next, .. } => usize::from(*next),
            Order::Many { next, .. } => *next,
        }
    }
}

/// Every key from the first wrong one on, and the last word on each.
#[derive(Default)]
struct Problems {
    keys: Vec<Noted>,
    /// Distinct keys first seen since the first wrong one.
    new_keys: usize,
}

struct Noted {
    key: Key,
    /// The key's place among the record's distinct keys.
    rank: usize,
    /// What is wrong with its last value; `None` when it reads.
    error: Option<Box<CaseError>>,
}

impl Problems {
    /// The place of `key` in `keys`, noting it first if it is new.
    fn note(&mut self, key: Key, seen: Option<usize>, order: &Order) -> usize {
        let same = |k: &Key| match (k, &key) {
            (Key::Fact(a), Key::Fact(b)) => a == b,
            (Key::Unknown(a), Key::Unknown(b)) => a == b,
            _ => false,
        };
        if let Some(i) = self.keys.iter().position(|n| same(&n.key)) {
            return i;
        }
        let rank = seen.unwrap_or_else(|| {
            self.new_keys += 1;
            order.count() + self.new_keys - 1
        });
        self.keys.push(Noted {
            key,
            rank,
            error: None,
        });
        self.keys.len() - 1
    }

    /// A key that is not a fact: wrong whatever its value.
    fn unknown_key(&mut self, policy: &Policy, name: String, order: &Order) {
        let i = self.note(Key::Unknown(name), None, order);
        if let Some(Noted {
            key: Key::Unknown(name),
            error: error @ None,
            ..
        }) = self.keys.get_mut(i)
        {
            let suggestion = did_you_mean(name, policy.facts.iter().map(|f| f.name.as_str()));
            *error = Some(CaseError::unknown_fact(name, &policy.meta.id, suggestion));
        }
    }

    /// A fact's value: `error` when it does not read. `seen` is the fact's rank
    /// when it was first seen before the first wrong key.
    fn fact(
        &mut self,
        index: usize,
        error: Option<Box<CaseError>>,
        seen: Option<usize>,
        order: &Order,
    ) {
        let i = self.note(Key::Fact(index), seen, order);
        if let Some(n) = self.keys.get_mut(i) {
            n.error = error;
        }
    }

    /// The error of the first key that is still wrong, if any.
    fn first(self) -> Read<()> {
        match self
            .keys
            .into_iter()
            .filter_map(|n| Some((n.rank, n.error?)))
            .min_by_key(|(rank, _)| *rank)
        {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }
}
