//! Formulas over "rule `r` is effective" and boolean expressions, with `or`,
//! simplified as they are built, and turned into the search's questions.

use crate::analysis::search::Q;
use crate::check::ids::RuleId;
use crate::check::ir::{CExpr, Policy};
use crate::syntax::ast::CmpOp;
use crate::value::Value;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub(crate) enum F {
    Const(bool),
    /// The rule fires and no rule overriding it fires.
    Eff(RuleId),
    Expr(CExpr),
    Not(Box<F>),
    And(Vec<F>),
    Or(Vec<F>),
}

pub(crate) const TRUE: F = F::Const(true);

pub(crate) fn not(f: F) -> F {
    match f {
        F::Const(b) => F::Const(!b),
        F::Not(inner) => *inner,
        other => F::Not(Box::new(other)),
    }
}

pub(crate) fn and(items: impl IntoIterator<Item = F>) -> F {
    let mut out = Vec::new();
    for f in items {
        match f {
            F::Const(true) => {}
            F::Const(false) => return F::Const(false),
            F::And(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => TRUE,
        1 => out.pop().unwrap_or(TRUE),
        _ => F::And(out),
    }
}

pub(crate) fn or(items: impl IntoIterator<Item = F>) -> F {
    let mut out = Vec::new();
    for f in items {
        match f {
            F::Const(false) => {}
            F::Const(true) => return TRUE,
            F::Or(inner) => out.extend(inner),
            other => out.push(other),
        }
    }
    match out.len() {
        0 => F::Const(false),
        1 => out.pop().unwrap_or(F::Const(false)),
        _ => F::Or(out),
    }
}

/// Any of these rules is effective.
pub(crate) fn any(rules: &[RuleId]) -> F {
    or(rules.iter().map(|r| F::Eff(*r)))
}

/// The two values differ (constants are compared now).
pub(crate) fn differ(a: &CExpr, b: &CExpr) -> F {
    match (a, b) {
        (CExpr::Const(x), CExpr::Const(y)) => F::Const(!same_value(x, y)),
        _ => F::Expr(CExpr::Cmp(
            CmpOp::Ne,
            Box::new(a.clone()),
            Box::new(b.clone()),
        )),
    }
}

pub(crate) fn same_value(x: &Value, y: &Value) -> bool {
    x.equals(y)
}

/// The search's question: `or` by De Morgan.
pub(crate) fn to_q(f: &F) -> Q {
    match f {
        F::Const(true) => Q::And(Vec::new()),
        F::Const(false) => Q::not(Q::And(Vec::new())),
        F::Eff(r) => Q::Eff(*r),
        F::Expr(e) => Q::Expr(e.clone()),
        F::Not(a) => Q::not(to_q(a)),
        F::And(items) => Q::And(items.iter().map(to_q).collect()),
        F::Or(items) => Q::not(Q::And(items.iter().map(|i| Q::not(to_q(i))).collect())),
    }
}

/// The variables (facts, then the evaluation time) the formula may depend on.
pub(crate) fn vars(policy: &Policy, f: &F, out: &mut BTreeSet<usize>) {
    match f {
        F::Const(_) => {}
        F::Eff(r) => {
            let rule = &policy.rules[*r];
            for x in std::iter::once(r).chain(&rule.overridden_by) {
                let x = &policy.rules[*x];
                if let Some(c) = &x.cond {
                    crate::analysis::domain::vars_of(policy, c, out);
                }
                if x.valid_from.is_some() || x.valid_until.is_some() {
                    out.insert(policy.facts.len());
                }
            }
        }
        F::Expr(e) => crate::analysis::domain::vars_of(policy, e, out),
        F::Not(a) => vars(policy, a, out),
        F::And(items) | F::Or(items) => items.iter().for_each(|i| vars(policy, i, out)),
    }
}
