//! What a case decides, by index: every output of the policy with its status, the
//! rules behind it and the facts it waits on, with no names or texts yet.
//!
//! This is the form the refinement compares and adopts, and the one the JSON
//! writer (`json_out.rs`) writes the Decision from. Every vector here is reused
//! from case to case ([`Outputs::recycle`], [`Scratch`]): a complete case
//! allocates nothing to be decided.

use super::combine::{
    decide_action, decide_earliest, decide_value, presence, Contrib, ValueDecision, ALLOW, FORBID,
    OPEN, REQUIRE,
};
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
    /// An item for output `index`, from the spare ones when there is one (its
    /// vectors and text keep their capacity).
    fn take(spare: &mut Vec<ItemV>, index: usize) -> ItemV {
        let mut item = spare.pop().unwrap_or(ItemV {
            index: 0,
            status: Presence::Undecided,
            rules: Vec::new(),
            deps: None,
            value: None,
            due: None,
            text: String::new(),
            missing: Vec::new(),
        });
        item.index = index as u32;
        item.status = Presence::Undecided;
        item.rules.clear();
        item.deps = None;
        item.value = None;
        item.due = None;
        item.text.clear();
        item.missing.clear();
        item
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

/// A warning of one case: a `W01xx` code and its message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// Everything a case decides, by index, in declaration order.
#[derive(Debug, Clone, Default)]
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
    pub warnings: Vec<Warning>,
    /// Whether something waits on the evaluation time (W0104).
    pub needs_time: bool,
}

impl Outputs {
    /// Empties every list for the next case, keeping what can be reused in `s`.
    pub fn recycle(&mut self, s: &mut Scratch) {
        for list in [
            &mut self.questions,
            &mut self.fields,
            &mut self.scripts,
            &mut self.deadlines,
        ] {
            s.spare_items.append(list);
        }
        s.spare_pending.append(&mut self.pending);
        self.opens.clear();
        self.warnings.clear();
    }
}

/// The working space of [`decide`], kept from case to case.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    g: Gathered,
    /// Undecided outputs and what they wait on, for `pending`.
    waiting: Vec<(OutputRef, Deps)>,
    open_pending: Vec<(OutputRef, Deps)>,
    contribs: Vec<Contrib>,
    /// Rules behind a field's value (its own rules come from `presence`).
    value_rules: Vec<u32>,
    spare_items: Vec<ItemV>,
    spare_pending: Vec<PendingV>,
}

/// Per-output contributions, gathered from the rules in declaration order.
#[derive(Debug, Default)]
struct Gathered {
    verdicts: Vec<Vec<(usize, Contrib)>>,
    asks: Vec<Vec<Contrib>>,
    says: Vec<Vec<Contrib>>,
    field_req: Vec<Vec<Contrib>>,
    field_val: Vec<Vec<(Contrib, V)>>,
    outcome_val: Vec<Vec<(Contrib, V)>>,
    outcome_open: Vec<Vec<Contrib>>,
    dues: Vec<Vec<(Contrib, V)>>,
}

impl Gathered {
    fn reset(&mut self, policy: &Policy) {
        fn reset<T>(v: &mut Vec<Vec<T>>, n: usize) {
            v.resize_with(n, Vec::new);
            v.iter_mut().for_each(Vec::clear);
        }
        reset(&mut self.verdicts, policy.actions.len());
        reset(&mut self.asks, policy.questions.len());
        reset(&mut self.says, policy.scripts.len());
        reset(&mut self.field_req, policy.fields.len());
        reset(&mut self.field_val, policy.fields.len());
        reset(&mut self.outcome_val, policy.outcomes.len());
        reset(&mut self.outcome_open, policy.outcomes.len());
        reset(&mut self.dues, policy.deadlines.len());
    }
}

fn push<T>(v: &mut [Vec<T>], i: u32, x: T) {
    if let Some(slot) = v.get_mut(i as usize) {
        slot.push(x);
    }
}

fn slice<T>(v: &[Vec<T>], i: usize) -> &[T] {
    v.get(i).map(Vec::as_slice).unwrap_or(&[])
}

