//! Exact reasoning about ordered facts compared with each other: every
//! comparison of dates, date-times, durations, counts and the evaluation time
//! that is a *difference constraint* (`now > assigned_at + 24 hours`,
//! `sent_at < assigned_at + 2 hours`, `x >= 3`, `date_of(t) >= 2025-04-15`,
//! validity dates) becomes a yes/no *atom* `x - y <= c`, and the search
//! branches on atoms instead of on candidate values. A branch whose atoms
//! cannot hold together is cut by a negative-cycle test of their constraint
//! graph (Bellman–Ford, the decision procedure of difference logic); a case
//! that makes the question true is built from shortest paths in that graph.
//! Any number of offsets between the same facts is decided exactly, which
//! fixed candidate values cannot do.
//!
//! `x + N working days` (or hours) is read as a variable of its own, `w`,
//! when `x` is used nowhere else: `w` is then free, which can only add
//! cases, so "no case" stays a proof; a case found is turned back into an
//! `x` whose working-time end is `w`, and if the calendar cannot reach that
//! moment the question is reported as not decided exactly.
//!
//! Facts used any other way (`time_of`, arithmetic with two facts of other
//! kinds, decimals) keep the candidate values of [`super::domain`]; a fact
//! compared with such a fact keeps them too, so each fact is read one way.

use super::domain::Domains;
use super::search::{Point, Q};
use crate::check::ids::{FactId, IdVec, LetId};
use crate::check::ir::*;
use crate::eval::FactValue;
use crate::syntax::ast::{ArithOp, CmpOp};
use crate::types::Type;
use crate::value::Value;
use std::collections::HashMap;

const DAY: i64 = crate::time::SECONDS_PER_DAY;
/// Most levels of an expression read for atoms; deeper parts keep candidate
/// values (SOP conditions are a few levels deep; this bounds the stack).
const MAX_DEPTH: usize = 64;
/// Most items of an `in [...]` list read as atoms: each item is two atoms
/// joined by `or`, and a long list would make a chain as deep as it is long
/// (its fact keeps candidate values, exact for a list of constants).
const MAX_IN_ITEMS: usize = 32;
/// How far back a working-time start is looked for.
const MAX_WORKING_BACK: i64 = 400 * DAY;

/// A variable of the constraints: a fact or the evaluation time (by its
/// analysis index), the constant zero, or a working-time end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum TVar {
    Var(usize),
    Work(usize),
    Zero,
}

/// `x - y <= c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Atom {
    x: TVar,
    y: TVar,
    c: i128,
}

/// `s + amount` counted in the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Work {
    s: usize,
    amount: i64,
    working: Working,
}

/// The unit a term counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Num,
    Secs,
    Days,
}

/// `Σ sign·var + k`, with `date_of` marked.
#[derive(Debug, Clone)]
struct Lin {
    vars: Vec<(TVar, bool, i8)>,
    k: i128,
    unit: Unit,
}

/// The search's view of a policy whose ordered facts are read through atoms.
#[derive(Debug, Clone)]
pub struct Abstraction {
    /// The policy the search evaluates: the facts, then one yes/no fact per
    /// atom; conditions rewritten; validity dates folded into the conditions.
    pub policy: Policy,
    pub cands: Vec<Vec<FactValue>>,
    pub exact: Vec<bool>,
    /// Facts of the real policy.
    n: usize,
    atoms: Vec<Atom>,
    works: Vec<Work>,
    index: HashMap<Atom, usize>,
    work_index: HashMap<Work, usize>,
    /// The derived facts' expressions in the abstract policy.
    lets: IdVec<LetId, CExpr>,
    /// Per real variable (facts, then the evaluation time): read through atoms.
    pub abstracted: Vec<bool>,
    /// Per real variable: the atoms it appears in.
    by_var: Vec<Vec<usize>>,
    /// The policy's own validity dates, as a condition (`None`: always valid).
    window: Option<CExpr>,
    base_day: i64,
    base_instant: i64,
}

/// The atoms and working-time ends of a built abstraction, by value.
type Frozen<'p> = (&'p HashMap<Atom, usize>, &'p HashMap<Work, usize>);

/// Rewrites expressions for a set of eligible variables.
struct Rewriter<'p> {
    policy: &'p Policy,
    /// Facts of the real policy: atom `k` is fact `n + k`, the evaluation time is `n`.
    n: usize,
    eligible: Vec<bool>,
    atoms: Vec<Atom>,
    index: HashMap<Atom, usize>,
    works: Vec<Work>,
    work_index: HashMap<Work, usize>,
    let_terms: IdVec<LetId, Option<Option<Lin>>>,
    /// The atoms of the policy, when rewriting a question: nothing new is made.
    frozen: Option<Frozen<'p>>,
    /// Set when a frozen rewrite met an atom the policy does not have.
    missed: bool,
    /// Levels of the expression being read.
    depth: usize,
}

