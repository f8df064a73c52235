//! A complete search over candidate values, pruned by three-valued evaluation.
//!
//! A question is a formula over "rule `r` fires", "rule `r` is effective" (fires
//! and nothing overriding it fires) and boolean expressions. The search assigns
//! candidate values to facts one at a time, starting from the empty case, and
//! evaluates the formula on the partial case with the evaluator's own Kleene
//! logic: a known answer on a partial case holds for every completion of it,
//! so `false` prunes the whole subtree and `true` is a witness — the partial
//! case itself, with the unassigned facts simply not asked yet. The next fact
//! to assign is one the undecided part of the formula waits on.
//!
//! Every combination of the candidates of the facts the search branches on is
//! covered, so when those candidate lists are exact (see [`super::domain`]) and
//! no witness turns up, none exists.

use super::atoms::Abstraction;
use super::domain::Domains;
use crate::check::ids::{FactId, IdVec, RuleId};
use crate::check::ir::*;
use crate::eval::{Env, FactValue};
use crate::value::Value;
use std::collections::{BTreeSet, HashMap};

/// Three-valued truth; `U` names a variable it waits on, if one is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    T,
    F,
    U(Option<usize>),
}

/// A question about the policy.
#[derive(Debug, Clone)]
pub enum Q {
    /// The rule's condition and validity dates hold, and the policy is valid.
    Fires(RuleId),
    /// It fires and no rule that overrides it fires.
    Eff(RuleId),
    /// The policy is valid at the evaluation time.
    Window,
    Expr(CExpr),
    Not(Box<Q>),
    And(Vec<Q>),
}

impl Q {
    pub fn not(q: Q) -> Q {
        Q::Not(Box::new(q))
    }
}

/// A case and an evaluation time.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub slots: IdVec<FactId, FactValue>,
    pub at: Option<i64>,
}

impl Point {
    pub fn empty(policy: &Policy) -> Point {
        Point {
            slots: IdVec::from_elem(FactValue::Absent, policy.facts.len()),
            at: None,
        }
    }

    /// Variables are the facts by position, then the evaluation time.
    fn unassigned(&self, v: usize) -> bool {
        match self.slots.as_slice().get(v) {
            Some(FactValue::Absent) => true,
            Some(_) => false,
            None => self.at.is_none(),
        }
    }

    fn assign(&mut self, v: usize, value: Option<&FactValue>) {
        match self.slots.as_mut_slice().get_mut(v) {
            Some(s) => *s = value.cloned().unwrap_or(FactValue::Absent),
            None => {
                self.at = match value {
                    Some(FactValue::Known(Value::DateTime(t))) => Some(*t),
                    _ => None,
                }
            }
        }
    }
}

/// A point stored by the facts it sets only.
#[derive(Debug, Clone)]
pub struct Sparse {
    slots: Vec<(FactId, FactValue)>,
    at: Option<i64>,
}

impl Sparse {
    pub fn of(p: &Point) -> Sparse {
        Sparse {
            slots: p
                .slots
                .iter_enumerated()
                .filter(|(_, v)| !matches!(v, FactValue::Absent))
                .map(|(i, v)| (i, v.clone()))
                .collect(),
            at: p.at,
        }
    }

    pub fn point(&self, policy: &Policy) -> Point {
        let mut p = Point::empty(policy);
        for (i, v) in &self.slots {
            p.slots[*i] = v.clone();
        }
        p.at = self.at;
        p
    }
}

/// The formula's value on one (partial) case.
pub struct Node<'p> {
    policy: &'p Policy,
    env: Env<'p>,
    point: &'p Point,
    /// Whether each rule asked about fires, by rule. A map, not one slot per
    /// rule: a node is built for every step of every search, and most
    /// questions are about a few rules of a large policy.
    fires: HashMap<RuleId, Tri>,
    /// Every fact the question reads has its value: a condition still unknown
    /// (over a fact answered `null`) stays so, and its rule does not apply.
    closed: bool,
}

