//! Candidate values: every fact, and the evaluation time, gets a finite list of
//! values that between them meet every region its conditions can tell apart.
//!
//! Conditions are read as *atoms*: a fact compared with a constant (`x > 2`,
//! `x in 1 .. 3`, `time_of(t) in 19:01 .. 07:29`, `date_of(t) >= 2024-04-15`,
//! validity dates), two facts compared with each other up to a constant offset
//! (`now > assigned_at + 24 hours`), texts compared for equality, membership of
//! constants in set facts, `is answered`. For those the candidate lists are
//! *exact*: every combination of atom truth values that some case can produce
//! is produced by a combination of candidates. Facts used any other way
//! (`length(x)`, `digits(x)`, `weekday(d)`, …) still get candidates, but are
//! marked inexact: a search over them can find counterexamples, never prove
//! that none exists.
//!
//! Ordered facts linked by difference atoms `x - y op c` form a group. When the
//! offsets are consistent (there is a potential `φ` with `c = φx - φy` for every
//! atom), shifting each fact by its potential turns the group into facts that
//! are only compared with constants and with each other; then the thresholds
//! of the whole group, plus `k` points (k = group size) inside every gap
//! between thresholds and beyond either end, realise every order of the facts
//! among themselves and the thresholds — so every region.

use crate::check::ids::{FactId, IdVec, LetId};
use crate::check::ir::*;
use crate::eval::FactValue;
use crate::syntax::ast::ArithOp;
use crate::types::Type;
use crate::value::Value;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::sync::Arc;

const DAY: i64 = crate::time::SECONDS_PER_DAY;
/// Most subsets enumerated for a list fact.
const MAX_SUBSET_BITS: usize = 6;
/// Most variable occurrences kept in one linear term. The analysis splits only
/// terms of one or two variables, so a longer term is read as opaque; the cap
/// keeps `let x2 = x1 + x1` chains from doubling the term at every step.
const MAX_LIN_VARS: usize = 32;
/// Most candidate values per fact of a group of facts compared with each other.
/// Exactness needs `k` points in every gap (k = group size); past this many the
/// group gets fewer points and is marked inexact, so no absence is claimed.
const MAX_GROUP_VALUES: usize = 1_024;
/// A made-up number and its one-character variants, the candidates of texts read
/// through functions.
const TEXT_VARIANTS: [&str; 5] = [
    "081234567890",
    "08123456789",
    "0812345678901",
    "08123467890",
    "081234567891",
];
/// Most candidate starts of one working-time term whose end is computed.
const MAX_WORKING_STARTS: usize = 16;

/// Candidate values per variable: facts `0..n`, then the evaluation time at `n`.
#[derive(Debug, Clone)]
pub struct Domains {
    pub cands: Vec<Vec<FactValue>>,
    pub exact: Vec<bool>,
    /// Why a variable is inexact, for `--explain`-style debugging.
    pub why: Vec<Option<&'static str>>,
    /// Whether a variable is compared with another variable (`x > y + 2`,
    /// `now > x + 24 hours`, two texts compared): its candidates split its
    /// regions only together with that variable's candidates, so they are exact
    /// for one fact alone only when it is compared with constants alone.
    pub linked: Vec<bool>,
    /// The policy read through atoms, when some ordered facts are compared
    /// in ways candidate values cannot split exactly (see [`super::atoms`]).
    pub abs: Option<std::sync::Arc<super::atoms::Abstraction>>,
}

/// How a variable appears in a linear term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Direct,
    /// `time_of(x)`: the local time of day.
    TimeOf,
    /// `date_of(x)`, `today`: the local date.
    DateOf,
}

/// Units of a linear term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dom {
    Num,
    Secs,
    Days,
    Tod,
}

#[derive(Debug, Clone)]
struct Lin {
    vars: Vec<(usize, View, i8)>,
    k: Decimal,
    dom: Dom,
}

#[derive(Debug, Clone)]
enum Term {
    Lin(Lin),
    Text(usize),
    TextConst(Arc<str>),
    /// Booleans and enum values: finite, always exact.
    Finite,
    Opaque,
}

#[derive(Debug, Clone, Default)]
struct Info {
    /// Thresholds in the variable's own coordinate (direct view).
    direct: Vec<Decimal>,
    /// Time-of-day thresholds (seconds since midnight).
    tod: Vec<Decimal>,
    texts: Vec<Arc<str>>,
    members: Vec<Value>,
    member_var: bool,
    opaque: bool,
    /// Counted in working time (`x + 2 working days`): read as the same span of
    /// clock time, which places candidates near the real threshold but cannot
    /// prove anything, so the variable is inexact.
    working: bool,
    null: bool,
}

struct Collector<'p> {
    policy: &'p Policy,
    info: Vec<Info>,
    /// `x - y op c`, direct views.
    edges: Vec<(usize, usize, Decimal)>,
    text_edges: Vec<(usize, usize)>,
    let_walked: IdVec<LetId, bool>,
    /// The term of each non-boolean derived fact, computed once.
    let_terms: IdVec<LetId, Option<Term>>,
    /// Variables marked opaque together with the constants of the atom (samples).
    seeds: Vec<Value>,
    /// `x + c + N working days|hours`: the variable, its clock offset `c` in
    /// seconds, and the working amount, to place candidates where the calendar
    /// really puts the moment.
    working_terms: Vec<(usize, i64, i64, Working)>,
}