fn unit_of(ty: &Type) -> Option<Unit> {
    Some(match ty {
        Type::Int => Unit::Num,
        Type::Duration | Type::DateTime => Unit::Secs,
        Type::Date => Unit::Days,
        _ => return None,
    })
}

fn var_ty(policy: &Policy, v: usize) -> Type {
    super::domain::var_type(policy, v)
}

fn add(a: Lin, b: Lin, sign: i8) -> Option<Lin> {
    let (mut a, mut b) = (a, b);
    let day = i128::from(DAY);
    let unit = match (a.unit, b.unit) {
        (x, y) if x == y => x,
        (Unit::Days, Unit::Secs) if b.vars.is_empty() && b.k % day == 0 => {
            b.k /= day;
            Unit::Days
        }
        (Unit::Secs, Unit::Days) if a.vars.is_empty() && a.k % day == 0 => {
            a.k /= day;
            Unit::Days
        }
        _ => return None,
    };
    let k = if sign < 0 {
        a.k.checked_sub(b.k)?
    } else {
        a.k.checked_add(b.k)?
    };
    let mut vars: Vec<(TVar, bool, i8)> = Vec::new();
    for (v, d, s) in a.vars.into_iter().chain(
        b.vars
            .into_iter()
            .map(|(v, d, s)| (v, d, s.saturating_mul(sign))),
    ) {
        if let Some(p) = vars
            .iter()
            .position(|(w, wd, ws)| *w == v && *wd == d && *ws == -s)
        {
            vars.remove(p);
        } else {
            vars.push((v, d, s));
        }
    }
    if vars.len() > 2 {
        return None;
    }
    Some(Lin { vars, k, unit })
}