/// Decides every output into `o` (emptied with [`Outputs::recycle`] first) from
/// the rules' effectiveness (`effective[i]` for rule `i`).
///
/// With `wanted`, only those outputs are decided (the others are left out, or
/// stand as placeholders in `actions` and `outcomes`), with no pending list and no
/// warnings: what the refinement needs to compare one answer with another.
pub(crate) fn decide(
    env: &mut Env,
    effective: &[V],
    window: V,
    wanted: Option<&[OutputRef]>,
    s: &mut Scratch,
    o: &mut Outputs,
) {
    let policy = env.policy;
    let full = wanted.is_none();
    let want = |r: OutputRef| wanted.is_none_or(|w| w.contains(&r));
    let g = &mut s.g;
    g.reset(policy);
    s.waiting.clear();
    s.open_pending.clear();

    for (ri, r) in policy.rules.iter().enumerate() {
        let Some(eff) = effective.get(ri) else {
            continue;
        };
        if eff.is_false() {
            continue;
        }
        let rule = ri as u32;
        for (ei, e) in r.effects.iter().enumerate() {
            let c = Contrib { rule };
            if !full && !wanted_effect(e, &want) {
                continue;
            }
            match e {
                CEffect::Ask(q) => push(&mut g.asks, *q, c),
                CEffect::Say(x) => push(&mut g.says, *x, c),
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
                        V::Known(_) => o.opens.push(OpenV {
                            rule,
                            target: *target,
                            effect: ei as u32,
                        }),
                        V::Unknown(d) => s.open_pending.push((OutputRef::Open(rule), d.clone())),
                    }
                }
            }
        }
    }
    let g = &s.g;
    let waiting = &mut s.waiting;

    o.actions
        .resize_with(policy.actions.len(), || ActionV::PLACEHOLDER);
    for ((ai, a), out) in policy.actions.iter().enumerate().zip(&mut o.actions) {
        if !want(OutputRef::Action(ai as u32)) {
            out.verdict = Verdict::Undecided;
            out.reason = None;
            out.rules.clear();
            out.deps = None;
            continue;
        }
        decide_action(a, slice(&g.verdicts, ai), effective, out);
        if let Some(d) = &out.deps {
            out.reason = Some(reason_of(env, d));
            waiting.push((OutputRef::Action(ai as u32), d.clone()));
        }
        if full && out.reason == Some(UndecidedReason::Conflict) {
            env.warnings.push(Warning {
                code: "W0103",
                message: format!(
                    "rules both require and forbid `{}` and none overrides the other",
                    a.name
                ),
            });
        }
    }

    for qi in 0..policy.questions.len() {
        if !want(OutputRef::Question(qi as u32)) {
            continue;
        }
        let mut item = ItemV::take(&mut s.spare_items, qi);
        let (status, deps) = presence(slice(&g.asks, qi), effective, &mut item.rules);
        let Some(status) = status else {
            s.spare_items.push(item);
            continue;
        };
        if let Some(d) = &deps {
            waiting.push((OutputRef::Question(qi as u32), d.clone()));
        }
        item.status = status;
        item.deps = deps;
        o.questions.push(item);
    }

    for (si, sd) in policy.scripts.iter().enumerate() {
        if !want(OutputRef::Script(si as u32)) {
            continue;
        }
        let mut item = ItemV::take(&mut s.spare_items, si);
        let (status, deps) = presence(slice(&g.says, si), effective, &mut item.rules);
        let Some(status) = status else {
            s.spare_items.push(item);
            continue;
        };
        if let Some(d) = &deps {
            waiting.push((OutputRef::Script(si as u32), d.clone()));
        }
        render::script(env, sd, &mut item.text, &mut item.missing);
        if let Some(max) = sd.max_chars {
            let length = item.text.chars().count();
            if full && length > max as usize && item.missing.is_empty() {
                env.warnings.push(Warning {
                    code: "W0101",
                    message: format!(
                        "script `{}` is {length} characters long, more than its limit of {max}",
                        sd.name
                    ),
                });
            }
        }
        item.status = status;
        item.deps = deps;
        o.scripts.push(item);
    }

    for fi in 0..policy.fields.len() {
        if !want(OutputRef::Field(fi as u32)) {
            continue;
        }
        let req = slice(&g.field_req, fi);
        let vals = slice(&g.field_val, fi);
        // A prescribed value also makes the field mandatory.
        s.contribs.clear();
        s.contribs.extend(req.iter().copied());
        s.contribs.extend(vals.iter().map(|(c, _)| *c));
        let mut item = ItemV::take(&mut s.spare_items, fi);
        let (status, mut deps) = presence(&s.contribs, effective, &mut item.rules);
        let Some(status) = status else {
            s.spare_items.push(item);
            continue;
        };
        let value = match decide_value(vals, effective, &mut s.value_rules) {
            ValueDecision::Set(v) => Some(v.clone()),
            ValueDecision::Undecided(d) => {
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
        item.status = status;
        item.deps = deps;
        item.value = value;
        o.fields.push(item);
    }

    o.outcomes
        .resize_with(policy.outcomes.len(), || OutcomeV::PLACEHOLDER);
    for ((oi, od), out) in policy.outcomes.iter().enumerate().zip(&mut o.outcomes) {
        if !want(OutputRef::Outcome(oi as u32)) {
            out.status = OutcomeStatus::Unset;
            out.value = None;
            out.rules.clear();
            out.reason = None;
            out.deps = None;
            continue;
        }
        decide_outcome(
            env,
            od,
            slice(&g.outcome_val, oi),
            slice(&g.outcome_open, oi),
            effective,
            full,
            out,
        );
        if let Some(d) = &out.deps {
            waiting.push((OutputRef::Outcome(oi as u32), d.clone()));
        }
    }

    for di in 0..policy.deadlines.len() {
        if !want(OutputRef::Deadline(di as u32)) {
            continue;
        }
        let vals = slice(&g.dues, di);
        if vals.is_empty() {
            continue;
        }
        let mut item = ItemV::take(&mut s.spare_items, di);
        let (status, due, deps) = decide_earliest(vals, effective, &mut item.rules);
        if let Some(d) = &deps {
            waiting.push((OutputRef::Deadline(di as u32), d.clone()));
        }
        let Some(status) = status else {
            s.spare_items.push(item);
            continue;
        };
        item.status = status;
        item.due = due;
        item.deps = deps;
        o.deadlines.push(item);
    }
    waiting.append(&mut s.open_pending);

    if full {
        pending_list(env, waiting, &mut s.spare_pending, &mut o.pending);
    }
    let needs_time = waiting.iter().any(|(_, d)| d.contains(env.time_bit()))
        || window.deps().is_some_and(|d| d.contains(env.time_bit()));
    if full && needs_time {
        env.warnings.push(Warning {
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
    o.at = env.at;
    o.validity = validity;
    o.complete = o.pending.is_empty() && !needs_time;
    o.needs_time = needs_time;
    // The warnings move to `o`; `env` keeps `o`'s emptied vector for the next case.
    std::mem::swap(&mut o.warnings, &mut env.warnings);
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

fn expired_warning(policy: &Policy, validity: ValidityStatus) -> Warning {
    let date = |d: Option<i32>| {
        d.map(crate::time::format_date)
            .unwrap_or_else(|| "…".into())
    };
    Warning {
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
    effective: &[V],
    warn: bool,
    out: &mut OutcomeV,
) {
    let rules = &mut out.rules;
    rules.clear();
    rules.extend(
        open.iter()
            .filter(|c| c.eff(effective).is_true())
            .map(|c| c.rule),
    );
    let mut open_deps = Deps::default();
    for c in open {
        if let V::Unknown(d) = c.eff(effective) {
            open_deps.union(d);
        }
    }
    let (status, value, reason, mut deps) = if !rules.is_empty() {
        (
            OutcomeStatus::Undecided,
            None,
            Some(UndecidedReason::Open),
            None,
        )
    } else {
        match decide_value(vals, effective, rules) {
            ValueDecision::Set(v) => (OutcomeStatus::Set, Some(v.clone()), None, None),
            ValueDecision::Unset => match &o.default {
                Some(d) => (OutcomeStatus::Default, Some(d.clone()), None, None),
                None => (OutcomeStatus::Unset, None, None, None),
            },
            ValueDecision::Conflict => {
                if warn {
                    env.warnings.push(Warning {
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
                    Some(UndecidedReason::Conflict),
                    None,
                )
            }
            ValueDecision::Undecided(d) => (
                OutcomeStatus::Undecided,
                None,
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
    out.status = status;
    out.value = value;
    out.reason = reason;
    out.deps = deps;
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

/// Facts not yet asked that would help decide something, the one deciding most
/// first, into `out` (entries come from `spare` when there are some).
pub(crate) fn pending_list(
    env: &Env,
    waiting: &[(OutputRef, Deps)],
    spare: &mut Vec<PendingV>,
    out: &mut Vec<PendingV>,
) {
    for i in 0..env.policy.facts.len() {
        if !matches!(env.case.get(i), Some(FactValue::Absent)) {
            continue;
        }
        if !waiting.iter().any(|(_, d)| d.contains(i)) {
            continue;
        }
        let mut p = spare.pop().unwrap_or(PendingV {
            fact: 0,
            decides: Vec::new(),
        });
        p.fact = i as u32;
        p.decides.clear();
        p.decides.extend(
            waiting
                .iter()
                .filter(|(_, d)| d.contains(i))
                .map(|(n, _)| *n),
        );
        out.push(p);
    }
    sort_pending(out);
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
