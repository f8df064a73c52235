//! Case → Decision. Facts live in slots; the interpreter never looks a name up.

mod calendar;
mod case;
pub mod decision;
mod expr;
mod refine;
pub mod render;
mod value3;

pub use case::{decode_case, decode_value, parse_duration, CaseError};
pub use expr::in_range;
pub use render::json_value as value_json;

use crate::check::ir::*;
use crate::syntax::ast::Verdict;
use crate::value::Value;
use decision::*;
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

/// Kinds of verdict contributions, in a fixed order for the subset walk.
const REQUIRE: usize = 0;
const ALLOW: usize = 1;
const FORBID: usize = 2;
const OPEN: usize = 3;

/// Evaluates a policy on a case at an evaluation time (seconds since the epoch).
pub fn evaluate(policy: &Policy, case: &Case, at: Option<i64>) -> Decision {
    let mut d = evaluate_base(policy, case, at);
    refine::refine(policy, case, at, &mut d);
    d
}

/// Three-valued evaluation only, without trying the answers to missing facts.
pub(crate) fn evaluate_base(policy: &Policy, case: &Case, at: Option<i64>) -> Decision {
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
    build(&mut env, &effective, window)
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

/// Collects per-output contributions and decides each output.
struct Contrib<'a> {
    rule: u32,
    eff: &'a V,
}

fn because(policy: &Policy, rules: impl IntoIterator<Item = u32>) -> Vec<Because> {
    rules
        .into_iter()
        .filter_map(|i| policy.rules.get(i as usize))
        .map(|r| Because {
            rule: r.name.clone(),
            at: r.location.clone(),
            quote: r.quote.clone(),
        })
        .collect()
}

