//! Conditions decided without three-valued values.
//!
//! Most conditions, on most cases, read only known facts: yes/no facts, enum
//! values compared with constants, membership, small counts. [`Env::try_bool`]
//! decides those with plain `bool`s and integers, reading values in place. When
//! it meets anything else (an unknown fact, a value to compute, a possible
//! runtime error) it gives up with `None`, and [`Env::eval`] decides the whole
//! expression the thorough way, unknowns, dependencies and errors included. The
//! two always agree where the fast one answers (the test below checks it on every
//! condition of every shipped policy, on every example, whole and partial).

use super::expr::compare;
use super::{Env, FactValue};
use crate::check::ir::{Builtin, CExpr};
use crate::syntax::ast::ArithOp;
use crate::value::Value;

impl Env<'_> {
    /// The truth of a condition that reads only known values, or `None`.
    pub(crate) fn try_bool(&self, e: &CExpr) -> Option<bool> {
        match e {
            CExpr::Const(Value::Bool(b)) => Some(*b),
            CExpr::Slot(_) => match self.peek(e)? {
                Value::Bool(b) => Some(*b),
                _ => None,
            },
            CExpr::Not(a) => self.try_bool(a).map(|b| !b),
            CExpr::And(a, b) => {
                if self.try_bool(a)? {
                    self.try_bool(b)
                } else {
                    Some(false)
                }
            }
            CExpr::Or(a, b) => {
                if self.try_bool(a)? {
                    Some(true)
                } else {
                    self.try_bool(b)
                }
            }
            CExpr::Cmp(op, a, b) => {
                if let (Some(x), Some(y)) = (self.peek(a), self.peek(b)) {
                    return Some(compare(*op, x, y));
                }
                let (x, y) = (self.try_int(a)?, self.try_int(b)?);
                Some(compare(*op, &Value::Int(x), &Value::Int(y)))
            }
            CExpr::In {
                value,
                items,
                negated,
            } => {
                let v = self.peek(value)?;
                let mut hit = false;
                for it in items {
                    if self.peek(it)?.equals(v) {
                        hit = true;
                        break;
                    }
                }
                Some(hit != *negated)
            }
            CExpr::InCollection {
                value,
                collection,
                negated,
            } => match (self.peek(value)?, self.peek(collection)?) {
                (v, Value::List(items)) => Some(items.iter().any(|x| v.equals(x)) != *negated),
                _ => None,
            },
            CExpr::IsAnswered(f, answered) => match self.case.get(*f as usize)? {
                FactValue::Null => Some(!answered),
                FactValue::Known(_) => Some(*answered),
                FactValue::Absent => None,
            },
            CExpr::Call(f @ (Builtin::StartsWith | Builtin::EndsWith), args) => {
                match (self.peek(args.first()?)?, self.peek(args.get(1)?)?) {
                    (Value::Text(a), Value::Text(b)) => Some(if *f == Builtin::StartsWith {
                        a.starts_with(b.as_ref())
                    } else {
                        a.ends_with(b.as_ref())
                    }),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A whole number computed from known values without overflow, or `None`.
    fn try_int(&self, e: &CExpr) -> Option<i64> {
        match e {
            CExpr::Const(Value::Int(i)) => Some(*i),
            CExpr::Slot(_) => match self.peek(e)? {
                Value::Int(i) => Some(*i),
                _ => None,
            },
            CExpr::Arith(ArithOp::Add, a, b) => self.try_int(a)?.checked_add(self.try_int(b)?),
            CExpr::Arith(ArithOp::Sub, a, b) => self.try_int(a)?.checked_sub(self.try_int(b)?),
            CExpr::Call(Builtin::Length, args) => match self.peek(args.first()?)? {
                Value::Text(t) => Some(t.chars().count() as i64),
                Value::List(l) => Some(l.len() as i64),
                _ => None,
            },
            CExpr::Call(Builtin::EditDistance, args) => {
                match (self.peek(args.first()?)?, self.peek(args.get(1)?)?) {
                    (Value::Text(a), Value::Text(b)) => {
                        crate::builtins::edit_distance(a, b).map(|d| d as i64)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// [`Env::eval`] with the fast way tried first.
    pub(crate) fn eval_condition(&mut self, e: &CExpr) -> super::value3::V {
        match self.try_bool(e) {
            Some(b) => super::value3::V::Known(Value::Bool(b)),
            None => self.eval(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::eval::value3::V;
    use crate::eval::{fire, Env, FactValue};
    use crate::value::Value;

    /// Wherever the fast way answers, the thorough way gives the same answer.
    #[test]
    fn fast_answers_agree_with_three_valued_evaluation() {
        let mut answered = 0;
        for entry in std::fs::read_dir("policies")
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "pol") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            let policy = crate::compile(&source, "p.pol")
                .unwrap_or_else(|d| panic!("{d:?}"))
                .policy;
            for ex in &policy.examples {
                let whole = crate::testing::example_case(&policy, ex);
                let mut cases = vec![whole.clone()];
                for i in 0..whole.slots.len() {
                    let mut partial = whole.clone();
                    partial.slots[i] = FactValue::Absent;
                    cases.push(partial);
                }
                for case in &cases {
                    let mut env = Env::new(&policy, case, ex.at);
                    let _ = fire(&mut env, None);
                    let exprs = policy
                        .lets
                        .iter()
                        .map(|l| &l.expr)
                        .chain(policy.rules.iter().filter_map(|r| r.cond.as_ref()));
                    for e in exprs {
                        if let Some(b) = env.try_bool(e) {
                            answered += 1;
                            match env.eval(e) {
                                V::Known(Value::Bool(x)) => assert_eq!(x, b, "{e:?}"),
                                other => panic!("fast {b}, thorough {other:?}: {e:?}"),
                            }
                        }
                    }
                }
            }
        }
        assert!(answered > 10_000, "only {answered} fast answers checked");
    }
}
