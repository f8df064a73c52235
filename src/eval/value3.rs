//! Three-valued results: a value, or "unknown" together with the facts it waits on.

use crate::check::ids::FactId;
use crate::value::Value;

/// A set of fact slots (plus one extra bit for the evaluation time).
///
/// The first 64 slots live inline, so a policy with fewer than 64 facts never
/// allocates for its dependency sets (they are built for every unknown value).
/// Slots 64 and up are spilled behind one pointer, which keeps the set two words
/// wide and [`V`] three.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deps {
    first: u64,
    /// Slots 64 and up, `None` while there are none. Its last word is never zero,
    /// so two equal sets are equal field by field.
    rest: Option<Box<Spill>>,
}

/// Word `w` holds slots `64 * (w + 1)` ..
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Spill(Vec<u64>);

impl Deps {
    pub fn one(i: usize) -> Deps {
        let mut d = Deps::default();
        d.insert(i);
        d
    }

    pub fn fact(f: FactId) -> Deps {
        Deps::one(f.index())
    }

    pub fn insert_fact(&mut self, f: FactId) {
        self.insert(f.index());
    }

    pub fn contains_fact(&self, f: FactId) -> bool {
        self.contains(f.index())
    }

    /// The facts in the set, of a policy with `count` facts (the bit past them
    /// stands for the evaluation time).
    pub fn facts(&self, count: usize) -> impl Iterator<Item = FactId> + '_ {
        self.iter().filter(move |i| *i < count).map(FactId::new)
    }

    pub fn insert(&mut self, i: usize) {
        let w = i / 64;
        if w == 0 {
            self.first |= 1 << i;
            return;
        }
        let rest = &mut self.rest.get_or_insert_with(Box::default).0;
        if rest.len() < w {
            rest.resize(w, 0);
        }
        if let Some(word) = rest.get_mut(w - 1) {
            *word |= 1 << (i % 64);
        }
    }

    pub fn union(&mut self, other: &Deps) {
        self.first |= other.first;
        let Some(theirs) = &other.rest else {
            return;
        };
        let mine = &mut self.rest.get_or_insert_with(Box::default).0;
        if mine.len() < theirs.0.len() {
            mine.resize(theirs.0.len(), 0);
        }
        for (a, b) in mine.iter_mut().zip(&theirs.0) {
            *a |= *b;
        }
    }

    /// Whether some slot is 64 or above (the set then owns memory).
    #[inline]
    pub fn spilled(&self) -> bool {
        self.rest.is_some()
    }

    /// The spilled words (slots 64 and up).
    fn rest(&self) -> &[u64] {
        match &self.rest {
            Some(r) => &r.0,
            None => &[],
        }
    }

    fn word(&self, w: usize) -> u64 {
        if w == 0 {
            self.first
        } else {
            self.rest().get(w - 1).copied().unwrap_or(0)
        }
    }

    pub fn contains(&self, i: usize) -> bool {
        self.word(i / 64) & (1 << (i % 64)) != 0
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.first)
            .chain(self.rest().iter().copied())
            .enumerate()
            .flat_map(|(w, bits)| Bits(bits).map(move |b| w * 64 + b))
    }

    /// Whether the two sets share a slot.
    pub fn intersects(&self, other: &Deps) -> bool {
        self.first & other.first != 0
            || self
                .rest()
                .iter()
                .zip(other.rest())
                .any(|(a, b)| a & b != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.first == 0 && self.rest().iter().all(|w| *w == 0)
    }
}

/// The set bits of one word, lowest first.
struct Bits(u64);

impl Iterator for Bits {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(b)
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
#[inline]
pub fn and(a: V, b: impl FnOnce() -> V) -> V {
    kleene(a, b, false)
}

/// Kleene `or`: true wins, then unknown.
#[inline]
pub fn or(a: V, b: impl FnOnce() -> V) -> V {
    kleene(a, b, true)
}

/// `and` (`wins` = false) and `or` (`wins` = true): the winning value decides
/// alone, otherwise an unknown side keeps the result unknown (waiting on the facts
/// of both unknown sides), otherwise the result is the other value.
#[inline]
fn kleene(a: V, b: impl FnOnce() -> V, wins: bool) -> V {
    let decided = V::Known(Value::Bool(wins));
    let other = V::Known(Value::Bool(!wins));
    match a {
        V::Known(Value::Bool(x)) if x == wins => decided,
        V::Known(_) => match b() {
            V::Known(Value::Bool(y)) if y == wins => decided,
            V::Known(_) => other,
            u => u,
        },
        V::Unknown(mut x) => match b() {
            V::Known(Value::Bool(y)) if y == wins => decided,
            V::Known(_) => V::Unknown(x),
            V::Unknown(y) => {
                x.union(&y);
                V::Unknown(x)
            }
        },
    }
}

pub fn not(a: V) -> V {
    match a {
        V::Known(Value::Bool(b)) => V::Known(Value::Bool(!b)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::Deps;

    #[test]
    fn deps_inline_and_spilled() {
        let mut d = Deps::one(3);
        d.insert(63);
        assert!(d.contains(3) && d.contains(63) && !d.contains(4) && !d.contains(64));
        let mut e = Deps::one(64);
        e.insert(200);
        d.union(&e);
        assert_eq!(d.iter().collect::<Vec<_>>(), vec![3, 63, 64, 200]);
        assert!(d.contains(200) && !d.contains(199) && !d.contains(1000));
        assert!(Deps::default().is_empty() && !d.is_empty());
        let mut f = Deps::default();
        f.union(&Deps::one(130));
        assert_eq!(f.iter().collect::<Vec<_>>(), vec![130]);
        assert!(f.intersects(&d) == d.contains(130));
        assert!(d.intersects(&Deps::one(200)) && !d.intersects(&Deps::one(5)));
        assert!(!Deps::one(3).intersects(&Deps::one(67)));
    }
}
