//! Case → Decision. Facts live in slots; the interpreter never looks a name up.

mod calendar;
mod case;
pub mod decision;
mod expr;
pub mod json_out;
mod materialize;
mod outputs;
mod refine;
pub mod render;
mod value3;

pub use case::{decode_case, decode_value, parse_duration, CaseError};
pub use expr::in_range;
pub use render::json_value as value_json;

use crate::check::ir::*;
use crate::value::Value;
use decision::*;
use outputs::Outputs;
use value3::{and, not, or, Deps, V};

/// What the case says about one fact.
#[derive(Debug, Clone, PartialEq)]
pub enum FactValue {
    /// Not in the case: not asked yet.
    Absent,
    /// Given as `null`: asked, and the customer could not or would not answer.
    Null,
    Known(Value),
}

/// A case record decoded into the policy's fact slots.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub slots: Vec<FactValue>,
}

impl Case {
    pub fn empty(policy: &Policy) -> Case {
        Case {
            slots: vec![FactValue::Absent; policy.facts.len()],
        }
    }
}

pub(crate) struct Env<'p> {
    pub policy: &'p Policy,
    pub case: &'p [FactValue],
    pub at: Option<i64>,
    pub lets: Vec<V>,
    pub warnings: Vec<WarningOut>,
}

impl Env<'_> {
    fn fact(&self, i: usize) -> V {
        match self.case.get(i) {
            Some(FactValue::Known(v)) => V::Known(v.clone()),
            _ => V::Unknown(Deps::one(i)),
        }
    }

    /// The dependency bit that stands for the evaluation time.
    fn time_bit(&self) -> usize {
        self.policy.facts.len()
    }

    fn local_date(&self, instant: i64) -> i32 {
        let local = self.policy.calendar.zone.local_seconds(instant);
        local.div_euclid(crate::time::SECONDS_PER_DAY) as i32
    }

    fn runtime_error(&mut self, message: String) {
        if !self.warnings.iter().any(|w| w.message == message) {
            self.warnings.push(WarningOut {
                code: "W0102",
                message,
            });
        }
    }

    pub fn show(&self, v: &Value) -> String {
        match render::json_value(self.policy, v) {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }
    }
}

/// Evaluates a policy on a case at an evaluation time (seconds since the epoch).
pub fn evaluate(policy: &Policy, case: &Case, at: Option<i64>) -> Decision {
    materialize::decision(policy, evaluate_outputs(policy, case, at))
}

/// Evaluates and writes the Decision as compact JSON, the same text
/// `serde_json::to_writer(&evaluate(..))` gives, without building a [`Decision`].
pub fn evaluate_to_json(policy: &Policy, case: &Case, at: Option<i64>, out: &mut Vec<u8>) {
    json_out::write(policy, &evaluate_outputs(policy, case, at), out);
}

/// Every output by index, settled as far as the case allows.
pub(crate) fn evaluate_outputs(policy: &Policy, case: &Case, at: Option<i64>) -> Outputs {
    let mut o = evaluate_base(policy, case, at);
    refine::refine(policy, case, at, &mut o);
    o
}

/// Three-valued evaluation only, without trying the answers to missing facts.
pub(crate) fn evaluate_base(policy: &Policy, case: &Case, at: Option<i64>) -> Outputs {
    let mut env = Env {
        policy,
        case: &case.slots,
        at,
        lets: Vec::with_capacity(policy.lets.len()),
        warnings: Vec::new(),
    };
    for l in &policy.lets {
        let v = env.eval(&l.expr);
        env.lets.push(v);
    }
    // Whether each rule fires (condition and validity window).
    let window = validity_window(policy, at, &env);
    let fires: Vec<V> = policy
        .rules
        .iter()
        .map(|r| {
            let w = rule_window(r, at, &env);
            let c = match &r.cond {
                Some(c) => env.eval(c),
                None => V::TRUE,
            };
            and(and(window.clone(), || w), || c)
        })
        .collect();
    // A rule is effective when it fires and nothing overriding it fires.
    let effective: Vec<V> = policy
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut overridden = V::FALSE;
            for o in &r.overridden_by {
                let f = fires.get(*o as usize).cloned().unwrap_or(V::FALSE);
                overridden = or(overridden, || f);
            }
            let f = fires.get(i).cloned().unwrap_or(V::FALSE);
            and(f, || not(overridden))
        })
        .collect();
    outputs::decide(&mut env, &effective, window)
}

fn validity_window(policy: &Policy, at: Option<i64>, env: &Env) -> V {
    window_check(policy.meta.valid_from, policy.meta.valid_until, at, env)
}

fn rule_window(r: &RuleDef, at: Option<i64>, env: &Env) -> V {
    window_check(r.valid_from, r.valid_until, at, env)
}

fn window_check(from: Option<i32>, until: Option<i32>, at: Option<i64>, env: &Env) -> V {
    if from.is_none() && until.is_none() {
        return V::TRUE;
    }
    match at {
        None => V::Unknown(Deps::one(env.time_bit())),
        Some(t) => {
            let d = env.local_date(t);
            V::Known(Value::Bool(
                from.is_none_or(|f| d >= f) && until.is_none_or(|u| d <= u),
            ))
        }
    }
}