fn build(env: &mut Env, effective: &[V], window: V) -> Decision {
    let policy = env.policy;
    let n_a = policy.actions.len();
    let mut verdicts: Vec<Vec<(usize, Contrib)>> = (0..n_a).map(|_| Vec::new()).collect();
    let mut asks: Vec<Vec<Contrib>> = (0..policy.questions.len()).map(|_| Vec::new()).collect();
    let mut says: Vec<Vec<Contrib>> = (0..policy.scripts.len()).map(|_| Vec::new()).collect();
    let mut field_req: Vec<Vec<Contrib>> = (0..policy.fields.len()).map(|_| Vec::new()).collect();
    let mut field_val: Vec<Vec<(Contrib, V)>> =
        (0..policy.fields.len()).map(|_| Vec::new()).collect();
    let mut outcome_val: Vec<Vec<(Contrib, V)>> =
        (0..policy.outcomes.len()).map(|_| Vec::new()).collect();
    let mut outcome_open: Vec<Vec<Contrib>> =
        (0..policy.outcomes.len()).map(|_| Vec::new()).collect();
    let mut dues: Vec<Vec<(Contrib, V)>> =
        (0..policy.deadlines.len()).map(|_| Vec::new()).collect();
    let mut opens: Vec<OpenOut> = Vec::new();
    let mut open_pending: Vec<(String, Deps)> = Vec::new();

    for (ri, r) in policy.rules.iter().enumerate() {
        let Some(eff) = effective.get(ri) else {
            continue;
        };
        if eff.is_false() {
            continue;
        }
        let rule = ri as u32;
        for e in &r.effects {
            let c = Contrib { rule, eff };
            match e {
                CEffect::Ask(q) => push(&mut asks, *q, c),
                CEffect::Say(s) => push(&mut says, *s, c),
                CEffect::RequireField(f) => push(&mut field_req, *f, c),
                CEffect::Require(a) => push(&mut verdicts, *a, (REQUIRE, c)),
                CEffect::Allow(a) => push(&mut verdicts, *a, (ALLOW, c)),
                CEffect::Forbid(a) => push(&mut verdicts, *a, (FORBID, c)),
                CEffect::SetField(f, v) => {
                    let v = env.eval(v);
                    push(&mut field_val, *f, (c, v));
                }
                CEffect::SetOutcome(o, v) => {
                    let v = env.eval(v);
                    push(&mut outcome_val, *o, (c, v));
                }
                CEffect::DueWithin {
                    deadline,
                    duration,
                    working,
                    after,
                } => {
                    let d = env.eval(duration);
                    let a = env.eval(after);
                    let v = match (d, a) {
                        (V::Known(Value::Duration(d)), V::Known(Value::DateTime(t))) => {
                            V::Known(Value::DateTime(match working {
                                Working::No => t.saturating_add(d),
                                Working::Hours => calendar::add_working(&policy.calendar, t, d),
                                Working::Days => calendar::add_working_days(&policy.calendar, t, d),
                            }))
                        }
                        (V::Unknown(mut x), V::Unknown(y)) => {
                            x.union(&y);
                            V::Unknown(x)
                        }
                        (V::Unknown(x), _) | (_, V::Unknown(x)) => V::Unknown(x),
                        _ => V::Unknown(Deps::default()),
                    };
                    push(&mut dues, *deadline, (c, v));
                }
                CEffect::DueBy { deadline, at } => {
                    let v = env.eval(at);
                    push(&mut dues, *deadline, (c, v));
                }
                CEffect::Open { target, reason } => {
                    match target {
                        Some(OpenTarget::Action(a)) => push(&mut verdicts, *a, (OPEN, c)),
                        Some(OpenTarget::Outcome(o)) => push(&mut outcome_open, *o, c),
                        None => {}
                    }
                    match eff {
                        V::Known(_) => opens.push(OpenOut {
                            target: target.map(|t| match t {
                                OpenTarget::Action(a) => format!(
                                    "actions.{}",
                                    policy
                                        .actions
                                        .get(a as usize)
                                        .map_or("", |x| x.name.as_str())
                                ),
                                OpenTarget::Outcome(o) => format!(
                                    "outcomes.{}",
                                    policy
                                        .outcomes
                                        .get(o as usize)
                                        .map_or("", |x| x.name.as_str())
                                ),
                            }),
                            reason: reason.clone(),
                            because: because(policy, [rule]),
                        }),
                        V::Unknown(d) => open_pending.push((format!("open.{}", r.name), d.clone())),
                    }
                }
            }
        }
    }

    // Undecided outputs and what they wait on, for `pending`.
    let mut waiting: Vec<(String, Deps)> = Vec::new();

    let mut actions = Vec::with_capacity(n_a);
    for (ai, a) in policy.actions.iter().enumerate() {
        let contribs = verdicts.get(ai).map(Vec::as_slice).unwrap_or(&[]);
        let (mut out, deps) = decide_action(policy, a, contribs);
        if let Some(d) = deps {
            out.waiting_on = names_of(policy, env, Some(&d));
            out.reason = Some(reason_of(env, &d));
            waiting.push((format!("actions.{}", a.name), d));
        }
        if out.reason == Some("conflict") {
            env.warnings.push(WarningOut {
                code: "W0103",
                message: format!(
                    "rules both require and forbid `{}` and none overrides the other",
                    a.name
                ),
            });
        }
        actions.push(out);
    }

    let mut questions = Vec::new();
    for (qi, q) in policy.questions.iter().enumerate() {
        let c = asks.get(qi).map(Vec::as_slice).unwrap_or(&[]);
        let (status, rules, deps) = presence(c);
        let Some(status) = status else { continue };
        let waiting_on = names_of(policy, env, deps.as_ref());
        if let Some(d) = deps {
            waiting.push((format!("questions.{}", q.name), d));
        }
        questions.push(QuestionOut {
            id: q.name.clone(),
            text: q.text.clone(),
            must_be_correct: q.must_be_correct,
            status: if status == "present" { "ask" } else { status },
            because: because(policy, rules),
            waiting_on,
        });
    }

    let mut scripts = Vec::new();
    for (si, s) in policy.scripts.iter().enumerate() {
        let c = says.get(si).map(Vec::as_slice).unwrap_or(&[]);
        let (status, rules, deps) = presence(c);
        let Some(status) = status else { continue };
        let waiting_on = names_of(policy, env, deps.as_ref());
        if let Some(d) = deps {
            waiting.push((format!("scripts.{}", s.name), d));
        }
        let (text, missing) = render::script(env, s);
        let length = text.chars().count();
        if let Some(max) = s.max_chars {
            if length > max as usize && missing.is_empty() {
                env.warnings.push(WarningOut {
                    code: "W0101",
                    message: format!(
                        "script `{}` is {length} characters long, more than its limit of {max}",
                        s.name
                    ),
                });
            }
        }
        scripts.push(ScriptOut {
            id: s.name.clone(),
            text,
            status: if status == "present" { "say" } else { status },
            max_chars: s.max_chars,
            length,
            missing,
            because: because(policy, rules),
            waiting_on,
        });
    }

    let mut ticket_fields = Vec::new();
    for (fi, f) in policy.fields.iter().enumerate() {
        let req = field_req.get(fi).map(Vec::as_slice).unwrap_or(&[]);
        let vals = field_val.get(fi).map(Vec::as_slice).unwrap_or(&[]);
        // A prescribed value also makes the field mandatory.
        let mut all: Vec<Contrib> = req
            .iter()
            .map(|c| Contrib {
                rule: c.rule,
                eff: c.eff,
            })
            .collect();
        all.extend(vals.iter().map(|(c, _)| Contrib {
            rule: c.rule,
            eff: c.eff,
        }));
        let (status, rules, mut deps) = presence(&all);
        let Some(status) = status else { continue };
        let value = match decide_value(vals) {
            ValueDecision::Set(v, _) => Some(render::json_value(policy, &v)),
            ValueDecision::Undecided(d, _) => {
                deps.get_or_insert_with(Deps::default).union(&d);
                None
            }
            _ => None,
        };
        let field_status = if status == "present" && deps.is_none() {
            "required"
        } else {
            "undecided"
        };
        let waiting_on = names_of(policy, env, deps.as_ref());
        if let Some(d) = deps {
            waiting.push((format!("ticket_fields.{}", f.name), d));
        }
        ticket_fields.push(FieldOut {
            id: f.name.clone(),
            label: f.label.clone(),
            ty: f.ty.to_string(),
            status: field_status,
            value,
            because: because(policy, rules),
            waiting_on,
        });
    }

    let mut outcomes = serde_json::Map::new();
    let mut outcome_details = Vec::new();
    for (oi, o) in policy.outcomes.iter().enumerate() {
        let vals = outcome_val.get(oi).map(Vec::as_slice).unwrap_or(&[]);
        let open = outcome_open.get(oi).map(Vec::as_slice).unwrap_or(&[]);
        let open_certain: Vec<u32> = open
            .iter()
            .filter(|c| c.eff.is_true())
            .map(|c| c.rule)
            .collect();
        let mut open_deps = Deps::default();
        for c in open {
            if let V::Unknown(d) = c.eff {
                open_deps.union(d);
            }
        }
        let decided = decide_value(vals);
        let (status, value, rules, reason, mut deps) = if !open_certain.is_empty() {
            ("undecided", None, open_certain, Some("open"), None)
        } else {
            match decided {
                ValueDecision::Set(v, rules) => ("set", Some(v), rules, None, None),
                ValueDecision::Unset => match &o.default {
                    Some(d) => ("default", Some(d.clone()), Vec::new(), None, None),
                    None => ("unset", None, Vec::new(), None, None),
                },
                ValueDecision::Conflict(rules) => {
                    env.warnings.push(WarningOut {
                        code: "W0103",
                        message: format!(
                            "rules give `{}` different values and none overrides the other",
                            o.name
                        ),
                    });
                    ("undecided", None, rules, Some("conflict"), None)
                }
                ValueDecision::Undecided(d, rules) => {
                    ("undecided", None, rules, Some(reason_of(env, &d)), Some(d))
                }
            }
        };
        if !open_deps.is_empty() && status != "undecided" {
            deps = Some(open_deps);
        }
        let (status, value) = if deps.is_some() {
            ("undecided", None)
        } else {
            (status, value)
        };
        let reason = if deps.is_some() && reason.is_none() {
            deps.as_ref().map(|d| reason_of(env, d))
        } else {
            reason
        };
        let waiting_on = names_of(policy, env, deps.as_ref());
        if let Some(d) = deps {
            waiting.push((format!("outcomes.{}", o.name), d));
        }
        let json = value.as_ref().map(|v| render::json_value(policy, v));
        if let Some(j) = &json {
            outcomes.insert(o.name.clone(), j.clone());
        }
        outcome_details.push(OutcomeOut {
            id: o.name.clone(),
            label: o.label.clone(),
            status,
            value: json,
            because: because(policy, rules),
            reason,
            waiting_on,
        });
    }

    let mut deadlines = Vec::new();
    for (di, d) in policy.deadlines.iter().enumerate() {
        let vals = dues.get(di).map(Vec::as_slice).unwrap_or(&[]);
        if vals.is_empty() {
            continue;
        }
        let (status, due, rules, deps) = decide_earliest(vals);
        let waiting_on = names_of(policy, env, deps.as_ref());
        if let Some(dd) = deps {
            waiting.push((format!("deadlines.{}", d.name), dd));
        }
        let Some(status) = status else { continue };
        deadlines.push(DeadlineOut {
            id: d.name.clone(),
            label: d.label.clone(),
            status,
            due: due.map(|t| crate::time::format_instant(t, policy.calendar.zone.offset_at(t))),
            overdue: match (due, env.at) {
                (Some(t), Some(now)) => Some(now > t),
                _ => None,
            },
            because: because(policy, rules),
            waiting_on,
        });
    }
    for (name, d) in open_pending {
        waiting.push((name, d));
    }

    let pending = pending_list(env, &waiting);
    let needs_time = waiting.iter().any(|(_, d)| d.contains(env.time_bit()))
        || window.deps().is_some_and(|d| d.contains(env.time_bit()));
    if needs_time {
        env.warnings.push(WarningOut {
            code: "W0104",
            message: "no evaluation time was given: validity dates and time rules cannot be decided (pass --at)".into(),
        });
    }
    let validity_status = match (&window, env.at) {
        (_, None) if policy.meta.valid_from.is_some() || policy.meta.valid_until.is_some() => {
            "unknown"
        }
        (V::Known(Value::Bool(false)), Some(t)) => {
            let d = env.local_date(t);
            if policy.meta.valid_from.is_some_and(|f| d < f) {
                "not_yet_valid"
            } else {
                "expired"
            }
        }
        _ => "valid",
    };
    if matches!(validity_status, "expired" | "not_yet_valid") {
        env.warnings.push(WarningOut {
            code: "W0105",
            message: format!(
                "the policy is {} at the evaluation time: no rule applies (valid {} – {})",
                if validity_status == "expired" {
                    "expired"
                } else {
                    "not yet valid"
                },
                policy
                    .meta
                    .valid_from
                    .map(crate::time::format_date)
                    .unwrap_or_else(|| "…".into()),
                policy
                    .meta
                    .valid_until
                    .map(crate::time::format_date)
                    .unwrap_or_else(|| "…".into()),
            ),
        });
    }
    Decision {
        policy: PolicyRef {
            id: policy.meta.id.clone(),
            version: policy.meta.version.clone(),
            title: policy.meta.title.clone(),
            source: policy.meta.source.clone(),
        },
        at: env
            .at
            .map(|t| crate::time::format_instant(t, policy.calendar.zone.offset_at(t))),
        validity: Validity {
            status: validity_status,
            valid_from: policy.meta.valid_from.map(crate::time::format_date),
            valid_until: policy.meta.valid_until.map(crate::time::format_date),
        },
        complete: pending.is_empty() && !needs_time,
        questions,
        actions,
        ticket_fields,
        scripts,
        outcomes,
        outcome_details,
        deadlines,
        open: opens,
        pending,
        warnings: std::mem::take(&mut env.warnings),
    }
}

