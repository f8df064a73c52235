//! The interpreter: one walk over a checked expression, three-valued.
//!
//! Each node is evaluated once. When everything it read is known it gives a
//! value, borrowed where the value already lives (a constant of the policy, a
//! fact of the case, a derived fact) and made only when computed; only when a
//! fact is missing does it build the set of facts the result waits on
//! ([`Deps`]). So the known-value branch is the fast path, and a partial case
//! goes through the same code, as Cedar's interpreter is its own partial
//! evaluator with residuals ruled out.
//!
//! Conditions (`and`, `or`, `not`, comparisons, `in`, `is answered`) give a
//! [`Truth`], one byte, and leave the facts an unknown one waits on in
//! [`Interp::waits`]; every other node gives its value ([`R`]). The built-in
//! functions run from their rows in [`crate::builtins::TABLE`].

use super::value3::{Deps, V};
use super::{Env, FactValue};
use crate::builtins::{self, Failure};
use crate::check::ir::{Builtin, CExpr, RangeKind, Slot, Working};
use crate::syntax::ast::{ArithOp, CmpOp};
use crate::time::SECONDS_PER_DAY;
use crate::value::Value;
use rust_decimal::Decimal;
use std::sync::Arc;

/// The truth of a condition on a partial case. When it is unknown, the facts
/// it waits on are in [`Interp::waits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    False,
    True,
    Unknown,
}

impl Truth {
    fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// The value of a node while it travels up to its parent.
enum R<'a> {
    /// Known, and living in the policy, the case or the derived facts.
    Ref(&'a Value),
    /// Known, computed by this node.
    Own(Value),
    /// Waits on these facts (and the evaluation time); empty when it cannot be
    /// computed at all.
    Unknown(Deps),
}

impl<'a> R<'a> {
    fn bool(b: bool) -> R<'a> {
        R::Own(Value::Bool(b))
    }

    fn known(&self) -> Option<&Value> {
        match self {
            R::Ref(v) => Some(v),
            R::Own(v) => Some(v),
            R::Unknown(_) => None,
        }
    }

    /// Whether dropping it frees nothing: a borrowed value, a computed value
    /// without a heap part, a dependency set that did not spill.
    fn holds_nothing(&self) -> bool {
        match self {
            R::Ref(_) => true,
            R::Own(v) => !matches!(v, Value::Text(_) | Value::List(_)),
            R::Unknown(d) => !d.spilled(),
        }
    }

    fn into_v(self) -> V {
        match self {
            R::Ref(v) => V::Known(v.clone()),
            R::Own(v) => V::Known(v),
            R::Unknown(d) => V::Unknown(d),
        }
    }
}

/// Lets a node's value go. Most values hold nothing to free; those are let go
/// without a call to the drop glue, which would otherwise run on every node.
#[inline(always)]
fn release(r: R) {
    if r.holds_nothing() {
        std::mem::forget(r);
    } else {
        drop(r);
    }
}

/// Adds the facts an unknown value waits on to `into`.
fn wait_on(into: &mut Option<Deps>, r: R) {
    match r {
        R::Unknown(d) => match into {
            Some(all) => all.union(&d),
            None => *into = Some(d),
        },
        known => release(known),
    }
}

/// What two operands wait on, when one of them is unknown.
fn unknown2<'a>(x: R<'a>, y: R<'a>) -> Deps {
    match (x, y) {
        (R::Unknown(mut x), R::Unknown(y)) => {
            x.union(&y);
            x
        }
        (R::Unknown(x), known) | (known, R::Unknown(x)) => {
            release(known);
            x
        }
        // Not reached: both are known.
        (x, y) => {
            release(x);
            release(y);
            Deps::default()
        }
    }
}

/// Whether a node is a condition (its value a [`Truth`]).
fn is_condition(e: &CExpr) -> bool {
    matches!(
        e,
        CExpr::Not(_)
            | CExpr::And(..)
            | CExpr::Or(..)
            | CExpr::Cmp(..)
            | CExpr::In { .. }
            | CExpr::InCollection { .. }
            | CExpr::InRange { .. }
            | CExpr::IsAnswered(..)
    )
}

