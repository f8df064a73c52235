//! What a case decides, by index: every output of the policy with its status, the
//! rules behind it and the facts it waits on, with no names or texts yet.
//!
//! This is the form the refinement compares and adopts, and the one both the
//! [`Decision`](super::decision::Decision) and the direct JSON writer are made from.

use super::combine::{
    decide_action, decide_earliest, decide_value, presence, Contrib, ValueDecision, ALLOW, FORBID,
    OPEN, REQUIRE,
};
use super::decision::WarningOut;
use super::render;
use super::status::{OutcomeStatus, Presence, UndecidedReason, ValidityStatus, Verdict};
use super::value3::{Deps, V};
use super::{Env, FactValue};
use crate::check::ir::*;
use crate::value::Value;

/// One output of the policy, for `pending.decides` and the refinement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OutputRef {
    Action(u32),
    Question(u32),
    Script(u32),
    Field(u32),
    Outcome(u32),
    Deadline(u32),
    /// The `open` effect of a rule whose condition is not known yet.
    Open(u32),
}

impl OutputRef {
    /// `actions.offer`, `open.rule_name`, … as the Decision names it.
    pub fn name(self, policy: &Policy) -> String {
        fn get<T>(v: &[T], i: u32, f: impl Fn(&T) -> &str) -> &str {
            v.get(i as usize).map_or("", f)
        }
        let (kind, name) = match self {
            OutputRef::Action(i) => ("actions", get(&policy.actions, i, |x| &x.name)),
            OutputRef::Question(i) => ("questions", get(&policy.questions, i, |x| &x.name)),
            OutputRef::Script(i) => ("scripts", get(&policy.scripts, i, |x| &x.name)),
            OutputRef::Field(i) => ("ticket_fields", get(&policy.fields, i, |x| &x.name)),
            OutputRef::Outcome(i) => ("outcomes", get(&policy.outcomes, i, |x| &x.name)),
            OutputRef::Deadline(i) => ("deadlines", get(&policy.deadlines, i, |x| &x.name)),
            OutputRef::Open(i) => ("open", get(&policy.rules, i, |x| &x.name)),
        };
        format!("{kind}.{name}")
    }
}

/// An action's verdict. `deps` is set while the verdict waits on facts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionV {
    pub verdict: Verdict,
    pub reason: Option<UndecidedReason>,
    pub rules: Vec<u32>,
    pub deps: Option<Deps>,
}

impl ActionV {
    /// Stands for an action the refinement does not look at.
    const PLACEHOLDER: ActionV = ActionV {
        verdict: Verdict::Undecided,
        reason: None,
        rules: Vec::new(),
        deps: None,
    };
}

/// Whether an effect bears on one of the wanted outputs.
fn wanted_effect(e: &CEffect, want: &impl Fn(OutputRef) -> bool) -> bool {
    match e {
        CEffect::Ask(q) => want(OutputRef::Question(*q)),
        CEffect::Say(s) => want(OutputRef::Script(*s)),
        CEffect::RequireField(f) | CEffect::SetField(f, _) => want(OutputRef::Field(*f)),
        CEffect::Require(a) | CEffect::Allow(a) | CEffect::Forbid(a) => want(OutputRef::Action(*a)),
        CEffect::SetOutcome(o, _) => want(OutputRef::Outcome(*o)),
        CEffect::DueWithin { deadline, .. } | CEffect::DueBy { deadline, .. } => {
            want(OutputRef::Deadline(*deadline))
        }
        CEffect::Open { target, .. } => match target {
            Some(OpenTarget::Action(a)) => want(OutputRef::Action(*a)),
            Some(OpenTarget::Outcome(o)) => want(OutputRef::Outcome(*o)),
            None => false,
        },
    }
}

/// A question, ticket field, script or deadline that is present or may be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemV {
    pub index: u32,
    /// Asked / required / said / set, or undecided.
    pub status: Presence,
    pub rules: Vec<u32>,
    pub deps: Option<Deps>,
    /// A ticket field's prescribed value.
    pub value: Option<Value>,
    /// A deadline's due time.
    pub due: Option<i64>,
    /// A script's text and the placeholders it could not fill in.
    pub text: String,
    pub missing: Vec<String>,
}