fn push<T>(v: &mut [Vec<T>], i: u32, x: T) {
    if let Some(slot) = v.get_mut(i as usize) {
        slot.push(x);
    }
}

/// Whether an output is present ("ask", "say", "required"), absent (None) or undecided.
fn presence(c: &[Contrib]) -> (Option<&'static str>, Vec<u32>, Option<Deps>) {
    let certain: Vec<u32> = c
        .iter()
        .filter(|x| x.eff.is_true())
        .map(|x| x.rule)
        .collect();
    if !certain.is_empty() {
        let status = "present";
        return (Some(status), certain, None);
    }
    let mut deps: Option<Deps> = None;
    let mut rules = Vec::new();
    for x in c {
        if let V::Unknown(d) = x.eff {
            deps.get_or_insert_with(Deps::default).union(d);
            rules.push(x.rule);
        }
    }
    match deps {
        Some(d) => (Some("undecided"), rules, Some(d)),
        None => (None, Vec::new(), None),
    }
}

fn decide_action(
    policy: &Policy,
    a: &ActionDef,
    c: &[(usize, Contrib)],
) -> (ActionOut, Option<Deps>) {
    let mut certain = [false; 4];
    let mut possible = [false; 4];
    let mut deps = Deps::default();
    for (k, x) in c {
        if let Some(p) = possible.get_mut(*k) {
            *p = true;
        }
        match x.eff {
            V::Known(_) => {
                if let Some(s) = certain.get_mut(*k) {
                    *s = true;
                }
            }
            V::Unknown(d) => deps.union(d),
        }
    }
    // The verdict for every set of kinds between `certain` and `possible`.
    let uncertain: Vec<usize> = (0..4)
        .filter(|k| possible.get(*k) == Some(&true) && certain.get(*k) != Some(&true))
        .collect();
    let mut results = Vec::new();
    for mask in 0..(1u32 << uncertain.len()) {
        let mut set = certain;
        for (bit, k) in uncertain.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                if let Some(s) = set.get_mut(*k) {
                    *s = true;
                }
            }
        }
        let r = combine(set, a.default);
        if !results.contains(&r) {
            results.push(r);
        }
    }
    let rules_of = |kinds: &[usize]| -> Vec<u32> {
        c.iter()
            .filter(|(k, x)| kinds.contains(k) && x.eff.is_true())
            .map(|(_, x)| x.rule)
            .collect()
    };
    let (verdict, reason, rules, deps) = match results.as_slice() {
        [Combined::Verdict(v)] => {
            let kinds: &[usize] = match v {
                Verdict::Required => &[REQUIRE],
                Verdict::Forbidden => &[FORBID],
                Verdict::Allowed => &[ALLOW],
            };
            (verdict_word(*v), None, rules_of(kinds), None)
        }
        [Combined::Default(v)] => (verdict_word(*v), None, Vec::new(), None),
        [Combined::NoRule] => ("undecided", Some("no_rule"), Vec::new(), None),
        [Combined::Open] => ("undecided", Some("open"), rules_of(&[OPEN]), None),
        [Combined::Conflict] => (
            "undecided",
            Some("conflict"),
            rules_of(&[REQUIRE, FORBID]),
            None,
        ),
        _ => {
            let rules = c
                .iter()
                .filter(|(_, x)| !x.eff.is_false())
                .map(|(_, x)| x.rule)
                .collect();
            ("undecided", Some("pending"), rules, Some(deps))
        }
    };
    let out = ActionOut {
        id: a.name.clone(),
        text: a.text.clone(),
        verdict,
        because: because(policy, rules),
        reason,
        waiting_on: Vec::new(),
    };
    (out, deps)
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

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Required => "required",
        Verdict::Allowed => "allowed",
        Verdict::Forbidden => "forbidden",
    }
}