impl Env<'_> {
    /// The value of an expression on this case, with the derived facts
    /// evaluated so far. Runtime errors on the way become warnings (W0102).
    #[inline]
    pub fn eval(&mut self, e: &CExpr) -> V {
        let mut run = Interp::new(self);
        let v = run.eval(e);
        let errors = run.errors;
        self.report(errors);
        v
    }

    /// Reports the runtime errors an evaluation met, as warnings (W0102).
    #[inline]
    pub(crate) fn report(&mut self, errors: Vec<String>) {
        if !errors.is_empty() {
            for message in errors {
                self.runtime_error(message);
            }
        }
    }
}

/// Evaluations on one case, with the derived facts evaluated so far.
pub(crate) struct Interp<'a, 'p> {
    env: &'a Env<'p>,
    /// Runtime errors met, in order, to become warnings ([`Env::report`]).
    errors: Vec<String>,
    /// What the last condition found [`Truth::Unknown`] waits on.
    waits: Deps,
}

impl<'a, 'p> Interp<'a, 'p> {
    pub(crate) fn new(env: &'a Env<'p>) -> Interp<'a, 'p> {
        Interp {
            env,
            errors: Vec::new(),
            waits: Deps::default(),
        }
    }

    /// The value of an expression.
    #[inline(always)]
    pub(crate) fn eval(&mut self, e: &'a CExpr) -> V {
        if is_condition(e) {
            match self.truth(e) {
                Truth::False => V::FALSE,
                Truth::True => V::TRUE,
                Truth::Unknown => V::Unknown(std::mem::take(&mut self.waits)),
            }
        } else {
            self.operand(e).into_v()
        }
    }

    /// The runtime errors met so far, for [`Env::report`].
    pub(crate) fn into_errors(self) -> Vec<String> {
        self.errors
    }
}