impl ItemV {
    fn new(index: usize, status: Presence, rules: Vec<u32>, deps: Option<Deps>) -> ItemV {
        ItemV {
            index: index as u32,
            status,
            rules,
            deps,
            value: None,
            due: None,
            text: String::new(),
            missing: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutcomeV {
    pub status: OutcomeStatus,
    pub value: Option<Value>,
    pub rules: Vec<u32>,
    pub reason: Option<UndecidedReason>,
    pub deps: Option<Deps>,
}

impl OutcomeV {
    /// Stands for an outcome the refinement does not look at.
    const PLACEHOLDER: OutcomeV = OutcomeV {
        status: OutcomeStatus::Unset,
        value: None,
        rules: Vec::new(),
        reason: None,
        deps: None,
    };
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OpenV {
    pub rule: u32,
    pub target: Option<OpenTarget>,
    /// The `open` effect's place among the rule's effects, for its reason.
    pub effect: u32,
}

impl OpenV {
    /// The reason the SOP leaves this point open, as the policy states it.
    pub fn reason<'p>(&self, policy: &'p Policy) -> &'p str {
        match policy
            .rules
            .get(self.rule as usize)
            .and_then(|r| r.effects.get(self.effect as usize))
        {
            Some(CEffect::Open { reason, .. }) => reason,
            _ => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingV {
    pub fact: u32,
    pub decides: Vec<OutputRef>,
}

/// Everything a case decides, by index, in declaration order.
#[derive(Debug, Clone)]
pub(crate) struct Outputs {
    pub at: Option<i64>,
    pub validity: ValidityStatus,
    pub complete: bool,
    pub questions: Vec<ItemV>,
    /// One per action of the policy.
    pub actions: Vec<ActionV>,
    pub fields: Vec<ItemV>,
    pub scripts: Vec<ItemV>,
    /// One per outcome of the policy.
    pub outcomes: Vec<OutcomeV>,
    pub deadlines: Vec<ItemV>,
    pub opens: Vec<OpenV>,
    pub pending: Vec<PendingV>,
    pub warnings: Vec<WarningOut>,
    /// Whether something waits on the evaluation time (W0104).
    pub needs_time: bool,
}

/// Per-output contributions, gathered from the rules in declaration order.
struct Gathered<'a> {
    verdicts: Vec<Vec<(usize, Contrib<'a>)>>,
    asks: Vec<Vec<Contrib<'a>>>,
    says: Vec<Vec<Contrib<'a>>>,
    field_req: Vec<Vec<Contrib<'a>>>,
    field_val: Vec<Vec<(Contrib<'a>, V)>>,
    outcome_val: Vec<Vec<(Contrib<'a>, V)>>,
    outcome_open: Vec<Vec<Contrib<'a>>>,
    dues: Vec<Vec<(Contrib<'a>, V)>>,
}

fn empty<T>(n: usize) -> Vec<Vec<T>> {
    (0..n).map(|_| Vec::new()).collect()
}

fn push<T>(v: &mut [Vec<T>], i: u32, x: T) {
    if let Some(slot) = v.get_mut(i as usize) {
        slot.push(x);
    }
}

fn slice<T>(v: &[Vec<T>], i: usize) -> &[T] {
    v.get(i).map(Vec::as_slice).unwrap_or(&[])
}

/// Decides every output from the rules' effectiveness (`effective[i]` for rule `i`).
///
/// With `wanted`, only those outputs are decided (the others are left out, or
/// stand as placeholders in `actions` and `outcomes`), with no pending list and no
/// warnings: what the refinement needs to compare one answer with another.
pub(crate) fn decide(
    env: &mut Env,
    effective: &[V],
    window: V,
    wanted: Option<&[OutputRef]>,
) -> Outputs {
    let policy = env.policy;
    let full = wanted.is_none();
    let want = |r: OutputRef| wanted.is_none_or(|w| w.contains(&r));
    let mut g = Gathered {
        verdicts: empty(policy.actions.len()),
        asks: empty(policy.questions.len()),
        says: empty(policy.scripts.len()),
        field_req: empty(policy.fields.len()),
        field_val: empty(policy.fields.len()),
        outcome_val: empty(policy.outcomes.len()),
        outcome_open: empty(policy.outcomes.len()),
        dues: empty(policy.deadlines.len()),
    };
    let mut opens: Vec<OpenV> = Vec::new();
    // Undecided outputs and what they wait on, for `pending`.
    let mut waiting: Vec<(OutputRef, Deps)> = Vec::new();
    let mut open_pending: Vec<(OutputRef, Deps)> = Vec::new();

    for (ri, r) in policy.rules.iter().enumerate() {
        let Some(eff) = effective.get(ri) else {
            continue;
        };
        if eff.is_false() {
            continue;
        }
        let rule = ri as u32;
        for (ei, e) in r.effects.iter().enumerate() {
            let c = Contrib { rule, eff };
            if !full && !wanted_effect(e, &want) {
                continue;
            }
            match e {
                CEffect::Ask(q) => push(&mut g.asks, *q, c),
                CEffect::Say(s) => push(&mut g.says, *s, c),
                CEffect::RequireField(f) => push(&mut g.field_req, *f, c),
                CEffect::Require(a) => push(&mut g.verdicts, *a, (REQUIRE, c)),
                CEffect::Allow(a) => push(&mut g.verdicts, *a, (ALLOW, c)),
                CEffect::Forbid(a) => push(&mut g.verdicts, *a, (FORBID, c)),
                CEffect::SetField(f, v) => {
                    let v = env.eval(v);
                    push(&mut g.field_val, *f, (c, v));
                }
                CEffect::SetOutcome(o, v) => {
                    let v = env.eval(v);
                    push(&mut g.outcome_val, *o, (c, v));
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
                            let due = match working {
                                Working::No => Some(t.saturating_add(d)),
                                Working::Hours => {
                                    super::calendar::add_working(&policy.calendar, t, d)
                                }
                                Working::Days => {
                                    super::calendar::add_working_days(&policy.calendar, t, d)
                                }
                            };
                            match due {
                                Some(due) => V::Known(Value::DateTime(due)),
                                None => {
                                    env.runtime_error(format!(
                                        "cannot count working time for deadline `{}`: the calendar has no opening hours for it within {} days",
                                        policy.deadlines.get(*deadline as usize).map_or("?", |x| x.name.as_str()),
                                        super::calendar::MAX_DAYS
                                    ));
                                    V::Unknown(Deps::default())
                                }
                            }
                        }
                        (V::Unknown(mut x), V::Unknown(y)) => {
                            x.union(&y);
                            V::Unknown(x)
                        }
                        (V::Unknown(x), _) | (_, V::Unknown(x)) => V::Unknown(x),
                        _ => V::Unknown(Deps::default()),
                    };
                    push(&mut g.dues, *deadline, (c, v));
                }
                CEffect::DueBy { deadline, at } => {
                    let v = env.eval(at);
                    push(&mut g.dues, *deadline, (c, v));
                }
                CEffect::Open { target, .. } => {
                    match target {
                        Some(OpenTarget::Action(a)) => push(&mut g.verdicts, *a, (OPEN, c)),
                        Some(OpenTarget::Outcome(o)) => push(&mut g.outcome_open, *o, c),
                        None => {}
                    }
                    match eff {
                        _ if !full => {}
                        V::Known(_) => opens.push(OpenV {
                            rule,
                            target: *target,
                            effect: ei as u32,
                        }),
                        V::Unknown(d) => open_pending.push((OutputRef::Open(rule), d.clone())),
                    }
                }
            }
        }
    }

    let mut actions = Vec::with_capacity(policy.actions.len());
    for (ai, a) in policy.actions.iter().enumerate() {
        if !want(OutputRef::Action(ai as u32)) {
            actions.push(ActionV::PLACEHOLDER);
            continue;
        }
        let mut out = decide_action(a, slice(&g.verdicts, ai));
        if let Some(d) = &out.deps {
            out.reason = Some(reason_of(env, d));
            waiting.push((OutputRef::Action(ai as u32), d.clone()));
        }
        if full && out.reason == Some(UndecidedReason::Conflict) {
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
    for qi in 0..policy.questions.len() {
        if !want(OutputRef::Question(qi as u32)) {
            continue;
        }
        let (status, rules, deps) = presence(slice(&g.asks, qi));
        let Some(status) = status else { continue };
        if let Some(d) = &deps {
            waiting.push((OutputRef::Question(qi as u32), d.clone()));
        }
        questions.push(ItemV::new(qi, status, rules, deps));
    }

    let mut scripts = Vec::new();
    for (si, s) in policy.scripts.iter().enumerate() {
        if !want(OutputRef::Script(si as u32)) {
            continue;
        }
        let (status, rules, deps) = presence(slice(&g.says, si));
        let Some(status) = status else { continue };
        if let Some(d) = &deps {
            waiting.push((OutputRef::Script(si as u32), d.clone()));
        }
        let (text, missing) = render::script(env, s);
        if let Some(max) = s.max_chars {
            let length = text.chars().count();
            if full && length > max as usize && missing.is_empty() {
                env.warnings.push(WarningOut {
                    code: "W0101",
                    message: format!(
                        "script `{}` is {length} characters long, more than its limit of {max}",
                        s.name
                    ),
                });
            }
        }
        let mut item = ItemV::new(si, status, rules, deps);
        item.text = text;
        item.missing = missing;
        scripts.push(item);
    }

    let mut fields = Vec::new();
    for fi in 0..policy.fields.len() {
        if !want(OutputRef::Field(fi as u32)) {
            continue;
        }
        let req = slice(&g.field_req, fi);
        let vals = slice(&g.field_val, fi);
        // A prescribed value also makes the field mandatory.
        let all: Vec<Contrib> = req
            .iter()
            .copied()
            .chain(vals.iter().map(|(c, _)| *c))
            .collect();
        let (status, rules, mut deps) = presence(&all);
        let Some(status) = status else { continue };
        let value = match decide_value(vals) {
            ValueDecision::Set(v, _) => Some(v),
            ValueDecision::Undecided(d, _) => {
                deps.get_or_insert_with(Deps::default).union(&d);
                None
            }
            _ => None,
        };
        let status = if status == Presence::Present && deps.is_none() {
            Presence::Present
        } else {
            Presence::Undecided
        };
        if let Some(d) = &deps {
            waiting.push((OutputRef::Field(fi as u32), d.clone()));
        }
        let mut item = ItemV::new(fi, status, rules, deps);
        item.value = value;
        fields.push(item);
    }

    let mut outcomes = Vec::with_capacity(policy.outcomes.len());
    for (oi, o) in policy.outcomes.iter().enumerate() {
        if !want(OutputRef::Outcome(oi as u32)) {
            outcomes.push(OutcomeV::PLACEHOLDER);
            continue;
        }
        let out = decide_outcome(
            env,
            o,
            slice(&g.outcome_val, oi),
            slice(&g.outcome_open, oi),
            full,
        );
        if let Some(d) = &out.deps {
            waiting.push((OutputRef::Outcome(oi as u32), d.clone()));
        }
        outcomes.push(out);
    }

    let mut deadlines = Vec::new();
    for di in 0..policy.deadlines.len() {
        if !want(OutputRef::Deadline(di as u32)) {
            continue;
        }
        let vals = slice(&g.dues, di);
        if vals.is_empty() {
            continue;
        }
        let (status, due, rules, deps) = decide_earliest(vals);
        if let Some(d) = &deps {
            waiting.push((OutputRef::Deadline(di as u32), d.clone()));
        }
        let Some(status) = status else { continue };
        let mut item = ItemV::new(di, status, rules, deps);
        item.due = due;
        deadlines.push(item);
    }
    waiting.extend(open_pending);

    let pending = if full {
        pending_list(env, &waiting)
    } else {
        Vec::new()
    };
    let needs_time = waiting.iter().any(|(_, d)| d.contains(env.time_bit()))
        || window.deps().is_some_and(|d| d.contains(env.time_bit()));
    if full && needs_time {
        env.warnings.push(WarningOut {
            code: "W0104",
            message: "no evaluation time was given: validity dates and time rules cannot be decided (pass --at)".into(),
        });
    }
    let validity = validity_status(env, &window);
    if full
        && matches!(
            validity,
            ValidityStatus::Expired | ValidityStatus::NotYetValid
        )
    {
        env.warnings.push(expired_warning(policy, validity));
    }
    Outputs {
        at: env.at,
        validity,
        complete: pending.is_empty() && !needs_time,
        questions,
        actions,
        fields,
        scripts,
        outcomes,
        deadlines,
        opens,
        pending,
        warnings: std::mem::take(&mut env.warnings),
        needs_time,
    }
}

fn validity_status(env: &Env, window: &V) -> ValidityStatus {
    let meta = &env.policy.meta;
    match (window, env.at) {
        (_, None) if meta.valid_from.is_some() || meta.valid_until.is_some() => {
            ValidityStatus::Unknown
        }
        (V::Known(Value::Bool(false)), Some(t)) => {
            let d = env.local_date(t);
            if meta.valid_from.is_some_and(|f| d < f) {
                ValidityStatus::NotYetValid
            } else {
                ValidityStatus::Expired
            }
        }
        _ => ValidityStatus::Valid,
    }
}

fn expired_warning(policy: &Policy, validity: ValidityStatus) -> WarningOut {
    let date = |d: Option<i32>| {
        d.map(crate::time::format_date)
            .unwrap_or_else(|| "…".into())
    };
    WarningOut {
        code: "W0105",
        message: format!(
            "the policy is {} at the evaluation time: no rule applies (valid {} – {})",
            if validity == ValidityStatus::Expired {
                "expired"
            } else {
                "not yet valid"
            },
            date(policy.meta.valid_from),
            date(policy.meta.valid_until),
        ),
    }
}

fn decide_outcome(
    env: &mut Env,
    o: &OutcomeDef,
    vals: &[(Contrib, V)],
    open: &[Contrib],
    warn: bool,
) -> OutcomeV {
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
    let (status, value, rules, reason, mut deps) = if !open_certain.is_empty() {
        (
            OutcomeStatus::Undecided,
            None,
            open_certain,
            Some(UndecidedReason::Open),
            None,
        )
    } else {
        match decide_value(vals) {
            ValueDecision::Set(v, rules) => (OutcomeStatus::Set, Some(v), rules, None, None),
            ValueDecision::Unset => match &o.default {
                Some(d) => (
                    OutcomeStatus::Default,
                    Some(d.clone()),
                    Vec::new(),
                    None,
                    None,
                ),
                None => (OutcomeStatus::Unset, None, Vec::new(), None, None),
            },
            ValueDecision::Conflict(rules) => {
                if warn {
                    env.warnings.push(WarningOut {
                        code: "W0103",
                        message: format!(
                            "rules give `{}` different values and none overrides the other",
                            o.name
                        ),
                    });
                }
                (
                    OutcomeStatus::Undecided,
                    None,
                    rules,
                    Some(UndecidedReason::Conflict),
                    None,
                )
            }
            ValueDecision::Undecided(d, rules) => (
                OutcomeStatus::Undecided,
                None,
                rules,
                Some(reason_of(env, &d)),
                Some(d),
            ),
        }
    };
    if !open_deps.is_empty() && status != OutcomeStatus::Undecided {
        deps = Some(open_deps);
    }
    let (status, value) = if deps.is_some() {
        (OutcomeStatus::Undecided, None)
    } else {
        (status, value)
    };
    let reason = match (&deps, reason) {
        (Some(d), None) => Some(reason_of(env, d)),
        (_, r) => r,
    };
    OutcomeV {
        status,
        value,
        rules,
        reason,
        deps,
    }
}

/// `pending` when some fact it waits on can still be asked, else `unanswered`.
fn reason_of(env: &Env, d: &Deps) -> UndecidedReason {
    let askable = d
        .iter()
        .any(|i| i >= env.case.len() || matches!(env.case.get(i), Some(FactValue::Absent)));
    if askable {
        UndecidedReason::Pending
    } else if d.is_empty() {
        UndecidedReason::Error
    } else {
        UndecidedReason::Unanswered
    }
}

/// Facts not yet asked that would help decide something, the one deciding most first.
pub(crate) fn pending_list(env: &Env, waiting: &[(OutputRef, Deps)]) -> Vec<PendingV> {
    let mut out: Vec<PendingV> = Vec::new();
    for i in 0..env.policy.facts.len() {
        if !matches!(env.case.get(i), Some(FactValue::Absent)) {
            continue;
        }
        let decides: Vec<OutputRef> = waiting
            .iter()
            .filter(|(_, d)| d.contains(i))
            .map(|(n, _)| *n)
            .collect();
        if decides.is_empty() {
            continue;
        }
        out.push(PendingV {
            fact: i as u32,
            decides,
        });
    }
    sort_pending(&mut out);
    out
}

/// The fact that settles most first; declaration order between equals.
pub(crate) fn sort_pending(p: &mut [PendingV]) {
    p.sort_by(|a, b| {
        b.decides
            .len()
            .cmp(&a.decides.len())
            .then(a.fact.cmp(&b.fact))
    });
}
