//! Evaluating checked expressions over a partial case.

use super::value3::{and, not, or, Deps, V};
use super::Env;
use crate::check::ir::{Builtin, CExpr, RangeKind, Slot};
use crate::syntax::ast::{ArithOp, CmpOp};
use crate::time::SECONDS_PER_DAY;
use crate::value::Value;
use rust_decimal::Decimal;
use std::sync::Arc;

macro_rules! known {
    ($e:expr) => {
        match $e {
            V::Known(v) => v,
            u => return u,
        }
    };
}

impl Env<'_> {
    /// A constant, or a fact or derived fact that is known, read in place.
    pub(crate) fn peek<'a>(&'a self, e: &'a CExpr) -> Option<&'a Value> {
        match e {
            CExpr::Const(v) => Some(v),
            CExpr::Slot(Slot::Fact(i)) => match self.case.get(*i as usize) {
                Some(super::FactValue::Known(v)) => Some(v),
                _ => None,
            },
            CExpr::Slot(Slot::Let(i)) => match self.lets.get(*i as usize) {
                Some(V::Known(v)) => Some(v),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value of an expression. The common shapes of conditions are handled
    /// here; the rest in [`Env::eval_rest`], which keeps this function's frame small.
    pub fn eval(&mut self, e: &CExpr) -> V {
        match e {
            CExpr::Const(v) => V::Known(v.clone()),
            CExpr::Slot(Slot::Fact(i)) => self.fact(*i as usize),
            CExpr::Slot(Slot::Let(i)) => match self.lets.get(*i as usize) {
                Some(v) => v.clone(),
                None => V::Unknown(Deps::default()),
            },
            CExpr::Not(a) => not(self.eval(a)),
            CExpr::And(a, b) => {
                let x = self.eval(a);
                and(x, || self.eval(b))
            }
            CExpr::Or(a, b) => {
                let x = self.eval(a);
                or(x, || self.eval(b))
            }
            CExpr::Cmp(op, a, b) => match (self.peek(a), self.peek(b)) {
                (Some(x), Some(y)) => V::Known(Value::Bool(compare(*op, x, y))),
                _ => self.eval_rest(e),
            },
            _ => self.eval_rest(e),
        }
    }

    #[inline(never)]
    fn eval_rest(&mut self, e: &CExpr) -> V {
        match e {
            // Handled by `eval` itself.
            CExpr::Const(_) | CExpr::Slot(_) | CExpr::Not(_) | CExpr::And(..) | CExpr::Or(..) => {
                self.eval(e)
            }
            CExpr::Now => match self.at {
                Some(t) => V::Known(Value::DateTime(t)),
                None => V::Unknown(Deps::one(self.time_bit())),
            },
            CExpr::Today => match self.at {
                Some(t) => V::Known(Value::Date(self.local_date(t))),
                None => V::Unknown(Deps::one(self.time_bit())),
            },
            CExpr::Cmp(op, a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                let (x, y) = match both(x, y) {
                    Ok(p) => p,
                    Err(u) => return u,
                };
                V::Known(Value::Bool(compare(*op, &x, &y)))
            }
            CExpr::Arith(op, a, b) => {
                let (x, y) = (self.eval(a), self.eval(b));
                let (x, y) = match both(x, y) {
                    Ok(p) => p,
                    Err(u) => return u,
                };
                match arith(*op, &x, &y) {
                    Some(v) => V::Known(v),
                    None => {
                        self.runtime_error(format!(
                            "cannot compute {} {} {}",
                            self.show(&x),
                            op.symbol(),
                            self.show(&y)
                        ));
                        V::Unknown(Deps::default())
                    }
                }
            }
            CExpr::Neg(a) => match known!(self.eval(a)) {
                Value::Int(i) => V::Known(Value::Int(i.saturating_neg())),
                Value::Decimal(d) => V::Known(Value::Decimal(-d)),
                Value::Duration(d) => V::Known(Value::Duration(d.saturating_neg())),
                _ => V::Unknown(Deps::default()),
            },
            CExpr::In {
                value,
                items,
                negated,
            } => {
                if let Some(v) = self.peek(value) {
                    if let Some(hit) = items
                        .iter()
                        .try_fold(false, |hit, it| Some(hit || self.peek(it)?.equals(v)))
                    {
                        return V::Known(Value::Bool(hit != *negated));
                    }
                }
                let v = known!(self.eval(value));
                let mut unknown: Option<Deps> = None;
                for it in items {
                    match self.eval(it) {
                        V::Known(x) => {
                            if v.equals(&x) {
                                return V::Known(Value::Bool(!negated));
                            }
                        }
                        V::Unknown(d) => unknown.get_or_insert_with(Deps::default).union(&d),
                    }
                }
                match unknown {
                    Some(d) => V::Unknown(d),
                    None => V::Known(Value::Bool(*negated)),
                }
            }
            CExpr::InCollection {
                value,
                collection,
                negated,
            } => {
                if let (Some(v), Some(Value::List(items))) =
                    (self.peek(value), self.peek(collection))
                {
                    let hit = items.iter().any(|x| v.equals(x));
                    return V::Known(Value::Bool(hit != *negated));
                }
                let (v, c) = match both(self.eval(value), self.eval(collection)) {
                    Ok(p) => p,
                    Err(u) => return u,
                };
                let hit = match &c {
                    Value::List(items) => items.iter().any(|x| v.equals(x)),
                    _ => false,
                };
                V::Known(Value::Bool(hit != *negated))
            }
            CExpr::InRange {
                value,
                lo,
                hi,
                kind,
                hi_slack,
                negated,
            } => {
                let v = self.eval(value);
                let l = self.eval(lo);
                let h = self.eval(hi);
                let (v, l, h) = match (v, l, h) {
                    (V::Known(v), V::Known(l), V::Known(h)) => (v, l, h),
                    (a, b, c) => {
                        let mut d = Deps::default();
                        for x in [a, b, c] {
                            if let V::Unknown(x) = x {
                                d.union(&x);
                            }
                        }
                        return V::Unknown(d);
                    }
                };
                V::Known(Value::Bool(
                    in_range(&v, &l, &h, *kind, *hi_slack) != *negated,
                ))
            }
            CExpr::IsAnswered(f, answered) => match self.case.get(*f as usize) {
                Some(super::FactValue::Absent) | None => V::Unknown(Deps::one(*f as usize)),
                Some(super::FactValue::Null) => V::Known(Value::Bool(!answered)),
                Some(super::FactValue::Known(_)) => V::Known(Value::Bool(*answered)),
            },
            CExpr::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                let mut unknown: Option<Deps> = None;
                for it in items {
                    match self.eval(it) {
                        V::Known(v) => vals.push(v),
                        V::Unknown(d) => unknown.get_or_insert_with(Deps::default).union(&d),
                    }
                }
                match unknown {
                    Some(d) => V::Unknown(d),
                    None => V::Known(Value::List(Arc::from(vals))),
                }
            }
            CExpr::Call(f, args) => self.call(*f, args),
        }
    }

    fn call(&mut self, f: Builtin, args: &[CExpr]) -> V {
        // Every builtin takes at most three arguments (the checker sees to it).
        let mut vals: [Option<Value>; 3] = [None, None, None];
        let mut unknown: Option<Deps> = None;
        for (slot, a) in vals.iter_mut().zip(args) {
            match self.eval(a) {
                V::Known(v) => *slot = Some(v),
                V::Unknown(d) => unknown.get_or_insert_with(Deps::default).union(&d),
            }
        }
        if let Some(d) = unknown {
            return V::Unknown(d);
        }
        let arg = |i: usize| vals.get(i).and_then(Option::as_ref);
        let text = |i: usize| match arg(i) {
            Some(Value::Text(t)) => Some(t.as_ref()),
            _ => None,
        };
        use Builtin as B;
        let out = match f {
            B::Length => match arg(0) {
                Some(Value::Text(t)) => Some(Value::Int(t.chars().count() as i64)),
                Some(Value::List(l)) => Some(Value::Int(l.len() as i64)),
                _ => None,
            },
            B::Lower => text(0).map(|t| Value::Text(t.to_lowercase().into())),
            B::Upper => text(0).map(|t| Value::Text(t.to_uppercase().into())),
            B::Trim => text(0).map(|t| Value::Text(t.trim().into())),
            B::Digits => text(0).map(|t| Value::Text(crate::builtins::digits(t).into())),
            B::Contains => match (arg(0), arg(1)) {
                (Some(Value::Text(a)), Some(Value::Text(b))) => {
                    Some(Value::Bool(a.contains(b.as_ref())))
                }
                (Some(Value::List(l)), Some(x)) => Some(Value::Bool(l.iter().any(|i| i.equals(x)))),
                _ => None,
            },
            B::StartsWith => match (text(0), text(1)) {
                (Some(a), Some(b)) => Some(Value::Bool(a.starts_with(b))),
                _ => None,
            },
            B::EndsWith => match (text(0), text(1)) {
                (Some(a), Some(b)) => Some(Value::Bool(a.ends_with(b))),
                _ => None,
            },
            B::EditDistance => match (text(0), text(1)) {
                (Some(a), Some(b)) => match crate::builtins::edit_distance(a, b) {
                    Some(d) => Some(Value::Int(d as i64)),
                    None => {
                        self.runtime_error(format!(
                            "cannot compute edit_distance: a text is longer than {} characters",
                            crate::builtins::EDIT_DISTANCE_MAX_CHARS
                        ));
                        None
                    }
                },
                _ => None,
            },
            B::Abs => match arg(0) {
                Some(Value::Int(i)) => Some(Value::Int(i.saturating_abs())),
                Some(Value::Decimal(d)) => Some(Value::Decimal(d.abs())),
                Some(Value::Duration(d)) => Some(Value::Duration(d.saturating_abs())),
                _ => None,
            },
            B::Min | B::Max => match (arg(0), arg(1)) {
                (Some(a), Some(b)) => {
                    let a_first = a.compare(b).is_some_and(|o| o.is_le());
                    Some(if (f == B::Min) == a_first {
                        a.clone()
                    } else {
                        b.clone()
                    })
                }
                _ => None,
            },
            B::DateOf => match arg(0) {
                Some(Value::DateTime(t)) => Some(Value::Date(self.local_date(*t))),
                _ => None,
            },
            B::TimeOf => match arg(0) {
                Some(Value::DateTime(t)) => {
                    let local = self.policy.calendar.zone.local_seconds(*t);
                    Some(Value::Time(local.rem_euclid(SECONDS_PER_DAY) as u32))
                }
                _ => None,
            },
            B::EndOfDay => {
                let day = match arg(0) {
                    Some(Value::DateTime(t)) => Some(self.local_date(*t)),
                    Some(Value::Date(d)) => Some(*d),
                    _ => None,
                };
                day.map(|d| {
                    let local = i64::from(d) * SECONDS_PER_DAY + SECONDS_PER_DAY - 1;
                    Value::DateTime(self.policy.calendar.zone.instant_of_local(local))
                })
            }
            B::Weekday => match arg(0) {
                Some(Value::DateTime(t)) => Some(Value::Int(i64::from(crate::time::weekday(
                    self.local_date(*t),
                )))),
                Some(Value::Date(d)) => Some(Value::Int(i64::from(crate::time::weekday(*d)))),
                _ => None,
            },
            B::DaysBetween => match (arg(0), arg(1)) {
                (Some(Value::Date(a)), Some(Value::Date(b))) => {
                    Some(Value::Int(i64::from(*b) - i64::from(*a)))
                }
                _ => None,
            },
        };
        match out {
            Some(v) => V::Known(v),
            None => V::Unknown(Deps::default()),
        }
    }
}

fn both(a: V, b: V) -> Result<(Value, Value), V> {
    match (a, b) {
        (V::Known(x), V::Known(y)) => Ok((x, y)),
        (V::Unknown(mut x), V::Unknown(y)) => {
            x.union(&y);
            Err(V::Unknown(x))
        }
        (V::Unknown(x), _) | (_, V::Unknown(x)) => Err(V::Unknown(x)),
    }
}

pub fn compare(op: CmpOp, a: &Value, b: &Value) -> bool {
    match op {
        CmpOp::Eq => a.equals(b),
        CmpOp::Ne => !a.equals(b),
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