impl<'p> Node<'p> {
    pub fn new(policy: &'p Policy, point: &'p Point) -> Node<'p> {
        Node::with_lets(policy, point, None)
    }

    /// A node that evaluates only the derived facts marked in `needed` (all when
    /// `None`): a question reads a few of a large policy's derived facts, and
    /// a node is built at every step of every search.
    pub fn with_lets(policy: &'p Policy, point: &'p Point, needed: Option<&[bool]>) -> Node<'p> {
        let mut env = Env {
            policy,
            case: &point.slots,
            at: point.at,
            lets: IdVec::with_capacity(policy.lets.len()),
            warnings: Vec::new(),
        };
        for (i, l) in policy.lets.iter().enumerate() {
            let v = if needed.is_none_or(|n| n.get(i).copied().unwrap_or(true)) {
                env.eval(&l.expr)
            } else {
                crate::eval::V::Unknown(Default::default())
            };
            env.lets.push(v);
        }
        Node {
            policy,
            env,
            point,
            fires: HashMap::new(),
            closed: false,
        }
    }

    fn at_var(&self) -> usize {
        self.policy.facts.len()
    }

    fn window(&self, from: Option<i32>, until: Option<i32>) -> Tri {
        if from.is_none() && until.is_none() {
            return Tri::T;
        }
        match self.point.at {
            None => Tri::U(Some(self.at_var())),
            Some(t) => {
                let local = self.policy.calendar.zone.local_seconds(t);
                let d = local.div_euclid(crate::time::SECONDS_PER_DAY) as i32;
                if from.is_none_or(|f| d >= f) && until.is_none_or(|u| d <= u) {
                    Tri::T
                } else {
                    Tri::F
                }
            }
        }
    }

    pub fn expr(&mut self, e: &CExpr) -> Tri {
        let v = self.env.eval(e);
        if v.is_true() {
            Tri::T
        } else if v.is_false() {
            Tri::F
        } else {
            let point = self.point;
            let hint = v
                .deps()
                .and_then(|d| d.iter().find(|i| point.unassigned(*i)));
            Tri::U(hint)
        }
    }

    pub fn fires(&mut self, r: RuleId) -> Tri {
        if let Some(t) = self.fires.get(&r) {
            return *t;
        }
        let policy = self.policy;
        let rule = &policy.rules[r];
        let mut t = self.window(policy.meta.valid_from, policy.meta.valid_until);
        if t != Tri::F {
            t = and(t, self.window(rule.valid_from, rule.valid_until));
        }
        if t != Tri::F {
            if let Some(c) = &rule.cond {
                t = and(t, self.expr(c));
            }
        }
        if self.closed && matches!(t, Tri::U(_)) {
            t = Tri::F;
        }
        self.fires.insert(r, t);
        t
    }

    pub fn effective(&mut self, r: RuleId) -> Tri {
        let mut t = self.fires(r);
        if t == Tri::F {
            return t;
        }
        for o in &self.policy.rules[r].overridden_by {
            let f = self.fires(*o);
            t = and(t, not(f));
            if t == Tri::F {
                break;
            }
        }
        t
    }

    pub fn eval(&mut self, q: &Q) -> Tri {
        match q {
            Q::Fires(r) => self.fires(*r),
            Q::Eff(r) => self.effective(*r),
            Q::Window => {
                let m = &self.policy.meta;
                self.window(m.valid_from, m.valid_until)
            }
            Q::Expr(e) => self.expr(e),
            Q::Not(a) => not(self.eval(a)),
            Q::And(items) => {
                let mut t = Tri::T;
                for i in items {
                    t = and(t, self.eval(i));
                    if t == Tri::F {
                        break;
                    }
                }
                t
            }
        }
    }
}

pub fn and(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Tri::F, _) | (_, Tri::F) => Tri::F,
        (Tri::T, Tri::T) => Tri::T,
        (Tri::U(h), Tri::T) | (Tri::T, Tri::U(h)) => Tri::U(h),
        (Tri::U(h), Tri::U(g)) => Tri::U(h.or(g)),
    }
}

pub fn not(a: Tri) -> Tri {
    match a {
        Tri::T => Tri::F,
        Tri::F => Tri::T,
        u => u,
    }
}

/// What a search found.
#[derive(Debug, Clone)]
pub enum Found {
    Witness(Point),
    /// No witness among the candidates; `exact` when that proves there is none.
    Nothing {
        exact: bool,
    },
    /// Stopped at the work limit: no conclusion.
    GaveUp,
}

pub struct Search<'a> {
    pub policy: &'a Policy,
    pub dom: &'a Domains,
    pub max_nodes: usize,
    /// Nodes visited by every search so far.
    pub total_nodes: usize,
    /// The wall-clock moment past which every search gives up.
    pub deadline: Option<std::time::Instant>,
    /// Set once a search gave up at the deadline.
    pub timed_out: bool,
    nodes: usize,
    branched: BTreeSet<usize>,
    /// The same, as variables of the policy as written (atoms left out).
    branched_real: BTreeSet<usize>,
    /// A case found whose atoms could not be turned into a real case.
    approx: bool,
    /// The atoms assigned on the current path.
    assigned: Vec<usize>,
    /// The derived facts the current question reads, by position.
    needed: Vec<bool>,
    /// The all-unassigned point every search starts from; `dfs` leaves it
    /// unassigned again on every return, so it is made once, not once per question
    /// (a question on a policy with many facts would cost that many slots).
    scratch: Point,
    /// The same for the policy read through atoms.
    abs_scratch: Option<Point>,
}