impl Rewriter<'_> {
    fn ok(&self, v: usize) -> bool {
        self.eligible.get(v).copied().unwrap_or(false)
    }

    /// The linear term of a value, if it is one. Deep expressions are not
    /// read (their facts keep candidate values): the depth bounds the stack.
    fn term(&mut self, e: &CExpr) -> Option<Lin> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let t = self.term_at(e);
        self.depth -= 1;
        t
    }

    fn term_at(&mut self, e: &CExpr) -> Option<Lin> {
        let n = self.n;
        match e {
            CExpr::Const(v) => {
                let (unit, k) = match v {
                    Value::Int(i) => (Unit::Num, i128::from(*i)),
                    Value::Date(d) => (Unit::Days, i128::from(*d)),
                    Value::DateTime(s) | Value::Duration(s) => (Unit::Secs, i128::from(*s)),
                    _ => return None,
                };
                Some(Lin {
                    vars: Vec::new(),
                    k,
                    unit,
                })
            }
            CExpr::Slot(Slot::Fact(f)) => {
                let v = f.index();
                if !self.ok(v) {
                    return None;
                }
                Some(Lin {
                    vars: vec![(TVar::Var(v), false, 1)],
                    k: 0,
                    unit: unit_of(&self.policy.facts[*f].ty)?,
                })
            }
            CExpr::Slot(Slot::Let(i)) => {
                if let Some(t) = &self.let_terms[*i] {
                    return t.clone();
                }
                let policy = self.policy;
                let t = self.term(&policy.lets[*i].expr);
                self.let_terms[*i] = Some(t.clone());
                t
            }
            CExpr::Now if self.ok(n) => Some(Lin {
                vars: vec![(TVar::Var(n), false, 1)],
                k: 0,
                unit: Unit::Secs,
            }),
            CExpr::Today if self.ok(n) => Some(Lin {
                vars: vec![(TVar::Var(n), true, 1)],
                k: 0,
                unit: Unit::Days,
            }),
            CExpr::Call(Builtin::DateOf, args) => {
                let l = self.term(args.first()?)?;
                match l.vars.as_slice() {
                    [(v, false, 1)] if l.k == 0 && l.unit == Unit::Secs => Some(Lin {
                        vars: vec![(*v, true, 1)],
                        k: 0,
                        unit: Unit::Days,
                    }),
                    _ => None,
                }
            }
            CExpr::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b) => {
                let (x, y) = (self.term(a)?, self.term(b)?);
                add(x, y, if matches!(op, ArithOp::Sub) { -1 } else { 1 })
            }
            CExpr::Neg(a) => {
                let l = self.term(a)?;
                Some(Lin {
                    vars: l.vars.into_iter().map(|(v, d, s)| (v, d, -s)).collect(),
                    k: -l.k,
                    unit: l.unit,
                })
            }
            CExpr::AddWorking {
                at,
                amount,
                working,
            } => {
                let l = self.term(at)?;
                let [(TVar::Var(s), false, 1)] = l.vars.as_slice() else {
                    return None;
                };
                if l.k != 0 || l.unit != Unit::Secs {
                    return None;
                }
                let w = Work {
                    s: *s,
                    amount: *amount,
                    working: *working,
                };
                let j = match self.frozen {
                    Some((_, works)) => match works.get(&w) {
                        Some(j) => *j,
                        None => {
                            self.missed = true;
                            return None;
                        }
                    },
                    None => {
                        let next = self.works.len();
                        let j = *self.work_index.entry(w).or_insert(next);
                        if j == next {
                            self.works.push(w);
                        }
                        j
                    }
                };
                Some(Lin {
                    vars: vec![(TVar::Work(j), false, 1)],
                    k: 0,
                    unit: Unit::Secs,
                })
            }
            _ => None,
        }
    }

    fn atom(&mut self, a: Atom) -> CExpr {
        // One orientation per pair: y - x <= -c - 1 is the negation of x - y <= c.
        let (a, negated) = if a.x > a.y {
            (
                Atom {
                    x: a.y,
                    y: a.x,
                    c: -a.c - 1,
                },
                true,
            )
        } else {
            (a, false)
        };
        let k = match self.frozen {
            Some((atoms, _)) => match atoms.get(&a) {
                Some(k) => *k,
                None => {
                    self.missed = true;
                    return CExpr::Const(Value::Bool(false));
                }
            },
            None => {
                let next = self.atoms.len();
                let k = *self.index.entry(a).or_insert(next);
                if k == next {
                    self.atoms.push(a);
                }
                k
            }
        };
        let slot = CExpr::Slot(Slot::Fact(FactId::new(self.n + k)));
        if negated {
            CExpr::Not(Box::new(slot))
        } else {
            slot
        }
    }

    /// `d op r` where `d` is `x - y` (or `x` when `y` is zero), as atoms.
    fn relation(&mut self, x: TVar, y: TVar, op: CmpOp, r: i128) -> CExpr {
        let le = |me: &mut Self, c: i128| me.atom(Atom { x, y, c });
        match op {
            CmpOp::Le => le(self, r),
            CmpOp::Lt => le(self, r - 1),
            CmpOp::Gt => not(le(self, r)),
            CmpOp::Ge => not(le(self, r - 1)),
            CmpOp::Eq => and(le(self, r), not(le(self, r - 1))),
            CmpOp::Ne => not(and(le(self, r), not(le(self, r - 1)))),
        }
    }

    /// `l op 0` as atoms, if it is a difference constraint.
    fn linear(&mut self, l: &Lin, op: CmpOp) -> Option<CExpr> {
        let flip = |op: CmpOp| match op {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        };
        match l.vars.as_slice() {
            [] => None,
            // s·x + k op 0  →  x op' -k
            [(x, false, s)] => {
                let op = if *s > 0 { op } else { flip(op) };
                let r = if *s > 0 { -l.k } else { l.k };
                Some(self.relation(*x, TVar::Zero, op, r))
            }
            // date_of(x) op' d: a bound on x at the start of a local day.
            [(x, true, s)] => {
                let op = if *s > 0 { op } else { flip(op) };
                let d = if *s > 0 { -l.k } else { l.k };
                let zone = &self.policy.calendar.zone;
                let start = |day: i128| -> Option<i128> {
                    let local = i64::try_from(day).ok()?.checked_mul(DAY)?;
                    Some(i128::from(zone.instant_of_local(local)))
                };
                // date_of(x) <= e  ⇔  x <= start(e + 1) - 1
                let le_day = |me: &mut Self, e: i128| -> Option<CExpr> {
                    Some(me.atom(Atom {
                        x: *x,
                        y: TVar::Zero,
                        c: start(e + 1)? - 1,
                    }))
                };
                Some(match op {
                    CmpOp::Le => le_day(self, d)?,
                    CmpOp::Lt => le_day(self, d - 1)?,
                    CmpOp::Gt => not(le_day(self, d)?),
                    CmpOp::Ge => not(le_day(self, d - 1)?),
                    CmpOp::Eq => and(le_day(self, d)?, not(le_day(self, d - 1)?)),
                    CmpOp::Ne => not(and(le_day(self, d)?, not(le_day(self, d - 1)?))),
                })
            }
            [(x, false, sx), (y, false, sy)] if *sx == -*sy => {
                // sx·x + sy·y + k op 0  →  (the +1 side) - (the -1 side) op -k
                let (p, q) = if *sx > 0 { (*x, *y) } else { (*y, *x) };
                let r = -l.k;
                Some(self.relation(p, q, op, r))
            }
            _ => None,
        }
    }

    fn compare(&mut self, op: CmpOp, a: &CExpr, b: &CExpr) -> Option<CExpr> {
        let (x, y) = (self.term(a)?, self.term(b)?);
        let l = add(x, y, -1)?;
        self.linear(&l, op)
    }

    /// The condition with every difference constraint over eligible
    /// variables replaced by atoms.
    fn rewrite(&mut self, e: &CExpr) -> CExpr {
        if self.depth >= MAX_DEPTH {
            return e.clone();
        }
        self.depth += 1;
        let out = self.rewrite_at(e);
        self.depth -= 1;
        out
    }

    fn rewrite_at(&mut self, e: &CExpr) -> CExpr {
        match e {
            CExpr::Not(a) => CExpr::Not(Box::new(self.rewrite(a))),
            CExpr::And(a, b) => CExpr::And(Box::new(self.rewrite(a)), Box::new(self.rewrite(b))),
            CExpr::Or(a, b) => CExpr::Or(Box::new(self.rewrite(a)), Box::new(self.rewrite(b))),
            CExpr::Cmp(op, a, b) => self.compare(*op, a, b).unwrap_or_else(|| e.clone()),
            CExpr::InRange {
                value,
                lo,
                hi,
                kind: RangeKind::Plain,
                negated,
                ..
            } => {
                let inside =
                    self.compare(CmpOp::Ge, value, lo)
                        .zip(self.compare(CmpOp::Le, value, hi));
                match inside {
                    Some((a, b)) if *negated => not(and(a, b)),
                    Some((a, b)) => and(a, b),
                    None => e.clone(),
                }
            }
            CExpr::In {
                value,
                items,
                negated,
            } if !items.is_empty()
                && items.len() <= MAX_IN_ITEMS
                && items.iter().all(|i| matches!(i, CExpr::Const(_))) =>
            {
                let mut any: Option<CExpr> = None;
                for it in items {
                    let Some(eq) = self.compare(CmpOp::Eq, value, it) else {
                        return e.clone();
                    };
                    any = Some(match any {
                        None => eq,
                        Some(a) => CExpr::Or(Box::new(a), Box::new(eq)),
                    });
                }
                match any {
                    Some(a) if *negated => not(a),
                    Some(a) => a,
                    None => e.clone(),
                }
            }
            _ => e.clone(),
        }
    }
}

