//! Typed indices into the checked [`Policy`](super::ir::Policy): a fact id cannot
//! index the rules. Only the checker makes ids (and the cache reads back ones it
//! wrote, behind a checksum), so an id always names an entry of its table and is
//! read by plain indexing.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A typed index and its `usize` form.
pub trait Id: sealed::FromIndex + Copy + Ord + fmt::Debug {
    fn index(self) -> usize;
}

mod sealed {
    /// Out of reach outside the crate, so ids are only made here.
    pub trait FromIndex {
        fn from_index(i: usize) -> Self;
    }
}
use sealed::FromIndex;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u32);

        /// The bare number, as the `u32` it replaces was shown.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl $name {
            /// The id of entry `i`. A policy's tables are far below `u32::MAX`
            /// entries (the source text itself is indexed by `u32`).
            pub(crate) const fn new(i: usize) -> Self {
                $name(i as u32)
            }

            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl FromIndex for $name {
            fn from_index(i: usize) -> Self {
                $name::new(i)
            }
        }

        impl Id for $name {
            fn index(self) -> usize {
                $name::index(self)
            }
        }
    )*};
}

ids! {
    /// A fact (`Policy::facts`).
    FactId;
    /// A derived fact, in evaluation order (`Policy::lets`).
    LetId;
    /// An enum type (`Policy::enums`).
    EnumId;
    /// A value of one enum (`EnumDef::variants`).
    VariantId;
    QuestionId;
    ActionId;
    /// A ticket field.
    FieldId;
    ScriptId;
    OutcomeId;
    DeadlineId;
    /// A rule or a table row (`Policy::rules`).
    RuleId;
    /// A decision table (`Policy::tables`); its rows are rules.
    TableId;
}

/// A vector indexed by one kind of id.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdVec<I, T> {
    raw: Vec<T>,
    #[serde(skip)]
    _id: PhantomData<fn(I) -> I>,
}

impl<I: Id, T> IdVec<I, T> {
    pub const fn new() -> Self {
        IdVec {
            raw: Vec::new(),
            _id: PhantomData,
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        Vec::with_capacity(n).into()
    }

    /// `n` copies of `value`, one per id of a table of length `n`.
    pub fn from_elem(value: T, n: usize) -> Self
    where
        T: Clone,
    {
        vec![value; n].into()
    }

    pub fn push(&mut self, value: T) -> I {
        let id = I::from_index(self.raw.len());
        self.raw.push(value);
        id
    }

    /// The id the next `push` returns.
    pub fn next_id(&self) -> I {
        I::from_index(self.raw.len())
    }

    /// For ids that may name no entry (a table still being built).
    pub fn get(&self, id: I) -> Option<&T> {
        self.raw.get(id.index())
    }

    pub fn get_mut(&mut self, id: I) -> Option<&mut T> {
        self.raw.get_mut(id.index())
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.raw.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.raw.iter_mut()
    }

    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + ExactSizeIterator + use<I, T> {
        (0..self.raw.len()).map(I::from_index)
    }

    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + '_ {
        self.raw
            .iter()
            .enumerate()
            .map(|(i, x)| (I::from_index(i), x))
    }

    /// Makes the vector `n` long, one entry per id of a table of length `n`.
    pub fn resize_with(&mut self, n: usize, f: impl FnMut() -> T) {
        self.raw.resize_with(n, f);
    }

    pub fn clear(&mut self) {
        self.raw.clear();
    }

    pub fn as_slice(&self) -> &[T] {
        &self.raw
    }

    /// The entries by position, for code that finds an entry by its position
    /// (the case decoder matches keys to facts this way).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.raw
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        IdVec::new()
    }
}

impl<I, T: fmt::Debug> fmt::Debug for IdVec<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

impl<I: Id, T> Extend<T> for IdVec<I, T> {
    fn extend<It: IntoIterator<Item = T>>(&mut self, iter: It) {
        self.raw.extend(iter);
    }
}

impl<I, T> From<Vec<T>> for IdVec<I, T> {
    fn from(raw: Vec<T>) -> Self {
        IdVec {
            raw,
            _id: PhantomData,
        }
    }
}

impl<I: Id, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        iter.into_iter().collect::<Vec<T>>().into()
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;

    #[inline]
    fn index(&self, id: I) -> &T {
        &self.raw[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    #[inline]
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.raw[id.index()]
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter()
    }
}

impl<'a, I: Id, T> IntoIterator for &'a mut IdVec<I, T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter_mut()
    }
}

impl<I: Id, T> IntoIterator for IdVec<I, T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.raw.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_returns_the_id_that_indexes_the_entry() {
        let mut v: IdVec<FactId, &str> = IdVec::new();
        let a = v.push("a");
        let b = v.push("b");
        assert_eq!((a.index(), b.index()), (0, 1));
        assert_eq!((v[a], v[b]), ("a", "b"));
        assert_eq!(v.ids().collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(v.get(FactId::new(2)), None);
    }

    #[test]
    fn serialized_as_bare_numbers_and_lists() {
        let v: IdVec<RuleId, RuleId> = vec![RuleId::new(3), RuleId::new(7)].into();
        assert_eq!(serde_json::to_string(&v).ok().as_deref(), Some("[3,7]"));
        let back: Result<IdVec<RuleId, RuleId>, _> = serde_json::from_str("[3,7]");
        assert_eq!(back.ok(), Some(v));
    }
}