/// The type of a variable (the evaluation time is a datetime).
pub fn var_type(policy: &Policy, v: usize) -> Type {
    match var_fact(policy, v) {
        Some(f) => policy.facts[f].ty.clone(),
        None => Type::DateTime,
    }
}

/// The fact a variable stands for; `None` for the evaluation time.
pub fn var_fact(policy: &Policy, v: usize) -> Option<FactId> {
    (v < policy.facts.len()).then(|| FactId::new(v))
}

/// Computes the candidate values of every fact and of the evaluation time.
pub fn domains(policy: &Policy) -> Domains {
    let n = policy.facts.len();
    let mut c = Collector {
        policy,
        info: vec![Info::default(); n + 1],
        edges: Vec::new(),
        text_edges: Vec::new(),
        let_walked: IdVec::from_elem(false, policy.lets.len()),
        let_terms: IdVec::from_elem(None, policy.lets.len()),
        seeds: Vec::new(),
        working_terms: Vec::new(),
    };
    for i in policy.lets.ids() {
        c.walk_let(i);
    }
    // Validity dates: thresholds on the evaluation time.
    let mut windows = vec![(policy.meta.valid_from, policy.meta.valid_until)];
    for r in &policy.rules {
        if let Some(cond) = &r.cond {
            c.walk(cond);
        }
        windows.push((r.valid_from, r.valid_until));
    }
    for (from, until) in windows {
        if let Some(f) = from {
            c.date_threshold(n, i64::from(f));
        }
        if let Some(u) = until {
            c.date_threshold(n, i64::from(u) + 1);
        }
    }
    // Values set on one outcome or field are compared with each other.
    let mut sets: std::collections::BTreeMap<(u8, usize), Vec<&CExpr>> = Default::default();
    for r in &policy.rules {
        for e in &r.effects {
            match e {
                CEffect::SetOutcome(o, v) => sets.entry((0, o.index())).or_default().push(v),
                CEffect::SetField(f, v) => sets.entry((1, f.index())).or_default().push(v),
                _ => {}
            }
        }
    }
    for vals in sets.values() {
        // Two constants tell no fact apart: only pairs with a computed value count.
        for (i, a) in vals.iter().enumerate() {
            if matches!(a, CExpr::Const(_)) {
                continue;
            }
            for (j, b) in vals.iter().enumerate() {
                if j != i && (j > i || matches!(b, CExpr::Const(_))) {
                    c.compare(a, b);
                }
            }
        }
    }
    let mut d = c.finish();
    d.abs = super::atoms::build(policy, &d).map(std::sync::Arc::new);
    if let Some(abs) = &d.abs {
        for (v, a) in abs.abstracted.iter().enumerate() {
            if *a {
                if let (Some(e), Some(w)) = (d.exact.get_mut(v), d.why.get_mut(v)) {
                    *e = true;
                    *w = None;
                }
            }
        }
    }
    d
}

fn coord(v: &Value) -> Option<(Dom, Decimal)> {
    Some(match v {
        Value::Int(i) => (Dom::Num, Decimal::from(*i)),
        Value::Decimal(d) => (Dom::Num, *d),
        Value::Date(d) => (Dom::Days, Decimal::from(*d)),
        Value::DateTime(s) => (Dom::Secs, Decimal::from(*s)),
        Value::Time(t) => (Dom::Tod, Decimal::from(*t)),
        Value::Duration(s) => (Dom::Secs, Decimal::from(*s)),
        _ => return None,
    })
}

fn dom_of(ty: &Type) -> Option<Dom> {
    Some(match ty {
        Type::Int | Type::Decimal => Dom::Num,
        Type::Duration | Type::DateTime => Dom::Secs,
        Type::Date => Dom::Days,
        Type::Time => Dom::Tod,
        _ => return None,
    })
}

/// `a + sign * b`, when it stays linear.
fn add(a: Lin, b: Lin, sign: i8) -> Option<Lin> {
    let day = Decimal::from(DAY);
    let (mut a, mut b) = (a, b);
    let dom = match (a.dom, b.dom) {
        // time - time: a duration, no wrapping.
        (Dom::Tod, Dom::Tod) if sign < 0 => Dom::Secs,
        (Dom::Tod, _) | (_, Dom::Tod) => {
            if a.vars.is_empty() && b.vars.is_empty() && a.dom == b.dom {
                Dom::Tod
            } else {
                return None;
            }
        }
        (x, y) if x == y => x,
        (Dom::Days, Dom::Secs) if b.vars.is_empty() && (b.k % day).is_zero() => {
            b.k /= day;
            Dom::Days
        }
        (Dom::Secs, Dom::Days) if a.vars.is_empty() && (a.k % day).is_zero() => {
            a.k /= day;
            Dom::Days
        }
        _ => return None,
    };
    let mut vars = a.vars;
    for (v, view, s) in b.vars {
        vars.push((v, view, s * sign));
    }
    // An overflow near the decimal maximum leaves the term opaque (never a panic).
    let k = if sign < 0 {
        a.k.checked_sub(b.k)?
    } else {
        a.k.checked_add(b.k)?
    };
    // x - x cancels.
    let mut merged: Vec<(usize, View, i8)> = Vec::new();
    for (v, view, s) in vars {
        if let Some(pos) = merged
            .iter()
            .position(|(w, wv, ws)| *w == v && *wv == view && *ws == -s)
        {
            merged.remove(pos);
        } else {
            merged.push((v, view, s));
        }
    }
    if merged.len() > MAX_LIN_VARS {
        return None;
    }
    Some(Lin {
        vars: merged,
        k,
        dom,
    })
}