fn not(e: CExpr) -> CExpr {
    match e {
        CExpr::Not(inner) => *inner,
        other => CExpr::Not(Box::new(other)),
    }
}

fn and(a: CExpr, b: CExpr) -> CExpr {
    CExpr::And(Box::new(a), Box::new(b))
}

/// The real variables an expression still reads as values (not through atoms,
/// not only whether they are answered); derived facts are followed.
fn uses(
    n: usize,
    lets: &IdVec<LetId, CExpr>,
    e: &CExpr,
    out: &mut [bool],
    seen: &mut IdVec<LetId, bool>,
) {
    e.visit(&mut |x| match x {
        // Facts past the real ones are atoms.
        CExpr::Slot(Slot::Fact(f)) if f.index() < n => {
            if let Some(u) = out.get_mut(f.index()) {
                *u = true;
            }
        }
        CExpr::Now | CExpr::Today => {
            if let Some(u) = out.get_mut(n) {
                *u = true;
            }
        }
        _ => {}
    });
    let mut inner = Vec::new();
    e.visit(&mut |x| {
        if let CExpr::Slot(Slot::Let(i)) = x {
            inner.push(*i);
        }
    });
    for i in inner {
        if !seen[i] {
            seen[i] = true;
            uses(n, lets, &lets[i], out, seen);
        }
    }
}

/// The variables a working-time end reads, and the variables read directly
/// in atoms, from a set of atoms.
fn atom_vars(atoms: &[Atom]) -> Vec<usize> {
    let mut out = Vec::new();
    for a in atoms {
        for t in [a.x, a.y] {
            if let TVar::Var(v) = t {
                out.push(v);
            }
        }
    }
    out
}

