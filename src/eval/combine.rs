//! How the contributions of several rules to one output combine: the verdict of
//! an action, whether a question or field is present, one value from several
//! `set`s, the earliest due time. Each works on the rules' three-valued
//! effectiveness, so an output stays undecided exactly while a pending fact could
//! still change it.

use super::outputs::ActionV;
use super::status::{Presence, UndecidedReason as R, Verdict as Out};
use super::value3::{Deps, V};
use crate::check::ids::{IdVec, RuleId};
use crate::check::ir::ActionDef;
use crate::syntax::ast::Verdict;
use crate::value::Value;

/// Kinds of verdict contributions, in a fixed order for the subset walk.
pub(super) const REQUIRE: usize = 0;
pub(super) const ALLOW: usize = 1;
pub(super) const FORBID: usize = 2;
pub(super) const OPEN: usize = 3;

/// One effective (or possibly effective) rule behind an output: its index into
/// the rules, and so into the effectiveness of every rule (`eff`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Contrib {
    pub rule: RuleId,
}

impl Contrib {
    /// Whether the rule is effective: true, or unknown with what it waits on.
    pub fn eff(self, effective: &IdVec<RuleId, V>) -> &V {
        &effective[self.rule]
    }
}

/// Whether an output is present (asked, said, required), absent (None) or
/// undecided; `rules` is set to the rules behind it.
pub(super) fn presence(
    c: &[Contrib],
    effective: &IdVec<RuleId, V>,
    rules: &mut Vec<RuleId>,
) -> (Option<Presence>, Option<Deps>) {
    rules.clear();
    rules.extend(
        c.iter()
            .filter(|x| x.eff(effective).is_true())
            .map(|x| x.rule),
    );
    if !rules.is_empty() {
        return (Some(Presence::Present), None);
    }
    let mut deps: Option<Deps> = None;
    for x in c {
        if let V::Unknown(d) = x.eff(effective) {
            deps.get_or_insert_with(Deps::default).union(d);
            rules.push(x.rule);
        }
    }
    match deps {
        Some(d) => (Some(Presence::Undecided), Some(d)),
        None => {
            rules.clear();
            (None, None)
        }
    }
}

