//! Case → Decision. Facts live in slots; the interpreter never looks a name up.

pub(crate) mod calendar;
mod combine;
pub mod decision;
mod decode;
mod engine;
mod expr;
mod json_out;
mod outputs;
mod refine;
pub mod render;
#[cfg(test)]
mod settle_tests;
pub mod status;
mod tries;
mod value3;
pub(crate) use value3::V;

pub use crate::time::parse_duration;
pub use decode::{decode_case, decode_case_into, decode_fact, decode_value, CaseError};
pub use engine::{Engine, Evaluator};
pub use expr::in_range;
pub use render::json_value as value_json;

use crate::check::ids::{FactId, IdVec, LetId, RuleId};
use crate::check::ir::*;
use crate::value::Value;
use outputs::{OutputRef, Outputs, Scratch, Warning};
use value3::{and, not, or, Deps};

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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Case {
    pub slots: IdVec<FactId, FactValue>,
}

impl Case {
    pub fn empty(policy: &Policy) -> Case {
        Case {
            slots: IdVec::from_elem(FactValue::Absent, policy.facts.len()),
        }
    }

    /// Whether it has exactly one slot per fact of `policy`, as a case decoded for
    /// that policy has.
    pub fn fits(&self, policy: &Policy) -> bool {
        self.slots.len() == policy.facts.len()
    }

    /// The case with one slot per fact of `policy`: slots it lacks are unanswered
    /// (absent), slots past the policy's facts are dropped.
    pub fn fitted(&self, policy: &Policy) -> Case {
        let mut slots = self.slots.clone();
        slots.resize_with(policy.facts.len(), || FactValue::Absent);
        Case { slots }
    }
}

pub(crate) struct Env<'p> {
    pub policy: &'p Policy,
    pub case: &'p IdVec<FactId, FactValue>,
    pub at: Option<i64>,
    pub lets: IdVec<LetId, V>,
    pub warnings: Vec<Warning>,
}

impl<'p> Env<'p> {
    pub fn new(policy: &'p Policy, case: &'p Case, at: Option<i64>) -> Env<'p> {
        Env {
            policy,
            case: &case.slots,
            at,
            lets: IdVec::with_capacity(policy.lets.len()),
            warnings: Vec::new(),
        }
    }

    fn fact(&self, f: FactId) -> V {
        match &self.case[f] {
            FactValue::Known(v) => V::Known(v.clone()),
            _ => V::Unknown(Deps::fact(f)),
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
            self.warnings.push(Warning {
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

/// The derived facts' values and whether each rule fires, on one case.
#[derive(Debug, Clone)]
pub(crate) struct Fired {
    pub lets: IdVec<LetId, V>,
    pub fires: IdVec<RuleId, V>,
    pub window: V,
}

/// Evaluates the derived facts and every rule's condition and validity window.
///
/// With `reuse = Some((earlier, changed))`, `env`'s case differs from the case
/// `earlier` was computed on only in that the facts of `changed` became known.
/// Then only values that waited on those facts are computed again: a value decided
/// on fewer facts stays decided (three-valued logic is monotone), and one that
/// waited on other facts only keeps waiting on them. The caller makes sure no
/// `is answered` reads a changed fact, the one thing that is not monotone.
pub(crate) fn fire(env: &mut Env, reuse: Option<(&Fired, &Deps)>) -> Fired {
    fire_into(env, reuse, IdVec::with_capacity(env.policy.rules.len()))
}

/// [`fire`], with `fires` (emptied first) reused for the rules' values.
pub(crate) fn fire_into(
    env: &mut Env,
    reuse: Option<(&Fired, &Deps)>,
    mut fires: IdVec<RuleId, V>,
) -> Fired {
    let policy = env.policy;
    fires.clear();
    let stale = |earlier: Option<&V>| match (reuse, earlier) {
        (Some((_, changed)), Some(V::Unknown(d))) => d.intersects(changed),
        (Some(_), Some(V::Known(_))) => false,
        _ => true,
    };
    // Runtime errors, reported once every value is computed.
    let mut errors = Vec::new();
    for (i, l) in policy.lets.iter_enumerated() {
        // `fire` leaves `lets` empty: a caller that reuses them keeps them.
        let earlier = reuse.and_then(|(f, _)| f.lets.get(i));
        let v = match earlier {
            Some(v) if !stale(Some(v)) => v.clone(),
            _ => {
                let mut run = expr::Interp::new(env);
                let v = run.eval(&l.expr);
                let met = run.into_errors();
                if !met.is_empty() {
                    errors.extend(met);
                }
                v
            }
        };
        env.lets.push(v);
    }
    let window = validity_window(policy, env.at, env);
    // One evaluator for every rule condition: the derived facts are settled.
    let mut run = expr::Interp::new(env);
    for (i, r) in policy.rules.iter_enumerated() {
        let earlier = reuse.map(|(f, _)| &f.fires[i]);
        let v = match earlier {
            Some(v) if !stale(Some(v)) => v.clone(),
            _ => {
                let w = rule_window(r, env.at, env);
                let open = window.is_true() && w.is_true();
                let mut cond = || match &r.cond {
                    Some(c) => run.eval(c),
                    None => V::TRUE,
                };
                if open {
                    cond()
                } else {
                    and(and(window.clone(), || w), cond)
                }
            }
        };
        fires.push(v);
    }
    let met = run.into_errors();
    if !met.is_empty() {
        errors.extend(met);
    }
    env.report(errors);
    // The derived facts stay in `env` for the effects; `lets` is filled by the
    // caller when the refinement needs them.
    Fired {
        lets: IdVec::new(),
        fires,
        window,
    }
}

/// Which rules are effective (fire and are not overridden, into `effective`),
/// then every output, into `o`.
pub(crate) fn finish(
    env: &mut Env,
    fired: &Fired,
    wanted: Option<&[OutputRef]>,
    effective: &mut IdVec<RuleId, V>,
    s: &mut Scratch,
    o: &mut Outputs,
) {
    let policy = env.policy;
    // A rule is effective when it fires and nothing overriding it fires.
    effective.clear();
    effective.extend(policy.rules.iter_enumerated().map(|(i, r)| {
        let f = fired.fires[i].clone();
        if r.overridden_by.is_empty() || f.is_false() {
            return f;
        }
        let mut overridden = V::FALSE;
        for o in &r.overridden_by {
            let f = fired.fires[*o].clone();
            overridden = or(overridden, || f);
        }
        and(f, || not(overridden))
    }));
    o.recycle(s);
    outputs::decide(env, effective, fired.window.clone(), wanted, s, o);
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