/// Builds the abstraction, if some ordered variable can be read through atoms.
pub fn build(policy: &Policy, dom: &Domains) -> Option<Abstraction> {
    let n = policy.facts.len();
    let mut eligible: Vec<bool> = (0..=n)
        .map(|v| v == n || unit_of(&var_ty(policy, v)).is_some())
        .collect();
    let meta = &policy.meta;
    // Values set on outcomes and fields are compared as values.
    let mut value_uses = vec![false; n + 1];
    {
        let originals: IdVec<LetId, CExpr> = policy.lets.iter().map(|l| l.expr.clone()).collect();
        let mut seen = IdVec::from_elem(false, policy.lets.len());
        for r in &policy.rules {
            for e in &r.effects {
                if let CEffect::SetOutcome(_, v) | CEffect::SetField(_, v) = e {
                    if !matches!(v, CExpr::Const(_)) {
                        uses(n, &originals, v, &mut value_uses, &mut seen);
                    }
                }
            }
        }
    }
    for (e, u) in eligible.iter_mut().zip(&value_uses) {
        if *u {
            *e = false;
        }
    }
    loop {
        let mut rw = Rewriter {
            policy,
            n,
            eligible: eligible.clone(),
            atoms: Vec::new(),
            index: HashMap::new(),
            works: Vec::new(),
            work_index: HashMap::new(),
            let_terms: IdVec::from_elem(None, policy.lets.len()),
            frozen: None,
            missed: false,
            depth: 0,
        };
        let lets: IdVec<LetId, CExpr> = policy
            .lets
            .iter()
            .map(|l| {
                if l.ty == Type::Bool {
                    rw.rewrite(&l.expr)
                } else {
                    l.expr.clone()
                }
            })
            .collect();
        let conds: Vec<Option<CExpr>> = policy
            .rules
            .iter()
            .map(|r| r.cond.as_ref().map(|c| rw.rewrite(c)))
            .collect();
        // What is still read as a value: from the conditions (derived facts followed).
        let mut left = vec![false; n + 1];
        let mut seen = IdVec::from_elem(false, policy.lets.len());
        for c in conds.iter().flatten() {
            uses(n, &lets, c, &mut left, &mut seen);
        }
        // Validity dates need the evaluation time read through atoms too.
        // A working-time start read in an atom too, or under two amounts, is not free.
        let direct = atom_vars(&rw.atoms);
        let mut starts: HashMap<usize, usize> = HashMap::new();
        for w in &rw.works {
            *starts.entry(w.s).or_default() += 1;
        }
        for (s, count) in &starts {
            if *count > 1 || direct.contains(s) {
                if let Some(l) = left.get_mut(*s) {
                    *l = true;
                }
            }
        }
        let mut changed = false;
        for v in 0..=n {
            if eligible[v] && left[v] {
                eligible[v] = false;
                changed = true;
            }
        }
        if changed {
            continue;
        }
        // Without atoms the candidate values are exact already.
        if rw.atoms.is_empty() {
            return None;
        }
        let at_abstract = eligible[n];
        // Validity dates as conditions on the evaluation time.
        let window_of =
            |from: Option<i32>, until: Option<i32>, rw: &mut Rewriter| -> Option<CExpr> {
                let zone = &policy.calendar.zone;
                let mut parts = Vec::new();
                if let Some(f) = from {
                    let c = i128::from(zone.instant_of_local(i64::from(f) * DAY)) - 1;
                    parts.push(not(rw.atom(Atom {
                        x: TVar::Var(n),
                        y: TVar::Zero,
                        c,
                    })));
                }
                if let Some(u) = until {
                    let c = i128::from(zone.instant_of_local((i64::from(u) + 1) * DAY)) - 1;
                    parts.push(rw.atom(Atom {
                        x: TVar::Var(n),
                        y: TVar::Zero,
                        c,
                    }));
                }
                parts.into_iter().reduce(and)
            };
        let mut abs = policy.clone();
        let mut window = None;
        if at_abstract {
            window = window_of(meta.valid_from, meta.valid_until, &mut rw);
            abs.meta.valid_from = None;
            abs.meta.valid_until = None;
        }
        for ((r, cond), real) in abs.rules.iter_mut().zip(conds).zip(&policy.rules) {
            r.cond = cond;
            if at_abstract {
                let w = [
                    window.clone(),
                    window_of(real.valid_from, real.valid_until, &mut rw),
                ];
                for part in w.into_iter().flatten().rev() {
                    r.cond = Some(match r.cond.take() {
                        Some(c) => and(part, c),
                        None => part,
                    });
                }
                r.valid_from = None;
                r.valid_until = None;
            }
        }
        for (l, e) in abs.lets.iter_mut().zip(lets.iter()) {
            l.expr = e.clone();
        }
        for k in 0..rw.atoms.len() {
            abs.facts.push(FactDef {
                name: format!("@atom{k}"),
                ty: Type::Bool,
                is_set: false,
                label: None,
                ask: None,
                ask_own_words: false,
                sensitive: false,
                span: crate::span::Span::default(),
            });
        }
        let m = rw.atoms.len();
        let mut cands = Vec::with_capacity(n + m + 1);
        let mut exact = Vec::with_capacity(n + m + 1);
        for (v, eligible) in eligible.iter().enumerate().take(n) {
            if *eligible {
                let null = dom
                    .cands
                    .get(v)
                    .is_some_and(|c| c.contains(&FactValue::Null));
                let mut c = Vec::new();
                if null {
                    c.push(FactValue::Known(placeholder(&var_ty(policy, v))));
                    c.push(FactValue::Null);
                }
                cands.push(c);
                exact.push(true);
            } else {
                cands.push(dom.cands.get(v).cloned().unwrap_or_default());
                exact.push(dom.exact.get(v).copied().unwrap_or(false));
            }
        }
        for _ in 0..m {
            cands.push(vec![
                FactValue::Known(Value::Bool(false)),
                FactValue::Known(Value::Bool(true)),
            ]);
            exact.push(true);
        }
        if at_abstract {
            cands.push(Vec::new());
            exact.push(true);
        } else {
            cands.push(dom.cands.get(n).cloned().unwrap_or_default());
            exact.push(dom.exact.get(n).copied().unwrap_or(false));
        }
        let mut by_var = vec![Vec::new(); n + 1];
        for (k, a) in rw.atoms.iter().enumerate() {
            for t in [a.x, a.y] {
                let v = match t {
                    TVar::Var(v) => Some(v),
                    TVar::Work(j) => rw.works.get(j).map(|w| w.s),
                    TVar::Zero => None,
                };
                if let Some(list) = v.and_then(|v| by_var.get_mut(v)) {
                    if !list.contains(&k) {
                        list.push(k);
                    }
                }
            }
        }
        let base_day = i64::from(meta.valid_from.or(meta.valid_until).unwrap_or(20_089));
        let base_instant = policy
            .calendar
            .zone
            .instant_of_local(base_day * DAY + 10 * 3600);
        return Some(Abstraction {
            policy: abs,
            cands,
            exact,
            n,
            atoms: rw.atoms,
            works: rw.works,
            index: rw.index,
            work_index: rw.work_index,
            lets,
            abstracted: eligible,
            by_var,
            window,
            base_day,
            base_instant,
        });
    }
}