enum ValueDecision {
    Set(Value, Vec<u32>),
    Unset,
    Conflict(Vec<u32>),
    Undecided(Deps, Vec<u32>),
}

/// One value from every effective `set`; several different values are a conflict.
fn decide_value(vals: &[(Contrib, V)]) -> ValueDecision {
    let mut certain: Vec<(&Value, u32)> = Vec::new();
    let mut deps: Option<Deps> = None;
    let mut uncertain: Vec<(Option<&Value>, u32)> = Vec::new();
    for (c, v) in vals {
        match (c.eff, v) {
            (V::Known(_), V::Known(x)) => certain.push((x, c.rule)),
            (V::Known(_), V::Unknown(d)) => {
                deps.get_or_insert_with(Deps::default).union(d);
                uncertain.push((None, c.rule));
            }
            (V::Unknown(d), x) => {
                deps.get_or_insert_with(Deps::default).union(d);
                if let V::Unknown(d2) = x {
                    deps.get_or_insert_with(Deps::default).union(d2);
                }
                uncertain.push((
                    match x {
                        V::Known(x) => Some(x),
                        _ => None,
                    },
                    c.rule,
                ));
            }
        }
    }
    let rules: Vec<u32> = certain.iter().map(|(_, r)| *r).collect();
    if let Some((first, _)) = certain.first() {
        if certain.iter().any(|(v, _)| !v.equals(first)) {
            return ValueDecision::Conflict(rules);
        }
        if uncertain
            .iter()
            .all(|(v, _)| v.is_some_and(|v| v.equals(first)))
        {
            return ValueDecision::Set((*first).clone(), rules);
        }
    }
    match deps {
        Some(d) if !uncertain.is_empty() => {
            let mut r = rules;
            r.extend(uncertain.iter().map(|(_, r)| *r));
            ValueDecision::Undecided(d, r)
        }
        _ => ValueDecision::Unset,
    }
}

