//! How the contributions of several rules to one output combine: the verdict of
//! an action, whether a question or field is present, one value from several
//! `set`s, the earliest due time. Each works on the rules' three-valued
//! effectiveness, so an output stays undecided exactly while a pending fact could
//! still change it.

use super::outputs::ActionV;
use super::status::{Presence, UndecidedReason as R, Verdict as Out};
use super::value3::{Deps, V};
use crate::check::ir::ActionDef;
use crate::syntax::ast::Verdict;
use crate::value::Value;

/// Kinds of verdict contributions, in a fixed order for the subset walk.
pub(super) const REQUIRE: usize = 0;
pub(super) const ALLOW: usize = 1;
pub(super) const FORBID: usize = 2;
pub(super) const OPEN: usize = 3;

/// One effective (or possibly effective) rule behind an output.
#[derive(Clone, Copy)]
pub(super) struct Contrib<'a> {
    pub rule: u32,
    pub eff: &'a V,
}

/// Whether an output is present (asked, said, required), absent (None) or undecided.
pub(super) fn presence(c: &[Contrib]) -> (Option<Presence>, Vec<u32>, Option<Deps>) {
    let certain: Vec<u32> = c
        .iter()
        .filter(|x| x.eff.is_true())
        .map(|x| x.rule)
        .collect();
    if !certain.is_empty() {
        return (Some(Presence::Present), certain, None);
    }
    let mut deps: Option<Deps> = None;
    let mut rules = Vec::new();
    for x in c {
        if let V::Unknown(d) = x.eff {
            deps.get_or_insert_with(Deps::default).union(d);
            rules.push(x.rule);
        }
    }
    match deps {
        Some(d) => (Some(Presence::Undecided), rules, Some(d)),
        None => (None, Vec::new(), None),
    }
}