/// A value of a type, standing for "some value" where only atoms are read.
fn placeholder(ty: &Type) -> Value {
    match ty {
        Type::Date => Value::Date(20_089),
        Type::DateTime => Value::DateTime(1_735_725_600),
        Type::Duration => Value::Duration(0),
        _ => Value::Int(0),
    }
}

/// The constraint of an assigned atom: `x - y <= c`.
fn constraint(a: &Atom, holds: bool) -> (TVar, TVar, i128) {
    if holds {
        (a.x, a.y, a.c)
    } else {
        (a.y, a.x, -a.c - 1)
    }
}

/// Shortest distances from a source joined to every node at 0, or `None` on a
/// negative cycle (the constraints cannot hold together).
fn solve(edges: &[(TVar, TVar, i128)]) -> Option<HashMap<TVar, i128>> {
    let mut dist: HashMap<TVar, i128> = HashMap::new();
    dist.insert(TVar::Zero, 0);
    for (x, y, _) in edges {
        dist.insert(*x, 0);
        dist.insert(*y, 0);
    }
    let nodes = dist.len();
    for round in 0..=nodes {
        let mut changed = false;
        for (x, y, c) in edges {
            // x - y <= c: dist[x] <= dist[y] + c
            let dy = dist.get(y).copied().unwrap_or(0);
            let bound = dy.saturating_add(*c);
            let dx = dist.entry(*x).or_insert(0);
            if bound < *dx {
                *dx = bound;
                changed = true;
            }
        }
        if !changed {
            return Some(dist);
        }
        if round == nodes {
            return None;
        }
    }
    None
}