/// The earliest due time; undecided while an unknown rule could make it earlier.
fn decide_earliest(
    vals: &[(Contrib, V)],
) -> (Option<&'static str>, Option<i64>, Vec<u32>, Option<Deps>) {
    let mut best: Option<(i64, u32)> = None;
    let mut deps: Option<Deps> = None;
    let mut maybe: Vec<Option<i64>> = Vec::new();
    for (c, v) in vals {
        match (c.eff, v) {
            (V::Known(_), V::Known(Value::DateTime(t))) => {
                if best.is_none_or(|(b, _)| *t < b) {
                    best = Some((*t, c.rule));
                }
            }
            (eff, v) => {
                if let V::Unknown(d) = eff {
                    deps.get_or_insert_with(Deps::default).union(d);
                }
                match v {
                    V::Unknown(d) => {
                        deps.get_or_insert_with(Deps::default).union(d);
                        maybe.push(None);
                    }
                    V::Known(Value::DateTime(t)) => maybe.push(Some(*t)),
                    V::Known(_) => {}
                }
            }
        }
    }
    match best {
        Some((t, r)) if maybe.iter().all(|m| m.is_some_and(|m| m >= t)) => {
            (Some("set"), Some(t), vec![r], None)
        }
        _ if deps.is_some() => (Some("undecided"), None, Vec::new(), deps),
        _ => (None, None, Vec::new(), None),
    }
}

