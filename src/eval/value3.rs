//! Three-valued results: a value, or "unknown" together with the facts it waits on.

use crate::value::Value;

/// A set of fact slots (plus one extra bit for the evaluation time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deps {
    bits: Vec<u64>,
}

impl Deps {
    pub fn one(i: usize) -> Deps {
        let mut d = Deps::default();
        d.insert(i);
        d
    }

    pub fn insert(&mut self, i: usize) {
        let w = i / 64;
        if self.bits.len() <= w {
            self.bits.resize(w + 1, 0);
        }
        if let Some(word) = self.bits.get_mut(w) {
            *word |= 1 << (i % 64);
        }
    }

    pub fn union(&mut self, other: &Deps) {
        if self.bits.len() < other.bits.len() {
            self.bits.resize(other.bits.len(), 0);
        }
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= *b;
        }
    }

    pub fn contains(&self, i: usize) -> bool {
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1u64 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|w| *w == 0)
    }
}

/// The value of an expression on a partial case.
#[derive(Debug, Clone)]
pub enum V {
    Known(Value),
    Unknown(Deps),
}

impl V {
    pub const TRUE: V = V::Known(Value::Bool(true));
    pub const FALSE: V = V::Known(Value::Bool(false));

    pub fn is_true(&self) -> bool {
        matches!(self, V::Known(Value::Bool(true)))
    }

    pub fn is_false(&self) -> bool {
        matches!(self, V::Known(Value::Bool(false)))
    }

    pub fn deps(&self) -> Option<&Deps> {
        match self {
            V::Unknown(d) => Some(d),
            V::Known(_) => None,
        }
    }
}

/// Kleene `and`: false wins, then unknown.
pub fn and(a: V, b: impl FnOnce() -> V) -> V {
    if a.is_false() {
        return V::FALSE;
    }
    let b = b();
    if b.is_false() {
        return V::FALSE;
    }
    match (a, b) {
        (V::Unknown(mut x), V::Unknown(y)) => {
            x.union(&y);
            V::Unknown(x)
        }
        (V::Unknown(x), _) | (_, V::Unknown(x)) => V::Unknown(x),
        _ => V::TRUE,
    }
}

/// Kleene `or`: true wins, then unknown.
pub fn or(a: V, b: impl FnOnce() -> V) -> V {
    if a.is_true() {
        return V::TRUE;
    }
    let b = b();
    if b.is_true() {
        return V::TRUE;
    }
    match (a, b) {
        (V::Unknown(mut x), V::Unknown(y)) => {
            x.union(&y);
            V::Unknown(x)
        }
        (V::Unknown(x), _) | (_, V::Unknown(x)) => V::Unknown(x),
        _ => V::FALSE,
    }
}

pub fn not(a: V) -> V {
    match a {
        V::Known(Value::Bool(b)) => V::Known(Value::Bool(!b)),
        other => other,
    }
}