impl<'a> Interp<'a, '_> {
    /// The truth of a condition, a fact or derived fact read here without a
    /// call (most operands of `and` and `or` are).
    #[inline(always)]
    fn test(&mut self, e: &'a CExpr) -> Truth {
        match e {
            CExpr::Slot(s) => {
                let r = self.slot(*s);
                self.truth_of(r)
            }
            _ => self.truth(e),
        }
    }

    /// The truth of a condition. Recursion goes one call per level of the
    /// expression, as in [`Interp::node`]; the right side of `and` and `or`
    /// is decided in the same call when it decides the whole.
    fn truth(&mut self, mut e: &'a CExpr) -> Truth {
        loop {
            let (a, b, wins) = match e {
                CExpr::And(a, b) => (a, b, Truth::False),
                CExpr::Or(a, b) => (a, b, Truth::True),
                _ => return self.truth_of_node(e),
            };
            // Kleene's `and` (`wins` false) and `or` (`wins` true): the winning
            // value decides alone (the right side is then not evaluated),
            // otherwise an unknown side keeps the result unknown, waiting on the
            // facts of both unknown sides, otherwise the right side decides.
            match self.test(a) {
                Truth::Unknown => {
                    let first = std::mem::take(&mut self.waits);
                    return match self.test(b) {
                        y if y == wins => wins,
                        Truth::Unknown => {
                            self.waits.union(&first);
                            Truth::Unknown
                        }
                        _ => self.unknown(first),
                    };
                }
                x if x == wins => return wins,
                _ => match &**b {
                    CExpr::Slot(s) => {
                        let r = self.slot(*s);
                        return self.truth_of(r);
                    }
                    right => e = right,
                },
            }
        }
    }

    /// The truth of a condition other than `and` and `or`.
    #[inline(always)]
    fn truth_of_node(&mut self, e: &'a CExpr) -> Truth {
        match e {
            CExpr::Not(a) => match self.test(a) {
                Truth::False => Truth::True,
                Truth::True => Truth::False,
                Truth::Unknown => Truth::Unknown,
            },
            CExpr::Cmp(op, a, b) => {
                let x = self.operand(a);
                let y = self.operand(b);
                let hit = match (x.known(), y.known()) {
                    (Some(p), Some(q)) => compare(*op, p, q),
                    _ => return self.unknown(unknown2(x, y)),
                };
                release(x);
                release(y);
                Truth::of(hit)
            }
            CExpr::In { .. }
            | CExpr::InCollection { .. }
            | CExpr::InRange { .. }
            | CExpr::IsAnswered(..) => self.membership(e),
            // A value read as a condition: a fact, a derived fact, a call.
            _ => {
                let r = self.node(e);
                self.truth_of(r)
            }
        }
    }

    /// The truth of `in` and `is answered`, kept out of [`Interp::truth`] so
    /// that its frame, paid at every level of a deep expression, stays small.
    #[inline(never)]
    fn membership(&mut self, e: &'a CExpr) -> Truth {
        let env = self.env;
        match e {
            CExpr::InCollection {
                value,
                collection,
                negated,
            } => {
                let x = self.operand(value);
                let c = self.operand(collection);
                let hit = match (x.known(), c.known()) {
                    (Some(v), Some(Value::List(items))) => items.iter().any(|i| equal(v, i)),
                    (Some(_), Some(_)) => false,
                    _ => return self.unknown(unknown2(x, c)),
                };
                release(x);
                release(c);
                Truth::of(hit != *negated)
            }
            CExpr::In {
                value,
                items,
                negated,
            } => {
                // An unknown value leaves the items unevaluated.
                let x = self.operand(value);
                let Some(v) = x.known() else {
                    return self.truth_of(x);
                };
                let mut unknown = None;
                let mut hit = false;
                for it in items {
                    let y = self.operand(it);
                    hit = y.known().is_some_and(|y| equal(v, y));
                    wait_on(&mut unknown, y);
                    if hit {
                        break;
                    }
                }
                release(x);
                match unknown {
                    _ if hit => Truth::of(!negated),
                    Some(d) => self.unknown(d),
                    None => Truth::of(*negated),
                }
            }
            CExpr::InRange {
                value,
                lo,
                hi,
                kind,
                hi_slack,
                negated,
            } => {
                let x = self.operand(value);
                let l = self.operand(lo);
                let h = self.operand(hi);
                if let (Some(v), Some(lv), Some(hv)) = (x.known(), l.known(), h.known()) {
                    let inside = in_range(v, lv, hv, *kind, *hi_slack);
                    for r in [x, l, h] {
                        release(r);
                    }
                    return Truth::of(inside != *negated);
                }
                let mut unknown = None;
                for r in [x, l, h] {
                    wait_on(&mut unknown, r);
                }
                self.unknown(unknown.unwrap_or_default())
            }
            CExpr::IsAnswered(f, answered) => match env.case[*f] {
                FactValue::Absent => self.unknown(Deps::fact(*f)),
                FactValue::Null => Truth::of(!answered),
                FactValue::Known(_) => Truth::of(*answered),
            },
            _ => self.truth(e),
        }
    }

    /// Unknown, waiting on `d`.
    fn unknown(&mut self, d: Deps) -> Truth {
        self.waits = d;
        Truth::Unknown
    }

    /// A value read as a condition. A checked policy only puts yes/no values
    /// there; anything else cannot be decided.
    #[inline(always)]
    fn truth_of(&mut self, r: R<'a>) -> Truth {
        match r {
            R::Unknown(d) => self.unknown(d),
            known => {
                let t = match known.known() {
                    Some(Value::Bool(b)) => Truth::of(*b),
                    _ => self.unknown(Deps::default()),
                };
                release(known);
                t
            }
        }
    }

    /// A node's value, a leaf (constant, fact, derived fact) read here without
    /// a call: most nodes are leaves.
    #[inline(always)]
    fn operand(&mut self, e: &'a CExpr) -> R<'a> {
        match e {
            CExpr::Const(v) => R::Ref(v),
            CExpr::Slot(s) => self.slot(*s),
            _ => self.node(e),
        }
    }

    /// A fact of the case or a derived fact evaluated earlier.
    #[inline(always)]
    fn slot(&self, s: Slot) -> R<'a> {
        let env = self.env;
        match s {
            Slot::Fact(i) => match &env.case[i] {
                FactValue::Known(v) => R::Ref(v),
                _ => R::Unknown(Deps::fact(i)),
            },
            // The checker orders derived facts so that one only reads earlier ones.
            Slot::Let(i) => match &env.lets[i] {
                V::Known(v) => R::Ref(v),
                V::Unknown(d) => R::Unknown(d.clone()),
            },
        }
    }

    /// The value of a node. Recursion goes one call per level of the
    /// expression (two through a call of a built-in function).
    fn node(&mut self, e: &'a CExpr) -> R<'a> {
        let env = self.env;
        match e {
            CExpr::Const(v) => R::Ref(v),
            CExpr::Slot(s) => self.slot(*s),
            CExpr::Not(_)
            | CExpr::And(..)
            | CExpr::Or(..)
            | CExpr::Cmp(..)
            | CExpr::In { .. }
            | CExpr::InCollection { .. }
            | CExpr::InRange { .. }
            | CExpr::IsAnswered(..) => match self.truth(e) {
                Truth::False => R::bool(false),
                Truth::True => R::bool(true),
                Truth::Unknown => R::Unknown(std::mem::take(&mut self.waits)),
            },
            CExpr::Now => match env.at {
                Some(t) => R::Own(Value::DateTime(t)),
                None => R::Unknown(Deps::one(env.time_bit())),
            },
            CExpr::Today => match env.at {
                Some(t) => R::Own(Value::Date(env.local_date(t))),
                None => R::Unknown(Deps::one(env.time_bit())),
            },
            CExpr::Arith(op, a, b) => {
                let x = self.operand(a);
                let y = self.operand(b);
                let (Some(p), Some(q)) = (x.known(), y.known()) else {
                    return R::Unknown(unknown2(x, y));
                };
                let out = match arith(*op, p, q) {
                    Some(v) => R::Own(v),
                    None => self.cannot(*op, p, q),
                };
                release(x);
                release(y);
                out
            }
            CExpr::Neg(a) => {
                let x = self.operand(a);
                let out = match x.known() {
                    Some(Value::Int(i)) => R::Own(Value::Int(i.saturating_neg())),
                    Some(Value::Decimal(d)) => R::Own(Value::Decimal(-d)),
                    Some(Value::Duration(d)) => R::Own(Value::Duration(d.saturating_neg())),
                    Some(_) => R::Unknown(Deps::default()),
                    None => return x,
                };
                release(x);
                out
            }
            CExpr::AddWorking {
                at,
                amount,
                working,
            } => {
                let x = self.operand(at);
                let out = match x.known() {
                    Some(Value::DateTime(t)) => {
                        match super::calendar::add(&env.policy.calendar, *t, *amount, *working) {
                            Some(due) => R::Own(Value::DateTime(due)),
                            None => self.beyond_calendar(*t, *amount, *working),
                        }
                    }
                    Some(_) => R::Unknown(Deps::default()),
                    None => return x,
                };
                release(x);
                out
            }
            CExpr::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                let mut unknown = None;
                for it in items {
                    match self.operand(it) {
                        R::Ref(v) => vals.push(v.clone()),
                        R::Own(v) => vals.push(v),
                        u => wait_on(&mut unknown, u),
                    }
                }
                match unknown {
                    Some(d) => R::Unknown(d),
                    None => R::Own(Value::List(Arc::from(vals))),
                }
            }
            CExpr::Call(f, args) => self.call(*f, args),
        }
    }

    /// Arithmetic that has no result (an overflow, a division by zero): a
    /// runtime warning, and the value cannot be computed.
    #[cold]
    #[inline(never)]
    fn cannot(&mut self, op: ArithOp, p: &Value, q: &Value) -> R<'a> {
        let env = self.env;
        let message = format!(
            "cannot compute {} {} {}",
            env.show(p),
            op.symbol(),
            env.show(q)
        );
        self.errors.push(message);
        R::Unknown(Deps::default())
    }

    /// Working time the calendar never reaches (no opening hours within
    /// [`super::calendar::MAX_DAYS`] days): a runtime warning, and no value.
    #[cold]
    #[inline(never)]
    fn beyond_calendar(&mut self, t: i64, amount: i64, working: Working) -> R<'a> {
        let env = self.env;
        let what = match working {
            Working::Days => format!("{amount} working days"),
            _ if amount % 3600 == 0 => format!("{} working hours", amount / 3600),
            _ if amount % 60 == 0 => format!("{} working minutes", amount / 60),
            _ => format!("{amount} working seconds"),
        };
        self.errors.push(format!(
            "cannot count {what} after {}: the calendar has no opening hours for it within {} days",
            env.show(&Value::DateTime(t)),
            super::calendar::MAX_DAYS
        ));
        R::Unknown(Deps::default())
    }

    /// A built-in function: its arguments evaluated (every one, even after an
    /// unknown one), then its row's behaviour on their values.
    #[inline(never)]
    fn call(&mut self, f: Builtin, args: &'a [CExpr]) -> R<'a> {
        // Every built-in takes one or two arguments (the checker sees to it).
        match args {
            [a] => {
                let x = self.operand(a);
                let out = match x.known() {
                    Some(v) => self.apply(f, &[v]),
                    None => return x,
                };
                release(x);
                out
            }
            [a, b] => {
                let x = self.operand(a);
                let y = self.operand(b);
                let out = match (x.known(), y.known()) {
                    (Some(p), Some(q)) => self.apply(f, &[p, q]),
                    _ => return R::Unknown(unknown2(x, y)),
                };
                release(x);
                release(y);
                out
            }
            _ => R::Unknown(Deps::default()),
        }
    }

    /// The behaviour of a built-in function on known argument values.
    fn apply(&mut self, f: Builtin, args: &[&Value]) -> R<'a> {
        let Some(def) = builtins::def(f) else {
            return R::Unknown(Deps::default());
        };
        match (def.run)(args, &self.env.policy.calendar.zone) {
            Ok(v) => R::Own(v),
            Err(Failure::Kinds) => R::Unknown(Deps::default()),
            Err(Failure::Cannot(message)) => {
                self.errors.push(message);
                R::Unknown(Deps::default())
            }
        }
    }
}