/// `pending` when some fact it waits on can still be asked, else `unanswered`.
fn reason_of(env: &Env, d: &Deps) -> &'static str {
    let askable = d
        .iter()
        .any(|i| i >= env.case.len() || matches!(env.case.get(i), Some(FactValue::Absent)));
    if askable {
        "pending"
    } else if d.is_empty() {
        "error"
    } else {
        "unanswered"
    }
}

fn names_of(policy: &Policy, env: &Env, deps: Option<&Deps>) -> Vec<String> {
    let Some(d) = deps else { return Vec::new() };
    d.iter()
        .filter_map(|i| match policy.facts.get(i) {
            Some(f) => Some(f.name.clone()),
            None if i == env.time_bit() => Some("@at".to_string()),
            None => None,
        })
        .collect()
}

/// Facts not yet asked that would help decide something, the one deciding most first.
fn pending_list(env: &Env, waiting: &[(String, Deps)]) -> Vec<PendingOut> {
    let policy = env.policy;
    let mut out: Vec<(usize, PendingOut)> = Vec::new();
    for (i, f) in policy.facts.iter().enumerate() {
        if !matches!(env.case.get(i), Some(FactValue::Absent)) {
            continue;
        }
        let decides: Vec<String> = waiting
            .iter()
            .filter(|(_, d)| d.contains(i))
            .map(|(n, _)| n.clone())
            .collect();
        if decides.is_empty() {
            continue;
        }
        out.push((
            i,
            PendingOut {
                fact: f.name.clone(),
                label: f.label.clone(),
                question: f.ask.clone(),
                ty: f.ty.to_string(),
                decides,
            },
        ));
    }
    out.sort_by(|(ia, a), (ib, b)| b.decides.len().cmp(&a.decides.len()).then(ia.cmp(ib)));
    out.into_iter().map(|(_, p)| p).collect()
}