pub(super) fn decide_action(a: &ActionDef, c: &[(usize, Contrib)]) -> ActionV {
    let mut certain = [false; 4];
    let mut possible = [false; 4];
    let mut deps = Deps::default();
    for (k, x) in c {
        if let Some(p) = possible.get_mut(*k) {
            *p = true;
        }
        match x.eff {
            V::Known(_) => {
                if let Some(s) = certain.get_mut(*k) {
                    *s = true;
                }
            }
            V::Unknown(d) => deps.union(d),
        }
    }
    // The verdict for every set of kinds between `certain` and `possible`.
    let mut uncertain = [0usize; 4];
    let mut n_uncertain = 0;
    for k in 0..4 {
        if possible.get(k) == Some(&true) && certain.get(k) != Some(&true) {
            if let Some(u) = uncertain.get_mut(n_uncertain) {
                *u = k;
                n_uncertain += 1;
            }
        }
    }
    let mut first: Option<Combined> = None;
    let mut several = false;
    for mask in 0..(1u32 << n_uncertain) {
        let mut set = certain;
        for (bit, k) in uncertain.iter().take(n_uncertain).enumerate() {
            if mask & (1 << bit) != 0 {
                if let Some(s) = set.get_mut(*k) {
                    *s = true;
                }
            }
        }
        let r = combine(set, a.default);
        match first {
            None => first = Some(r),
            Some(f) if f != r => several = true,
            Some(_) => {}
        }
    }
    let rules_of = |kinds: &[usize]| -> Vec<u32> {
        c.iter()
            .filter(|(k, x)| kinds.contains(k) && x.eff.is_true())
            .map(|(_, x)| x.rule)
            .collect()
    };
    let (verdict, reason, rules, deps) = match (first, several) {
        (Some(Combined::Verdict(v)), false) => {
            let kinds: &[usize] = match v {
                Verdict::Required => &[REQUIRE],
                Verdict::Forbidden => &[FORBID],
                Verdict::Allowed => &[ALLOW],
            };
            (verdict_word(v), None, rules_of(kinds), None)
        }
        (Some(Combined::Default(v)), false) => (verdict_word(v), None, Vec::new(), None),
        (Some(Combined::NoRule), false) => (Out::Undecided, Some(R::NoRule), Vec::new(), None),
        (Some(Combined::Open), false) => (Out::Undecided, Some(R::Open), rules_of(&[OPEN]), None),
        (Some(Combined::Conflict), false) => (
            Out::Undecided,
            Some(R::Conflict),
            rules_of(&[REQUIRE, FORBID]),
            None,
        ),
        _ => {
            let rules = c
                .iter()
                .filter(|(_, x)| !x.eff.is_false())
                .map(|(_, x)| x.rule)
                .collect();
            (Out::Undecided, Some(R::Pending), rules, Some(deps))
        }
    };
    ActionV {
        verdict,
        reason,
        rules,
        deps,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combined {
    Verdict(Verdict),
    Default(Verdict),
    NoRule,
    Open,
    Conflict,
}

/// forbid beats allow, require beats allow, require + forbid is a conflict, open wins.
fn combine(set: [bool; 4], default: Option<Verdict>) -> Combined {
    let [req, allow, forbid, open] = set;
    if open {
        Combined::Open
    } else if req && forbid {
        Combined::Conflict
    } else if req {
        Combined::Verdict(Verdict::Required)
    } else if forbid {
        Combined::Verdict(Verdict::Forbidden)
    } else if allow {
        Combined::Verdict(Verdict::Allowed)
    } else {
        match default {
            Some(d) => Combined::Default(d),
            None => Combined::NoRule,
        }
    }
}

fn verdict_word(v: Verdict) -> Out {
    match v {
        Verdict::Required => Out::Required,
        Verdict::Allowed => Out::Allowed,
        Verdict::Forbidden => Out::Forbidden,
    }
}

pub(super) enum ValueDecision {
    Set(Value, Vec<u32>),
    Unset,
    Conflict(Vec<u32>),
    Undecided(Deps, Vec<u32>),
}

/// One value from every effective `set`; several different values are a conflict.
pub(super) fn decide_value(vals: &[(Contrib, V)]) -> ValueDecision {
    let mut certain: Vec<(&Value, u32)> = Vec::new();
    let mut deps: Option<Deps> = None;
    let mut uncertain: Vec<(Option<&Value>, u32)> = Vec::new();
    for (c, v) in vals {
        match (c.eff, v) {
            (V::Known(_), V::Known(x)) => certain.push((x, c.rule)),
            (V::Known(_), V::Unknown(d)) => {
                deps.get_or_insert_with(Deps::default).union(d);
                uncertain.push((None, c.rule));
            }
            (V::Unknown(d), x) => {
                deps.get_or_insert_with(Deps::default).union(d);
                if let V::Unknown(d2) = x {
                    deps.get_or_insert_with(Deps::default).union(d2);
                }
                uncertain.push((
                    match x {
                        V::Known(x) => Some(x),
                        _ => None,
                    },
                    c.rule,
                ));
            }
        }
    }
    let rules: Vec<u32> = certain.iter().map(|(_, r)| *r).collect();
    if let Some((first, _)) = certain.first() {
        if certain.iter().any(|(v, _)| !v.equals(first)) {
            return ValueDecision::Conflict(rules);
        }
        if uncertain
            .iter()
            .all(|(v, _)| v.is_some_and(|v| v.equals(first)))
        {
            return ValueDecision::Set((*first).clone(), rules);
        }
    }
    match deps {
        Some(d) if !uncertain.is_empty() => {
            let mut r = rules;
            r.extend(uncertain.iter().map(|(_, r)| *r));
            ValueDecision::Undecided(d, r)
        }
        _ => ValueDecision::Unset,
    }
}

/// The earliest due time; undecided while an unknown rule could make it earlier.
pub(super) fn decide_earliest(
    vals: &[(Contrib, V)],
) -> (Option<Presence>, Option<i64>, Vec<u32>, Option<Deps>) {
    let mut best: Option<(i64, u32)> = None;
    let mut deps: Option<Deps> = None;
    let mut maybe: Vec<Option<i64>> = Vec::new();
    for (c, v) in vals {
        match (c.eff, v) {
            (V::Known(_), V::Known(Value::DateTime(t))) => {
                if best.is_none_or(|(b, _)| *t < b) {
                    best = Some((*t, c.rule));
                }
            }
            (eff, v) => {
                if let V::Unknown(d) = eff {
                    deps.get_or_insert_with(Deps::default).union(d);
                }
                match v {
                    V::Unknown(d) => {
                        deps.get_or_insert_with(Deps::default).union(d);
                        maybe.push(None);
                    }
                    V::Known(Value::DateTime(t)) => maybe.push(Some(*t)),
                    V::Known(_) => {}
                }
            }
        }
    }
    match best {
        Some((t, r)) if maybe.iter().all(|m| m.is_some_and(|m| m >= t)) => {
            (Some(Presence::Present), Some(t), vec![r], None)
        }
        _ if deps.is_some() => (Some(Presence::Undecided), None, Vec::new(), deps),
        _ => (None, None, Vec::new(), None),
    }
}