/// [`Value::equals`], with the common kinds compared in place.
#[inline(always)]
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Enum(x, i), Value::Enum(y, j)) => x == y && i == j,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        _ => a.equals(b),
    }
}

#[inline]
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> bool {
    match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => !equal(a, b),
        _ => match a.compare(b) {
            Some(o) => match op {
                CmpOp::Lt => o.is_lt(),
                CmpOp::Le => o.is_le(),
                CmpOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            },
            None => false,
        },
    }
}

/// Whether `v` lies in `lo ..= hi` (+ `slack` seconds for times of day; wrapping midnight).
pub fn in_range(v: &Value, lo: &Value, hi: &Value, kind: RangeKind, slack: u32) -> bool {
    match (kind, v, lo, hi) {
        (RangeKind::TimeOfDay, Value::Time(t), Value::Time(a), Value::Time(b)) => {
            let end = b.saturating_add(slack);
            if a <= b {
                a <= t && *t <= end
            } else {
                // Wraps midnight: 19:01 .. 07:29.
                t >= a || *t <= end
            }
        }
        _ => lo.compare(v).is_some_and(|o| o.is_le()) && v.compare(hi).is_some_and(|o| o.is_le()),
    }
}

fn dec(v: &Value) -> Option<Decimal> {
    v.as_decimal()
}

pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Option<Value> {
    use ArithOp::*;
    use Value::*;
    Some(match (op, a, b) {
        (Add, Int(x), Int(y)) => Int(x.checked_add(*y)?),
        (Sub, Int(x), Int(y)) => Int(x.checked_sub(*y)?),
        (Mul, Int(x), Int(y)) => Int(x.checked_mul(*y)?),
        (Add | Sub | Mul | Div, Int(_) | Decimal(_), Int(_) | Decimal(_)) => {
            let (x, y) = (dec(a)?, dec(b)?);
            Decimal(match op {
                Add => x.checked_add(y)?,
                Sub => x.checked_sub(y)?,
                Mul => x.checked_mul(y)?,
                Div => x.checked_div(y)?,
            })
        }
        (Add, Duration(x), Duration(y)) => Duration(x.checked_add(*y)?),
        (Sub, Duration(x), Duration(y)) => Duration(x.checked_sub(*y)?),
        (Mul, Duration(x), n @ (Int(_) | Decimal(_)))
        | (Mul, n @ (Int(_) | Decimal(_)), Duration(x)) => {
            let r = rust_decimal::Decimal::from(*x).checked_mul(dec(n)?)?;
            Duration(i64::try_from(r.round()).ok()?)
        }
        (Div, Duration(x), n @ (Int(_) | Decimal(_))) => {
            let r = rust_decimal::Decimal::from(*x).checked_div(dec(n)?)?;
            Duration(i64::try_from(r.round()).ok()?)
        }
        (Div, Duration(x), Duration(y)) => {
            Decimal(rust_decimal::Decimal::from(*x).checked_div(rust_decimal::Decimal::from(*y))?)
        }
        (Add, Date(d), Duration(s)) | (Add, Duration(s), Date(d)) => {
            Date(d.checked_add(i32::try_from(s.div_euclid(SECONDS_PER_DAY)).ok()?)?)
        }
        (Sub, Date(d), Duration(s)) => {
            Date(d.checked_sub(i32::try_from(s.div_euclid(SECONDS_PER_DAY)).ok()?)?)
        }
        (Sub, Date(x), Date(y)) => Duration((i64::from(*x) - i64::from(*y)) * SECONDS_PER_DAY),
        (Add, DateTime(t), Duration(s)) | (Add, Duration(s), DateTime(t)) => {
            DateTime(t.checked_add(*s)?)
        }
        (Sub, DateTime(t), Duration(s)) => DateTime(t.checked_sub(*s)?),
        (Sub, DateTime(x), DateTime(y)) => Duration(x.checked_sub(*y)?),
        (Add, Time(t), Duration(s)) => {
            Time(i64::from(*t).checked_add(*s)?.rem_euclid(SECONDS_PER_DAY) as u32)
        }
        (Sub, Time(t), Duration(s)) => {
            Time(i64::from(*t).checked_sub(*s)?.rem_euclid(SECONDS_PER_DAY) as u32)
        }
        (Sub, Time(x), Time(y)) => Duration(i64::from(*x) - i64::from(*y)),
        (Add, Text(x), Text(y)) => Text(format!("{x}{y}").into()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{Truth, R};
    use crate::check::ids::FactId;
    use crate::check::ir::CExpr;
    use crate::eval::value3::{Deps, V};
    use crate::eval::{fire, Env, FactValue};
    use crate::value::Value;

    /// The values a node travels up in stay three words wide, and a truth one byte.
    #[test]
    fn values_stay_small() {
        assert_eq!(std::mem::size_of::<V>(), 24);
        assert_eq!(std::mem::size_of::<R>(), 24);
        assert_eq!(std::mem::size_of::<Truth>(), 1);
        assert_eq!(std::mem::size_of::<Deps>(), 16);
    }

    /// Whether `e` asks `is answered` / `is unanswered` of fact `f`: the one
    /// construct whose value changes when a fact goes from missing to known.
    fn reads_answer_of(e: &CExpr, f: FactId) -> bool {
        let mut found = false;
        e.visit(&mut |x| {
            if let CExpr::IsAnswered(g, _) = x {
                found |= *g == f;
            }
        });
        found
    }

    /// Three-valued evaluation is monotone: on every example of every shipped
    /// policy, with each fact in turn left out, every derived fact and rule
    /// condition that is known without the fact has the same value with it,
    /// and one that is unknown without it while known with it waits on it.
    #[test]
    fn evaluation_with_a_fact_missing_agrees_with_the_whole_case() {
        let (mut decided, mut waiting) = (0, 0);
        for (path, policy) in crate::testing::shipped_policies() {
            let exprs: Vec<&CExpr> = policy
                .lets
                .iter()
                .map(|l| &l.expr)
                .chain(policy.rules.iter().filter_map(|r| r.cond.as_ref()))
                .collect();
            for ex in &policy.examples {
                let whole = crate::testing::example_case(&policy, ex);
                let mut env = Env::new(&policy, &whole, ex.at);
                let _ = fire(&mut env, None);
                let full: Vec<V> = exprs.iter().map(|e| env.eval(e)).collect();
                for f in whole.slots.ids() {
                    if !matches!(whole.slots[f], FactValue::Known(_)) {
                        continue;
                    }
                    let mut partial = whole.clone();
                    partial.slots[f] = FactValue::Absent;
                    let mut penv = Env::new(&policy, &partial, ex.at);
                    let _ = fire(&mut penv, None);
                    for (e, w) in exprs.iter().zip(&full) {
                        if reads_answer_of(e, f) {
                            continue;
                        }
                        match (penv.eval(e), w) {
                            (V::Known(p), V::Known(w)) => {
                                assert!(p.equals(w), "{}: {p:?} / {w:?}: {e:?}", path.display());
                                decided += 1;
                            }
                            (V::Known(p), V::Unknown(_)) => {
                                panic!(
                                    "{}: known {p:?} only without fact {f:?}: {e:?}",
                                    path.display()
                                )
                            }
                            (V::Unknown(d), V::Known(_)) => {
                                assert!(
                                    d.contains_fact(f),
                                    "{}: waits on {:?}, not on {f:?}: {e:?}",
                                    path.display(),
                                    d.iter().collect::<Vec<_>>()
                                );
                                waiting += 1;
                            }
                            (V::Unknown(_), V::Unknown(_)) => {}
                        }
                    }
                }
            }
        }
        assert!(decided > 10_000, "only {decided} values compared");
        assert!(
            waiting > 1_000,
            "only {waiting} values waited on the missing fact"
        );
    }

    /// A condition that reads the missing fact waits on exactly the facts
    /// that are missing, through `and`, `or` and `not`.
    #[test]
    fn unknown_conditions_wait_on_the_missing_facts() {
        let src = "policy p { title \"t\" }\ncase {\n  a: bool \"A\"\n  b: bool \"B\"\n  n: int \"N\"\n}\naction q \"Q\"\nrule r\n  when (a or b) and not (n > 2)\n  then require q\n";
        let policy = crate::compile(src, "p.pol")
            .unwrap_or_else(|d| panic!("{d:?}"))
            .policy;
        let cond = policy
            .rules
            .iter()
            .next()
            .and_then(|r| r.cond.as_ref())
            .unwrap();
        let mut case = crate::eval::Case::empty(&policy);
        let mut env = Env::new(&policy, &case, None);
        match env.eval(cond) {
            V::Unknown(d) => assert_eq!(d.iter().collect::<Vec<_>>(), vec![0, 1, 2]),
            other => panic!("{other:?}"),
        }
        case.slots[FactId::new(1)] = FactValue::Known(Value::Bool(true));
        let mut env = Env::new(&policy, &case, None);
        match env.eval(cond) {
            V::Unknown(d) => assert_eq!(d.iter().collect::<Vec<_>>(), vec![2]),
            other => panic!("{other:?}"),
        }
        case.slots[FactId::new(2)] = FactValue::Known(Value::Int(5));
        let mut env = Env::new(&policy, &case, None);
        assert!(env.eval(cond).is_false());
    }
}