impl Collector<'_> {
    fn var_ty(&self, v: usize) -> Type {
        var_type(self.policy, v)
    }

    fn mark(&mut self, e: &CExpr) {
        let mut vars = BTreeSet::new();
        vars_of(self.policy, e, &mut vars);
        for v in vars {
            if let Some(i) = self.info.get_mut(v) {
                i.opaque = true;
            }
        }
        consts_of(e, &mut self.seeds);
    }

    fn walk_let(&mut self, i: LetId) {
        if self.let_walked[i] {
            return;
        }
        self.let_walked[i] = true;
        let l = &self.policy.lets[i];
        match l.ty {
            Type::Bool => self.walk(&l.expr),
            _ => {
                // Non-boolean derived facts are read where they are compared.
                let _ = self.term(&l.expr);
            }
        }
    }

    /// A boolean expression.
    fn walk(&mut self, e: &CExpr) {
        match e {
            CExpr::Not(a) => self.walk(a),
            CExpr::And(a, b) | CExpr::Or(a, b) => {
                self.walk(a);
                self.walk(b);
            }
            CExpr::Cmp(_, a, b) => self.compare(a, b),
            CExpr::In { value, items, .. } => {
                for it in items {
                    self.compare(value, it);
                }
            }
            CExpr::InRange {
                value,
                lo,
                hi,
                kind,
                hi_slack,
                ..
            } => {
                self.compare(value, lo);
                match (kind, hi.as_ref()) {
                    (RangeKind::TimeOfDay, CExpr::Const(Value::Time(t))) => {
                        let end = CExpr::Const(Value::Time(t.saturating_add(*hi_slack)));
                        self.compare(value, &end);
                    }
                    (RangeKind::TimeOfDay, _) => self.mark(e),
                    (RangeKind::Plain, _) => self.compare(value, hi),
                }
            }
            CExpr::InCollection {
                value, collection, ..
            } => self.membership(value, collection, e),
            CExpr::IsAnswered(f, _) => self.info[f.index()].null = true,
            CExpr::Call(Builtin::Contains, args) => match (args.first(), args.get(1)) {
                (Some(list @ CExpr::Slot(Slot::Fact(f))), Some(x))
                    if matches!(self.policy.facts[*f].ty, Type::List(_)) =>
                {
                    self.membership(x, list, e)
                }
                _ => self.mark(e),
            },
            CExpr::Slot(Slot::Let(i)) => self.walk_let(*i),
            CExpr::Slot(Slot::Fact(_)) | CExpr::Const(_) => {}
            _ => self.mark(e),
        }
    }

    fn membership(&mut self, value: &CExpr, collection: &CExpr, whole: &CExpr) {
        let CExpr::Slot(Slot::Fact(f)) = collection else {
            self.mark(whole);
            return;
        };
        let f = f.index();
        match value {
            CExpr::Const(v) => {
                if let Some(i) = self.info.get_mut(f) {
                    i.members.push(v.clone());
                }
            }
            other => {
                let _ = self.term(other);
                if let Some(i) = self.info.get_mut(f) {
                    i.member_var = true;
                }
            }
        }
    }

    fn date_threshold(&mut self, v: usize, day: i64) {
        let zone = &self.policy.calendar.zone;
        let instant = zone.instant_of_local(day.saturating_mul(DAY));
        if let Some(i) = self.info.get_mut(v) {
            i.direct.push(Decimal::from(instant));
        }
    }

    fn compare(&mut self, a: &CExpr, b: &CExpr) {
        let (ta, tb) = (self.term(a), self.term(b));
        match (ta, tb) {
            (Term::Lin(x), Term::Lin(y)) => match add(x, y, -1) {
                Some(l) => self.linear(l, a, b),
                None => {
                    self.mark(a);
                    self.mark(b);
                }
            },
            (Term::Text(v), Term::TextConst(s)) | (Term::TextConst(s), Term::Text(v)) => {
                if let Some(i) = self.info.get_mut(v) {
                    i.texts.push(s);
                }
            }
            (Term::Text(v), Term::Text(w)) => self.text_edges.push((v, w)),
            (Term::TextConst(_), Term::TextConst(_)) | (Term::Finite, Term::Finite) => {}
            _ => {
                self.mark(a);
                self.mark(b);
            }
        }
    }

    /// `l op 0`.
    fn linear(&mut self, l: Lin, a: &CExpr, b: &CExpr) {
        match l.vars.as_slice() {
            [] => {}
            [(v, view, s)] => {
                let t = if *s > 0 { -l.k } else { l.k };
                match view {
                    View::Direct => {
                        if let Some(i) = self.info.get_mut(*v) {
                            i.direct.push(t);
                        }
                    }
                    View::TimeOf => {
                        if let Some(i) = self.info.get_mut(*v) {
                            i.tod.push(t);
                        }
                    }
                    View::DateOf => {
                        // date_of(x) op D splits x at the start of D and of D + 1.
                        let d = t.floor();
                        let day = i64::try_from(d).unwrap_or(0);
                        self.date_threshold(*v, day);
                        self.date_threshold(*v, day.saturating_add(1));
                        if d != t {
                            self.date_threshold(*v, day.saturating_add(2));
                        }
                    }
                }
            }
            [(x, View::Direct, sx), (y, View::Direct, sy)] if *sx == -*sy && x != y => {
                // sx*x + sy*y + k op 0  →  x - y op -k (oriented so x has +1).
                let (p, q, c) = if *sx > 0 {
                    (*x, *y, -l.k)
                } else {
                    (*y, *x, l.k)
                };
                self.edges.push((p, q, c));
            }
            _ => {
                self.mark(a);
                self.mark(b);
            }
        }
    }

    fn term(&mut self, e: &CExpr) -> Term {
        match e {
            CExpr::Const(v) => match v {
                Value::Bool(_) | Value::Enum(..) => Term::Finite,
                Value::Text(t) => Term::TextConst(t.clone()),
                other => match coord(other) {
                    Some((dom, k)) => Term::Lin(Lin {
                        vars: Vec::new(),
                        k,
                        dom,
                    }),
                    None => Term::Opaque,
                },
            },
            CExpr::Slot(Slot::Fact(i)) => {
                let v = i.index();
                let ty = self.var_ty(v);
                match ty {
                    Type::Bool | Type::Enum(..) => Term::Finite,
                    Type::Text => Term::Text(v),
                    other => match dom_of(&other) {
                        Some(dom) => Term::Lin(Lin {
                            vars: vec![(v, View::Direct, 1)],
                            k: Decimal::ZERO,
                            dom,
                        }),
                        None => {
                            self.mark(e);
                            Term::Opaque
                        }
                    },
                }
            }
            CExpr::Slot(Slot::Let(i)) => {
                let l = &self.policy.lets[*i];
                if l.ty == Type::Bool {
                    self.walk_let(*i);
                    return Term::Finite;
                }
                // Each derived fact is read once, however often it is used.
                if let Some(t) = &self.let_terms[*i] {
                    return t.clone();
                }
                let t = self.term(&l.expr);
                self.let_terms[*i] = Some(t.clone());
                t
            }
            CExpr::Now => Term::Lin(Lin {
                vars: vec![(self.info.len() - 1, View::Direct, 1)],
                k: Decimal::ZERO,
                dom: Dom::Secs,
            }),
            CExpr::Today => Term::Lin(Lin {
                vars: vec![(self.info.len() - 1, View::DateOf, 1)],
                k: Decimal::ZERO,
                dom: Dom::Days,
            }),
            CExpr::Not(_)
            | CExpr::And(..)
            | CExpr::Or(..)
            | CExpr::Cmp(..)
            | CExpr::In { .. }
            | CExpr::InCollection { .. }
            | CExpr::InRange { .. }
            | CExpr::IsAnswered(..) => {
                self.walk(e);
                Term::Finite
            }
            CExpr::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b) => {
                let (x, y) = (self.term(a), self.term(b));
                let sign = if matches!(op, ArithOp::Sub) { -1 } else { 1 };
                match (x, y) {
                    (Term::Lin(x), Term::Lin(y)) => match add(x, y, sign) {
                        Some(l) => Term::Lin(l),
                        None => {
                            self.mark(e);
                            Term::Opaque
                        }
                    },
                    _ => {
                        self.mark(e);
                        Term::Opaque
                    }
                }
            }
            CExpr::AddWorking {
                at,
                amount,
                working,
                ..
            } => match self.term(at) {
                Term::Lin(l) if l.dom == Dom::Secs => {
                    if let ([(v, View::Direct, 1)], Ok(c)) = (l.vars.as_slice(), i64::try_from(l.k))
                    {
                        self.working_terms.push((*v, c, *amount, *working));
                    }
                    for (v, _, _) in &l.vars {
                        if let Some(i) = self.info.get_mut(*v) {
                            i.working = true;
                        }
                    }
                    let clock = match working {
                        Working::Days => amount.saturating_mul(DAY),
                        Working::Hours | Working::No => *amount,
                    };
                    Term::Lin(Lin {
                        k: l.k + Decimal::from(clock),
                        ..l
                    })
                }
                _ => {
                    self.mark(e);
                    Term::Opaque
                }
            },
            CExpr::Neg(a) => match self.term(a) {
                Term::Lin(l) => Term::Lin(Lin {
                    vars: l.vars.into_iter().map(|(v, w, s)| (v, w, -s)).collect(),
                    k: -l.k,
                    dom: l.dom,
                }),
                _ => {
                    self.mark(e);
                    Term::Opaque
                }
            },
            CExpr::Call(f @ (Builtin::TimeOf | Builtin::DateOf), args) => {
                let inner = args.first().map(|a| self.term(a));
                match inner {
                    Some(Term::Lin(l))
                        if l.k.is_zero()
                            && l.dom == Dom::Secs
                            && matches!(l.vars.as_slice(), [(_, View::Direct, 1)]) =>
                    {
                        let v = l.vars.first().map(|x| x.0).unwrap_or(0);
                        if *f == Builtin::TimeOf {
                            Term::Lin(Lin {
                                vars: vec![(v, View::TimeOf, 1)],
                                k: Decimal::ZERO,
                                dom: Dom::Tod,
                            })
                        } else {
                            Term::Lin(Lin {
                                vars: vec![(v, View::DateOf, 1)],
                                k: Decimal::ZERO,
                                dom: Dom::Days,
                            })
                        }
                    }
                    _ => {
                        self.mark(e);
                        Term::Opaque
                    }
                }
            }
            CExpr::Call(Builtin::Contains | Builtin::StartsWith | Builtin::EndsWith, _) => {
                self.walk(e);
                Term::Finite
            }
            _ => {
                self.mark(e);
                Term::Opaque
            }
        }
    }

    fn finish(self) -> Domains {
        let policy = self.policy;
        let n = self.info.len();
        let mut cands: Vec<Vec<FactValue>> = vec![Vec::new(); n];
        let mut exact = vec![true; n];
        let mut why: Vec<Option<&'static str>> = vec![None; n];
        for (v, info) in self.info.iter().enumerate() {
            if info.opaque {
                set(
                    &mut exact,
                    &mut why,
                    v,
                    "used in a way the analysis cannot split",
                );
            }
            if info.working {
                set(
                    &mut exact,
                    &mut why,
                    v,
                    "compared with working time: candidates are placed by clock time, which cannot prove that no case exists",
                );
            }
        }
        // Ordered variables: groups linked by difference atoms.
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], x: usize) -> usize {
            let mut r = x;
            while p.get(r).copied().unwrap_or(r) != r {
                r = p.get(r).copied().unwrap_or(r);
            }
            let mut y = x;
            while let Some(next) = p.get(y).copied() {
                if next == r {
                    break;
                }
                if let Some(s) = p.get_mut(y) {
                    *s = r;
                }
                y = next;
            }
            r
        }
        for (x, y, _) in &self.edges {
            let (a, b) = (find(&mut parent, *x), find(&mut parent, *y));
            if a != b {
                if let Some(s) = parent.get_mut(a) {
                    *s = b;
                }
            }
        }
        let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for v in 0..n {
            let ty = var_type(policy, v);
            if dom_of(&ty).is_some() {
                let r = find(&mut parent, v);
                groups.entry(r).or_default().push(v);
            }
        }
        let base_day = i64::from(
            policy
                .meta
                .valid_from
                .or(policy.meta.valid_until)
                .unwrap_or(20_089), // 2025-01-01
        );
        let zone = &policy.calendar.zone;
        let base_instant = zone.instant_of_local(base_day * DAY);
        for members in groups.values() {
            // Potentials: x - y op c  ⇒  φx - φy = c.
            let mut phi: std::collections::BTreeMap<usize, Decimal> = Default::default();
            let mut consistent = true;
            if let Some(first) = members.first() {
                phi.insert(*first, Decimal::ZERO);
            }
            let mut changed = true;
            while changed {
                changed = false;
                for (x, y, c) in &self.edges {
                    if !members.contains(x) {
                        continue;
                    }
                    match (phi.get(x).copied(), phi.get(y).copied()) {
                        (Some(px), Some(py)) => {
                            if px.checked_sub(py) != Some(*c) {
                                consistent = false;
                            }
                        }
                        (Some(px), None) => match px.checked_sub(*c) {
                            Some(p) => {
                                phi.insert(*y, p);
                                changed = true;
                            }
                            None => consistent = false,
                        },
                        (None, Some(py)) => match py.checked_add(*c) {
                            Some(p) => {
                                phi.insert(*x, p);
                                changed = true;
                            }
                            None => consistent = false,
                        },
                        (None, None) => {}
                    }
                }
            }
            let k = members.len();
            let tys: Vec<Type> = members.iter().map(|v| var_type(policy, *v)).collect();
            let any_decimal = tys.contains(&Type::Decimal);
            let all_decimal = tys.iter().all(|t| *t == Type::Decimal);
            let group_exact = consistent && (all_decimal || !any_decimal);
            if !group_exact {
                for v in members {
                    set(
                        &mut exact,
                        &mut why,
                        *v,
                        "compared with other facts at several offsets",
                    );
                }
            }
            // Shifted thresholds of the whole group.
            let mut shifted: Vec<Decimal> = Vec::new();
            let mut k = k;
            for v in members {
                let p = if consistent {
                    phi.get(v).copied().unwrap_or_default()
                } else {
                    Decimal::ZERO
                };
                if let Some(info) = self.info.get(*v) {
                    shifted.extend(info.direct.iter().filter_map(|t| t.checked_sub(p)));
                }
            }
            if !consistent {
                // Fall back: each threshold moved by each offset, both ways.
                let extra: Vec<Decimal> = self
                    .edges
                    .iter()
                    .filter(|(x, _, _)| members.contains(x))
                    .flat_map(|(_, _, c)| {
                        shifted
                            .iter()
                            .flat_map(move |t| [t.checked_add(*c), t.checked_sub(*c)])
                    })
                    .flatten()
                    .collect();
                shifted.extend(extra);
            }
            if shifted.is_empty() {
                // No constants at all: one shared base point for the whole group.
                if let Some(first) = members.first() {
                    let base = match var_type(policy, *first) {
                        Type::Date => Decimal::from(base_day),
                        Type::DateTime => Decimal::from(base_instant),
                        _ => Decimal::ZERO,
                    };
                    if let Some(b) = base.checked_sub(phi.get(first).copied().unwrap_or_default()) {
                        shifted.push(b);
                    }
                }
            }
            for v in members {
                let ty = var_type(policy, *v);
                let p = if consistent {
                    phi.get(v).copied().unwrap_or_default()
                } else {
                    Decimal::ZERO
                };
                let pts = shifted.clone();
                let gaps = pts.len().saturating_add(2);
                if gaps.saturating_mul(k) > MAX_GROUP_VALUES {
                    k = (MAX_GROUP_VALUES / gaps).max(1);
                    for w in members {
                        set(
                            &mut exact,
                            &mut why,
                            *w,
                            "compared with too many other facts to split exactly",
                        );
                    }
                }
                let discrete = ty != Type::Decimal;
                let line: Vec<Decimal> = spread(&pts, k, discrete)
                    .into_iter()
                    .filter_map(|x| x.checked_add(p))
                    .collect();
                let mut values: Vec<Value> =
                    line.iter().filter_map(|x| value_at(&ty, *x)).collect();
                if matches!(ty, Type::Int | Type::Decimal | Type::Duration) {
                    // Counts and amounts read best from zero up: try those first.
                    let negative = |v: &Value| {
                        v.compare(&Value::Int(0)).is_some_and(|o| o.is_lt())
                            || matches!(v, Value::Duration(d) if *d < 0)
                    };
                    values.sort_by_key(|v| negative(v));
                }
                if ty == Type::DateTime {
                    if let Some(info) = self.info.get(*v) {
                        if !info.tod.is_empty() {
                            if k > 1 {
                                set(
                                    &mut exact,
                                    &mut why,
                                    *v,
                                    "time of day of a fact compared with other facts",
                                );
                            }
                            let mut tod = info.tod.clone();
                            tod.push(Decimal::ZERO);
                            tod.push(Decimal::from(DAY - 1));
                            let tods: Vec<i64> = spread(&tod, 1, true)
                                .into_iter()
                                .filter_map(|x| i64::try_from(x).ok())
                                .filter(|x| (0..DAY).contains(x))
                                .collect();
                            let starts: Vec<i64> = values
                                .iter()
                                .filter_map(|v| match v {
                                    Value::DateTime(s) => Some(*s),
                                    _ => None,
                                })
                                .collect();
                            for s in starts {
                                for t in &tods {
                                    let local = zone.local_seconds(s);
                                    let mut c = local
                                        .div_euclid(DAY)
                                        .saturating_mul(DAY)
                                        .saturating_add(*t);
                                    if c < local {
                                        c = c.saturating_add(DAY);
                                    }
                                    values.push(Value::DateTime(zone.instant_of_local(c)));
                                }
                            }
                        }
                    }
                }
                dedup(&mut values);
                if let Some(c) = cands.get_mut(*v) {
                    *c = values.into_iter().map(FactValue::Known).collect();
                }
            }
        }
        // Working time: from each start (the candidates, plus starts inside and
        // at the end of opening hours), the moment the calendar really reaches
        // and one second before it, for every date and time compared with it.
        for (v, offset, amount, working) in &self.working_terms {
            let in_hours = [10 * 3600, DAY + 10 * 3600, 2 * DAY + 16 * 3600];
            let mut starts: Vec<i64> = in_hours
                .iter()
                .map(|s| base_instant.saturating_add(*s))
                .collect();
            if let Some(c) = cands.get(*v) {
                starts.extend(c.iter().take(MAX_WORKING_STARTS).filter_map(|x| match x {
                    FactValue::Known(Value::DateTime(t)) => Some(*t),
                    _ => None,
                }));
            }
            let mut reached = Vec::new();
            for s in &starts {
                let from = s.saturating_add(*offset);
                if let Some(w) =
                    crate::eval::calendar::add(&policy.calendar, from, *amount, *working)
                {
                    reached.push(Value::DateTime(w.saturating_sub(1)));
                    reached.push(Value::DateTime(w));
                }
            }
            let r = find(&mut parent, *v);
            for u in 0..n {
                if var_type(policy, u) != Type::DateTime || find(&mut parent, u) != r {
                    continue;
                }
                let mut values: Vec<Value> = cands
                    .get(u)
                    .map(|c| {
                        c.iter()
                            .filter_map(|x| match x {
                                FactValue::Known(v) => Some(v.clone()),
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if u == *v {
                    values.extend(
                        in_hours
                            .iter()
                            .map(|s| Value::DateTime(base_instant.saturating_add(*s))),
                    );
                } else {
                    values.extend(reached.iter().cloned());
                }
                dedup(&mut values);
                if let Some(c) = cands.get_mut(u) {
                    *c = values.into_iter().map(FactValue::Known).collect();
                }
            }
        }
        // Text groups: equality only.
        let mut text_group: Vec<usize> = (0..n).collect();
        for (x, y) in &self.text_edges {
            let (a, b) = (find(&mut text_group, *x), find(&mut text_group, *y));
            if a != b {
                if let Some(s) = text_group.get_mut(a) {
                    *s = b;
                }
            }
        }
        for v in 0..n {
            let ty = var_type(policy, v);
            let info = self.info.get(v).cloned().unwrap_or_default();
            let values: Option<Vec<Value>> = match &ty {
                Type::Bool => Some(vec![Value::Bool(false), Value::Bool(true)]),
                Type::Enum(e, _) => {
                    let variants = policy.enums[*e].variants.ids();
                    Some(variants.map(|i| Value::Enum(*e, i)).collect())
                }
                Type::Text => {
                    let r = find(&mut text_group, v);
                    let mut consts: Vec<Arc<str>> = Vec::new();
                    let mut size = 0usize;
                    for w in 0..n {
                        if find(&mut text_group, w) == r && var_type(policy, w) == Type::Text {
                            size += 1;
                            if let Some(i) = self.info.get(w) {
                                consts.extend(i.texts.iter().cloned());
                            }
                        }
                    }
                    if info.opaque {
                        for s in &self.seeds {
                            if let Value::Text(t) = s {
                                consts.push(t.clone());
                            }
                        }
                        consts.push(Arc::from(""));
                        // Texts read through functions (digits, length, edit
                        // distance, prefixes) are often numbers compared with
                        // each other: a sample and its one-character variants
                        // (shorter, longer, a character dropped or changed).
                        for sample in TEXT_VARIANTS {
                            consts.push(Arc::from(sample));
                        }
                    }
                    let mut vals: Vec<Value> = consts.into_iter().map(Value::Text).collect();
                    for j in 0..size.max(1) {
                        let fresh = if j == 0 {
                            "\u{2026}".to_string()
                        } else {
                            format!("\u{2026}{j}")
                        };
                        vals.push(Value::Text(Arc::from(fresh.as_str())));
                    }
                    dedup(&mut vals);
                    Some(vals)
                }
                Type::List(elem) => {
                    let mut universe: Vec<Value> = Vec::new();
                    let mut list_exact = !info.opaque;
                    if let Type::Enum(e, _) = elem.as_ref() {
                        let variants = &policy.enums[*e].variants;
                        if variants.len() <= MAX_SUBSET_BITS {
                            universe = variants.ids().map(|i| Value::Enum(*e, i)).collect();
                        }
                    }
                    if universe.is_empty() {
                        universe = info.members.clone();
                        dedup(&mut universe);
                        if info.member_var {
                            list_exact = false;
                        }
                    }
                    let mut vals = Vec::new();
                    if universe.len() <= MAX_SUBSET_BITS {
                        for mask in 0..(1u32 << universe.len()) {
                            let items: Vec<Value> = universe
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| mask & (1 << i) != 0)
                                .map(|(_, x)| x.clone())
                                .collect();
                            vals.push(Value::List(Arc::from(items)));
                        }
                    } else {
                        list_exact = false;
                        vals.push(Value::List(Arc::from(Vec::new())));
                        for x in &universe {
                            vals.push(Value::List(Arc::from(vec![x.clone()])));
                        }
                        vals.push(Value::List(Arc::from(universe.clone())));
                    }
                    if !list_exact {
                        set(
                            &mut exact,
                            &mut why,
                            v,
                            "a list used in a way the analysis cannot split",
                        );
                    }
                    Some(vals)
                }
                _ => None,
            };
            if let (Some(vals), Some(c)) = (values, cands.get_mut(v)) {
                *c = vals.into_iter().map(FactValue::Known).collect();
            }
            if info.null {
                if let Some(c) = cands.get_mut(v) {
                    c.push(FactValue::Null);
                }
            }
        }
        // Latest evaluation times first: counterexamples then use the current rules.
        if let Some(at) = cands.last_mut() {
            at.reverse();
        }
        let mut linked = vec![false; n];
        let pairs = self.edges.iter().map(|(x, y, _)| (*x, *y));
        for (x, y) in pairs.chain(self.text_edges.iter().copied()) {
            for v in [x, y] {
                if let Some(l) = linked.get_mut(v) {
                    *l = true;
                }
            }
        }
        Domains {
            cands,
            exact,
            why,
            linked,
            abs: None,
        }
    }
}

fn set(exact: &mut [bool], why: &mut [Option<&'static str>], v: usize, reason: &'static str) {
    if let Some(e) = exact.get_mut(v) {
        *e = false;
    }
    if let Some(w) = why.get_mut(v) {
        w.get_or_insert(reason);
    }
}

/// The thresholds, `k` points inside every gap between them, and `k` points beyond either end.
fn spread(points: &[Decimal], k: usize, discrete: bool) -> Vec<Decimal> {
    let mut pts: Vec<Decimal> = Vec::new();
    for p in points {
        if discrete && !p.fract().is_zero() {
            pts.push(p.floor());
            pts.push(p.ceil());
        } else {
            pts.push(*p);
        }
    }
    pts.sort();
    pts.dedup();
    let mut out = pts.clone();
    let k = k.max(1);
    for w in pts.windows(2) {
        if let [a, b] = w {
            for j in 1..=k {
                let step = Decimal::from(j as u64);
                // Near the decimal maximum a point may not exist: it is
                // left out (the arithmetic never panics).
                if discrete {
                    // Both ends of the gap: `c + 1` and `c - 1` for every constant.
                    for x in [a.checked_add(step), b.checked_sub(step)]
                        .into_iter()
                        .flatten()
                    {
                        if *a < x && x < *b {
                            out.push(x);
                        }
                    }
                } else {
                    let x = b
                        .checked_sub(*a)
                        .and_then(|w| w.checked_mul(step))
                        .and_then(|w| w.checked_div(Decimal::from(k as u64 + 1)))
                        .and_then(|w| a.checked_add(w));
                    if let Some(x) = x.filter(|x| x < b) {
                        out.push(x);
                    }
                }
            }
        }
    }
    if let (Some(lo), Some(hi)) = (pts.first().copied(), pts.last().copied()) {
        for j in 1..=k {
            let step = Decimal::from(j as u64);
            out.extend(lo.checked_sub(step));
            out.extend(hi.checked_add(step));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn value_at(ty: &Type, x: Decimal) -> Option<Value> {
    Some(match ty {
        Type::Int => Value::Int(i64::try_from(x).ok()?),
        Type::Decimal => Value::Decimal(x),
        Type::Date => Value::Date(i32::try_from(x).ok()?),
        Type::DateTime => Value::DateTime(i64::try_from(x).ok()?),
        Type::Duration => Value::Duration(i64::try_from(x).ok()?),
        Type::Time => {
            let t = i64::try_from(x).ok()?;
            if !(0..DAY).contains(&t) {
                return None;
            }
            Value::Time(u32::try_from(t).ok()?)
        }
        _ => return None,
    })
}

/// Removes repeated values, keeping the first of each (one pass with a set:
/// candidate lists can be long).
fn dedup(v: &mut Vec<Value>) {
    let mut seen: std::collections::HashSet<String> = Default::default();
    v.retain(|x| seen.insert(format!("{x:?}")));
}

fn consts_of(e: &CExpr, out: &mut Vec<Value>) {
    match e {
        CExpr::Const(v) => out.push(v.clone()),
        CExpr::Not(a) | CExpr::Neg(a) | CExpr::AddWorking { at: a, .. } => consts_of(a, out),
        CExpr::And(a, b) | CExpr::Or(a, b) | CExpr::Cmp(_, a, b) | CExpr::Arith(_, a, b) => {
            consts_of(a, out);
            consts_of(b, out);
        }
        CExpr::In { value, items, .. } => {
            consts_of(value, out);
            items.iter().for_each(|i| consts_of(i, out));
        }
        CExpr::InCollection {
            value, collection, ..
        } => {
            consts_of(value, out);
            consts_of(collection, out);
        }
        CExpr::InRange { value, lo, hi, .. } => {
            consts_of(value, out);
            consts_of(lo, out);
            consts_of(hi, out);
        }
        CExpr::Call(_, args) | CExpr::List(args) => args.iter().for_each(|a| consts_of(a, out)),
        _ => {}
    }
}

/// Every variable an expression depends on (derived facts expanded; `now`/`today` = the evaluation time).
pub fn vars_of(policy: &Policy, e: &CExpr, out: &mut BTreeSet<usize>) {
    let mut seen = IdVec::from_elem(false, policy.lets.len());
    vars_in(policy, e, out, &mut seen);
}

/// `vars_of`, expanding each derived fact once (`seen`): a chain of lets that
/// each use the previous one twice stays linear.
fn vars_in(policy: &Policy, e: &CExpr, out: &mut BTreeSet<usize>, seen: &mut IdVec<LetId, bool>) {
    let at = policy.facts.len();
    match e {
        CExpr::Const(_) => {}
        CExpr::Slot(Slot::Fact(i)) => {
            out.insert(i.index());
        }
        CExpr::Slot(Slot::Let(i)) => {
            if !seen[*i] {
                seen[*i] = true;
                vars_in(policy, &policy.lets[*i].expr, out, seen);
            }
        }
        CExpr::Now | CExpr::Today => {
            out.insert(at);
        }
        CExpr::Not(a) | CExpr::Neg(a) | CExpr::AddWorking { at: a, .. } => {
            vars_in(policy, a, out, seen)
        }
        CExpr::And(a, b) | CExpr::Or(a, b) | CExpr::Cmp(_, a, b) | CExpr::Arith(_, a, b) => {
            vars_in(policy, a, out, seen);
            vars_in(policy, b, out, seen);
        }
        CExpr::In { value, items, .. } => {
            vars_in(policy, value, out, seen);
            items.iter().for_each(|i| vars_in(policy, i, out, seen));
        }
        CExpr::InCollection {
            value, collection, ..
        } => {
            vars_in(policy, value, out, seen);
            vars_in(policy, collection, out, seen);
        }
        CExpr::InRange { value, lo, hi, .. } => {
            vars_in(policy, value, out, seen);
            vars_in(policy, lo, out, seen);
            vars_in(policy, hi, out, seen);
        }
        CExpr::IsAnswered(f, _) => {
            out.insert(f.index());
        }
        CExpr::Call(_, args) | CExpr::List(args) => {
            args.iter().for_each(|a| vars_in(policy, a, out, seen))
        }
    }
}