/// The length of the shortest path from `from` to `to` (so `to - from` is at
/// most it), `None` when no path bounds it. The constraints hold together.
fn shortest(edges: &[(TVar, TVar, i128)], from: TVar, to: TVar) -> Option<i128> {
    let mut dist: HashMap<TVar, i128> = HashMap::new();
    dist.insert(from, 0);
    for _ in 0..=edges.len() {
        let mut changed = false;
        for (x, y, c) in edges {
            // x - y <= c: an edge y → x of length c.
            if let Some(dy) = dist.get(y).copied() {
                let d = dy.saturating_add(*c);
                if dist.get(x).is_none_or(|dx| d < *dx) {
                    dist.insert(*x, d);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    dist.get(&to).copied()
}

impl Abstraction {
    fn atom_fact(&self, k: usize) -> usize {
        self.n + k
    }

    /// The analysis index of a real variable in the abstract policy.
    pub fn var(&self, v: usize) -> usize {
        if v >= self.n {
            self.n + self.atoms.len()
        } else {
            v
        }
    }

    /// The abstract variables a question on real variables `vars` may depend on.
    pub fn vars(
        &self,
        vars: &std::collections::BTreeSet<usize>,
    ) -> std::collections::BTreeSet<usize> {
        let mut out = std::collections::BTreeSet::new();
        for v in vars {
            out.insert(self.var(*v));
            if let Some(list) = self.by_var.get(*v) {
                out.extend(list.iter().map(|k| self.atom_fact(*k)));
            }
        }
        out
    }

    /// The question on the abstract policy, or `None` if it still reads an
    /// abstracted variable as a value (then it is asked without atoms).
    pub fn question(&self, q: &Q) -> Option<Q> {
        Some(match q {
            Q::Fires(r) => Q::Fires(*r),
            Q::Eff(r) => Q::Eff(*r),
            Q::Window if self.abstracted[self.n] => match &self.window {
                Some(w) => Q::Expr(w.clone()),
                None => Q::And(Vec::new()),
            },
            Q::Window => Q::Window,
            Q::Expr(e) => Q::Expr(self.expr(e)?),
            Q::Not(a) => Q::not(self.question(a)?),
            Q::And(items) => Q::And(
                items
                    .iter()
                    .map(|i| self.question(i))
                    .collect::<Option<_>>()?,
            ),
        })
    }

    fn expr(&self, e: &CExpr) -> Option<CExpr> {
        let policy = &self.policy;
        let mut rw = Rewriter {
            policy,
            n: self.n,
            eligible: self.abstracted.clone(),
            atoms: Vec::new(),
            index: HashMap::new(),
            works: Vec::new(),
            work_index: HashMap::new(),
            let_terms: IdVec::from_elem(None, policy.lets.len()),
            frozen: Some((&self.index, &self.work_index)),
            missed: false,
            depth: 0,
        };
        let out = rw.rewrite(e);
        if rw.missed {
            return None;
        }
        let mut left = vec![false; self.n + 1];
        let mut seen = IdVec::from_elem(false, policy.lets.len());
        uses(self.n, &self.lets, &out, &mut left, &mut seen);
        if left.iter().zip(&self.abstracted).any(|(l, a)| *l && *a) {
            return None;
        }
        Some(out)
    }

    /// The atom a variable of the abstract policy stands for, if it is one.
    pub fn atom_of(&self, v: usize) -> Option<usize> {
        v.checked_sub(self.n).filter(|k| *k < self.atoms.len())
    }

    /// Whether a variable of the abstract policy is a fact read through atoms.
    pub fn is_abstracted(&self, v: usize) -> bool {
        v < self.n && self.abstracted.get(v).copied().unwrap_or(false)
    }

    /// Whether an atom reads a fact answered `null` in `p`: it can never have a
    /// value there, and is not a variable to branch on.
    pub fn blocked(&self, p: &Point, k: usize) -> bool {
        let Some(a) = self.atoms.get(k) else {
            return false;
        };
        [a.x, a.y].iter().any(|t| {
            let v = match t {
                TVar::Var(v) => *v,
                TVar::Work(j) => self.works.get(*j).map_or(usize::MAX, |w| w.s),
                TVar::Zero => return false,
            };
            matches!(p.slots.as_slice().get(v), Some(FactValue::Null))
        })
    }

    /// The constraints of the assigned atoms `assigned`, or `None` when an
    /// atom is assigned over a fact answered `null`.
    fn constraints(&self, p: &Point, assigned: &[usize]) -> Option<Vec<(TVar, TVar, i128)>> {
        let mut out = Vec::with_capacity(assigned.len());
        for k in assigned {
            let a = self.atoms.get(*k)?;
            let holds = match p.slots.as_slice().get(self.atom_fact(*k)) {
                Some(FactValue::Known(Value::Bool(b))) => *b,
                _ => continue,
            };
            for t in [a.x, a.y] {
                let v = match t {
                    TVar::Var(v) => v,
                    TVar::Work(j) => self.works.get(j).map_or(usize::MAX, |w| w.s),
                    TVar::Zero => continue,
                };
                if matches!(p.slots.as_slice().get(v), Some(FactValue::Null)) {
                    return None;
                }
            }
            out.push(constraint(a, holds));
        }
        Some(out)
    }

    /// Whether the assigned atoms can hold together.
    pub fn consistent(&self, p: &Point, assigned: &[usize]) -> bool {
        self.constraints(p, assigned)
            .is_some_and(|c| solve(&c).is_some())
    }

    /// A real case (and time) where every atom assigned in `p` has its value,
    /// or `None` if the calendar cannot reach a working-time end it needs.
    pub fn concretize(&self, real: &Policy, p: &Point, assigned: &[usize]) -> Option<Point> {
        let mut edges = self.constraints(p, assigned)?;
        let mut values = HashMap::new();
        for _ in 0..=self.works.len() {
            values = self.values(&edges)?;
            let mut pinned = false;
            for (j, w) in self.works.iter().enumerate() {
                let Some(target) = values.get(&TVar::Work(j)).copied() else {
                    continue;
                };
                let (start, end) = self.start_for(w, i64::try_from(target).ok()?)?;
                if i128::from(end) != target {
                    // The calendar cannot end at `target`: pin the end to the
                    // nearest moment it can, and solve again.
                    edges.push((TVar::Work(j), TVar::Zero, i128::from(end)));
                    edges.push((TVar::Zero, TVar::Work(j), -i128::from(end)));
                    pinned = true;
                    break;
                }
                values.insert(TVar::Var(w.s), i128::from(start));
            }
            if !pinned {
                break;
            }
        }
        // Every working-time end must have its start by now.
        for (j, w) in self.works.iter().enumerate() {
            if values.contains_key(&TVar::Work(j)) && !values.contains_key(&TVar::Var(w.s)) {
                return None;
            }
        }
        let mut out = Point::empty(real);
        for v in 0..self.n {
            let f = FactId::new(v);
            let slot = p
                .slots
                .as_slice()
                .get(v)
                .cloned()
                .unwrap_or(FactValue::Absent);
            out.slots[f] = if !self.abstracted[v] {
                slot
            } else {
                match (slot, values.get(&TVar::Var(v))) {
                    (FactValue::Null, _) => FactValue::Null,
                    (_, Some(x)) => FactValue::Known(value_of(&real.facts[f].ty, *x)?),
                    (FactValue::Known(_), None) => FactValue::Known(self.base(&real.facts[f].ty)),
                    (FactValue::Absent, None) => FactValue::Absent,
                }
            };
        }
        out.at = if self.abstracted[self.n] {
            match values.get(&TVar::Var(self.n)) {
                Some(x) => Some(i64::try_from(*x).ok()?),
                None => None,
            }
        } else {
            p.at
        };
        Some(out)
    }

    fn base(&self, ty: &Type) -> Value {
        match ty {
            Type::Date => Value::Date(i32::try_from(self.base_day).unwrap_or(20_089)),
            Type::DateTime => Value::DateTime(self.base_instant),
            Type::Duration => Value::Duration(0),
            _ => Value::Int(0),
        }
    }

    /// Values for every variable of the constraints, one at a time, each the
    /// nearest to a readable value (the base date and time, zero) that the
    /// constraints and the values already chosen leave possible: any value
    /// in that range extends to a solution, so no choice undoes another.
    fn values(&self, edges: &[(TVar, TVar, i128)]) -> Option<HashMap<TVar, i128>> {
        solve(edges)?;
        let mut edges = edges.to_vec();
        let mut nodes: Vec<TVar> = edges
            .iter()
            .flat_map(|(x, y, _)| [*x, *y])
            .filter(|t| *t != TVar::Zero)
            .collect();
        // The evaluation time first: the facts are then placed relative to it.
        nodes.sort_by_key(|t| (*t != TVar::Var(self.n), *t));
        nodes.dedup();
        let mut out = HashMap::new();
        for v in nodes {
            let hi = shortest(&edges, TVar::Zero, v);
            let lo = shortest(&edges, v, TVar::Zero).map(|d| -d);
            let mut x = self.preferred(v);
            if let Some(h) = hi {
                x = x.min(h);
            }
            if let Some(l) = lo {
                x = x.max(l);
            }
            edges.push((v, TVar::Zero, x));
            edges.push((TVar::Zero, v, -x));
            out.insert(v, x);
        }
        Some(out)
    }

    /// The value a variable gets when nothing asks for another.
    fn preferred(&self, v: TVar) -> i128 {
        match self.unit_of_tvar(v) {
            Some(Unit::Secs) if self.is_time(v) => i128::from(self.base_instant),
            Some(Unit::Days) => i128::from(self.base_day),
            _ => 0,
        }
    }

    fn unit_of_tvar(&self, t: TVar) -> Option<Unit> {
        match t {
            TVar::Var(v) if v == self.n => Some(Unit::Secs),
            TVar::Var(v) => unit_of(&self.policy.facts.as_slice().get(v)?.ty),
            TVar::Work(_) => Some(Unit::Secs),
            TVar::Zero => None,
        }
    }

    fn is_time(&self, t: TVar) -> bool {
        match t {
            TVar::Var(v) => {
                v == self.n
                    || matches!(
                        self.policy.facts.as_slice().get(v).map(|f| &f.ty),
                        Some(Type::DateTime)
                    )
            }
            TVar::Work(_) => true,
            TVar::Zero => false,
        }
    }

    /// A start whose working-time end is `target`, or the start of the
    /// nearest end after it: `(start, end)`.
    fn start_for(&self, w: &Work, target: i64) -> Option<(i64, i64)> {
        let cal = &self.policy.calendar;
        let end = |s: i64| crate::eval::calendar::add(cal, s, w.amount, w.working);
        // Ends only move forward with the start: the earliest start whose end
        // is at or after the target.
        let (mut lo, mut hi) = (target.checked_sub(MAX_WORKING_BACK)?, target);
        if end(hi)? < target {
            return None;
        }
        if end(lo).is_some_and(|e| e >= target) {
            return None;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match end(mid) {
                Some(e) if e >= target => hi = mid,
                _ => lo = mid,
            }
        }
        Some((hi, end(hi)?))
    }
}

/// The value of a type at a coordinate of its unit.
fn value_of(ty: &Type, x: i128) -> Option<Value> {
    Some(match ty {
        Type::Int => Value::Int(i64::try_from(x).ok()?),
        Type::Date => Value::Date(i32::try_from(x).ok()?),
        Type::DateTime => Value::DateTime(i64::try_from(x).ok()?),
        Type::Duration => Value::Duration(i64::try_from(x).ok()?),
        _ => return None,
    })
}