/// Decides an action's verdict into `out` (its rules vector is reused).
pub(super) fn decide_action(
    a: &ActionDef,
    c: &[(usize, Contrib)],
    effective: &IdVec<RuleId, V>,
    out: &mut ActionV,
) {
    let mut certain = [false; 4];
    let mut possible = [false; 4];
    let mut deps = Deps::default();
    for (k, x) in c {
        if let Some(p) = possible.get_mut(*k) {
            *p = true;
        }
        match x.eff(effective) {
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
    let rules = &mut out.rules;
    rules.clear();
    let mut rules_of = |kinds: &[usize]| {
        rules.extend(
            c.iter()
                .filter(|(k, x)| kinds.contains(k) && x.eff(effective).is_true())
                .map(|(_, x)| x.rule),
        )
    };
    let (verdict, reason, deps) = match (first, several) {
        (Some(Combined::Verdict(v)), false) => {
            let kinds: &[usize] = match v {
                Verdict::Required => &[REQUIRE],
                Verdict::Forbidden => &[FORBID],
                Verdict::Allowed => &[ALLOW],
            };
            rules_of(kinds);
            (verdict_word(v), None, None)
        }
        (Some(Combined::Default(v)), false) => (verdict_word(v), None, None),
        (Some(Combined::NoRule), false) => (Out::Undecided, Some(R::NoRule), None),
        (Some(Combined::Open), false) => {
            rules_of(&[OPEN]);
            (Out::Undecided, Some(R::Open), None)
        }
        (Some(Combined::Conflict), false) => {
            rules_of(&[REQUIRE, FORBID]);
            (Out::Undecided, Some(R::Conflict), None)
        }
        _ => {
            rules.extend(
                c.iter()
                    .filter(|(_, x)| !x.eff(effective).is_false())
                    .map(|(_, x)| x.rule),
            );
            (Out::Undecided, Some(R::Pending), Some(deps))
        }
    };
    out.verdict = verdict;
    out.reason = reason;
    out.deps = deps;
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

/// One value from several `set`s; the rules behind it are in the caller's vector.
pub(super) enum ValueDecision<'v> {
    Set(&'v Value),
    Unset,
    Conflict,
    Undecided(Deps),
}

/// One value from every effective `set`; several different values are a conflict.
/// `rules` is set to the rules behind the decision (for `Set`, `Conflict` and
/// `Undecided`).
pub(super) fn decide_value<'v>(
    vals: &'v [(Contrib, V)],
    effective: &IdVec<RuleId, V>,
    rules: &mut Vec<RuleId>,
) -> ValueDecision<'v> {
    rules.clear();
    // Certain: the rule is effective and its value known. Uncertain: the rest,
    // each with the facts it waits on.
    let mut first: Option<&Value> = None;
    let mut conflict = false;
    let mut deps: Option<Deps> = None;
    let mut any_uncertain = false;
    for (c, v) in vals {
        match (c.eff(effective), v) {
            (V::Known(_), V::Known(x)) => {
                match first {
                    None => first = Some(x),
                    Some(f) if !x.equals(f) => conflict = true,
                    Some(_) => {}
                }
                rules.push(c.rule);
            }
            (V::Known(_), V::Unknown(d)) => {
                deps.get_or_insert_with(Deps::default).union(d);
                any_uncertain = true;
            }
            (V::Unknown(d), x) => {
                deps.get_or_insert_with(Deps::default).union(d);
                if let V::Unknown(d2) = x {
                    deps.get_or_insert_with(Deps::default).union(d2);
                }
                any_uncertain = true;
            }
        }
    }
    let uncertain = || {
        vals.iter()
            .filter(|(c, v)| !matches!((c.eff(effective), v), (V::Known(_), V::Known(_))))
    };
    if let Some(first) = first {
        if conflict {
            return ValueDecision::Conflict;
        }
        if uncertain().all(|(_, v)| matches!(v, V::Known(v) if v.equals(first))) {
            return ValueDecision::Set(first);
        }
    }
    match deps {
        Some(d) if any_uncertain => {
            rules.extend(uncertain().map(|(c, _)| c.rule));
            ValueDecision::Undecided(d)
        }
        _ => {
            rules.clear();
            ValueDecision::Unset
        }
    }
}

/// The earliest due time; undecided while an unknown rule could make it earlier.
/// `rules` is set to the rule behind a decided due time.
pub(super) fn decide_earliest(
    vals: &[(Contrib, V)],
    effective: &IdVec<RuleId, V>,
    rules: &mut Vec<RuleId>,
) -> (Option<Presence>, Option<i64>, Option<Deps>) {
    rules.clear();
    let mut best: Option<(i64, RuleId)> = None;
    let mut deps: Option<Deps> = None;
    let certain = |c: &Contrib, v: &V| {
        matches!(
            (c.eff(effective), v),
            (V::Known(_), V::Known(Value::DateTime(_)))
        )
    };
    for (c, v) in vals {
        match (c.eff(effective), v) {
            (V::Known(_), V::Known(Value::DateTime(t))) => {
                if best.is_none_or(|(b, _)| *t < b) {
                    best = Some((*t, c.rule));
                }
            }
            (eff, v) => {
                if let V::Unknown(d) = eff {
                    deps.get_or_insert_with(Deps::default).union(d);
                }
                if let V::Unknown(d) = v {
                    deps.get_or_insert_with(Deps::default).union(d);
                }
            }
        }
    }
    // What an uncertain rule could make the due time: unknown, or a known time.
    let mut maybe = vals
        .iter()
        .filter(|(c, v)| !certain(c, v))
        .filter_map(|(_, v)| match v {
            V::Unknown(_) => Some(None),
            V::Known(Value::DateTime(t)) => Some(Some(*t)),
            V::Known(_) => None,
        });
    match best {
        Some((t, r)) if maybe.all(|m| m.is_some_and(|m| m >= t)) => {
            rules.push(r);
            (Some(Presence::Present), Some(t), None)
        }
        _ if deps.is_some() => (Some(Presence::Undecided), None, deps),
        _ => (None, None, None),
    }
}