/// What a search runs on: the policy as written, or read through atoms.
struct Mode<'m> {
    policy: &'m Policy,
    cands: &'m [Vec<FactValue>],
    exact: &'m [bool],
    abs: Option<&'m Abstraction>,
}

impl<'a> Search<'a> {
    pub fn new(policy: &'a Policy, dom: &'a Domains, max_nodes: usize) -> Search<'a> {
        Search {
            policy,
            dom,
            max_nodes,
            total_nodes: 0,
            deadline: None,
            timed_out: false,
            nodes: 0,
            branched: BTreeSet::new(),
            branched_real: BTreeSet::new(),
            approx: false,
            assigned: Vec::new(),
            needed: Vec::new(),
            scratch: Point::empty(policy),
            abs_scratch: dom.abs.as_ref().map(|a| Point::empty(&a.policy)),
        }
    }

    /// The variables (real indices) a finished search branched on whose
    /// candidate values are not exact.
    pub fn inexact_branched(&self) -> Vec<usize> {
        self.branched_real
            .iter()
            .copied()
            .filter(|v| !self.dom.exact.get(*v).copied().unwrap_or(false))
            .collect()
    }

    /// The same witness, easier to read: each date-time moved to 10:00 (or
    /// another round hour) of its local date, where the answer stays true.
    pub fn prettify(&mut self, q: &Q, mut p: Point) -> Point {
        const DAY: i64 = crate::time::SECONDS_PER_DAY;
        let zone = &self.policy.calendar.zone;
        for v in 0..=self.policy.facts.len() {
            let cur = match super::domain::var_fact(self.policy, v) {
                None => p.at,
                Some(f) => match &p.slots[f] {
                    FactValue::Known(Value::DateTime(t)) => Some(*t),
                    _ => None,
                },
            };
            let Some(t) = cur else { continue };
            let day = zone.local_seconds(t).div_euclid(DAY);
            for hour in [10, 9, 12, 0] {
                let nice =
                    zone.instant_of_local(day.saturating_mul(DAY).saturating_add(hour * 3600));
                if nice == t {
                    break;
                }
                let mut trial = p.clone();
                trial.assign(v, Some(&FactValue::Known(Value::DateTime(nice))));
                if Node::new(self.policy, &trial).eval(q) == Tri::T {
                    p = trial;
                    break;
                }
            }
        }
        p
    }

    /// Looks for a case where `q` is true; `vars` are the variables it may depend on.
    pub fn find(&mut self, q: &Q, vars: &BTreeSet<usize>) -> Found {
        self.nodes = 0;
        self.branched.clear();
        self.branched_real.clear();
        self.approx = false;
        self.assigned.clear();
        let dom: &'a Domains = self.dom;
        let abstract_q = dom
            .abs
            .as_deref()
            .and_then(|abs| abs.question(q).map(|aq| (abs, aq)));
        let (r, mode_exact) = match abstract_q {
            Some((abs, aq)) => {
                let mode = Mode {
                    policy: &abs.policy,
                    cands: &abs.cands,
                    exact: &abs.exact,
                    abs: Some(abs),
                };
                let avars = abs.vars(vars);
                self.needed = needed_lets(&abs.policy, &aq);
                let mut point = self
                    .abs_scratch
                    .take()
                    .unwrap_or_else(|| Point::empty(&abs.policy));
                let r = self.dfs(&mode, &aq, &avars, &mut point);
                self.abs_scratch = Some(point);
                for v in &self.branched {
                    if abs.atom_of(*v).is_none() {
                        let real = if *v >= abs.policy.facts.len() {
                            self.policy.facts.len()
                        } else {
                            *v
                        };
                        self.branched_real.insert(real);
                    }
                }
                let exact = self
                    .branched
                    .iter()
                    .all(|v| mode.exact.get(*v).copied().unwrap_or(false));
                (r, exact)
            }
            None => {
                let mode = Mode {
                    policy: self.policy,
                    cands: &dom.cands,
                    exact: &dom.exact,
                    abs: None,
                };
                let mut point = std::mem::replace(
                    &mut self.scratch,
                    Point {
                        slots: IdVec::new(),
                        at: None,
                    },
                );
                self.needed = needed_lets(self.policy, q);
                let r = self.dfs(&mode, q, vars, &mut point);
                self.scratch = point;
                self.branched_real = self.branched.clone();
                let exact = self
                    .branched
                    .iter()
                    .all(|v| mode.exact.get(*v).copied().unwrap_or(false));
                (r, exact)
            }
        };
        self.total_nodes += self.nodes;
        match r {
            Step::Witness(p) => Found::Witness(p),
            Step::GaveUp => Found::GaveUp,
            Step::Nothing => Found::Nothing {
                exact: mode_exact && !self.approx,
            },
        }
    }

    fn dfs(&mut self, mode: &Mode<'a>, q: &Q, vars: &BTreeSet<usize>, point: &mut Point) -> Step {
        if self.nodes >= self.max_nodes {
            return Step::GaveUp;
        }
        if self.nodes % 1024 == 1023 {
            if let Some(d) = self.deadline {
                if std::time::Instant::now() >= d {
                    self.timed_out = true;
                    return Step::GaveUp;
                }
            }
        }
        self.nodes += 1;
        let t = Node::with_lets(mode.policy, point, Some(&self.needed)).eval(q);
        let hint = match t {
            Tri::T => return self.witness(mode, point),
            Tri::F => return Step::Nothing,
            Tri::U(h) => h,
        };
        let has = |v: usize| {
            mode.cands.get(v).is_some_and(|c| !c.is_empty())
                && !mode
                    .abs
                    .is_some_and(|a| a.atom_of(v).is_some_and(|k| a.blocked(point, k)))
        };
        let var = hint
            .filter(|v| point.unassigned(*v) && has(*v))
            .or_else(|| {
                vars.iter()
                    .copied()
                    .find(|v| point.unassigned(*v) && has(*v))
            });
        let Some(var) = var else {
            // Nothing left to ask: a rule still unknown reads a fact answered
            // `null`, and never applies on this case.
            let mut node = Node::with_lets(mode.policy, point, Some(&self.needed));
            node.closed = true;
            return match node.eval(q) {
                Tri::T => self.witness(mode, point),
                _ => Step::Nothing,
            };
        };
        self.branched.insert(var);
        let atom = mode.abs.and_then(|a| a.atom_of(var));
        let checked = mode.abs.filter(|a| atom.is_some() || a.is_abstracted(var));
        if let Some(k) = atom {
            self.assigned.push(k);
        }
        let count = mode.cands.get(var).map_or(0, Vec::len);
        let mut out = Step::Nothing;
        for i in 0..count {
            let c = mode.cands.get(var).and_then(|c| c.get(i)).cloned();
            point.assign(var, c.as_ref());
            // Atoms that cannot hold together cut the branch.
            if checked.is_some_and(|a| !a.consistent(point, &self.assigned)) {
                continue;
            }
            match self.dfs(mode, q, vars, point) {
                Step::Nothing => {}
                other => {
                    out = other;
                    break;
                }
            }
        }
        if atom.is_some() {
            self.assigned.pop();
        }
        point.assign(var, None);
        out
    }
}

impl Search<'_> {
    /// The case a point that answers the question stands for.
    fn witness(&mut self, mode: &Mode<'_>, point: &Point) -> Step {
        match mode.abs {
            None => Step::Witness(point.clone()),
            Some(abs) => match abs.concretize(self.policy, point, &self.assigned) {
                Some(real) => Step::Witness(real),
                None => {
                    self.approx = true;
                    Step::Nothing
                }
            },
        }
    }
}

/// The derived facts a question reads, directly or through other derived facts.
fn needed_lets(policy: &Policy, q: &Q) -> Vec<bool> {
    let mut needed = vec![false; policy.lets.len()];
    let mut stack: Vec<crate::check::ids::LetId> = Vec::new();
    let mark = |e: &CExpr, stack: &mut Vec<crate::check::ids::LetId>| {
        e.visit(&mut |x| {
            if let CExpr::Slot(Slot::Let(i)) = x {
                stack.push(*i);
            }
        })
    };
    let mut rules: Vec<RuleId> = Vec::new();
    let mut todo = vec![q];
    while let Some(q) = todo.pop() {
        match q {
            Q::Fires(r) => rules.push(*r),
            Q::Eff(r) => {
                rules.push(*r);
                rules.extend(policy.rules[*r].overridden_by.iter().copied());
            }
            Q::Window => {}
            Q::Expr(e) => mark(e, &mut stack),
            Q::Not(a) => todo.push(a),
            Q::And(items) => todo.extend(items.iter()),
        }
    }
    for r in rules {
        if let Some(c) = &policy.rules[r].cond {
            mark(c, &mut stack);
        }
    }
    while let Some(i) = stack.pop() {
        if let Some(n) = needed.get_mut(i.index()) {
            if !*n {
                *n = true;
                mark(&policy.lets[i].expr, &mut stack);
            }
        }
    }
    needed
}

enum Step {
    Witness(Point),
    Nothing,
    GaveUp,
}
