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
use crate::check::ids::*;
use crate::check::ir::*;
use crate::value::Value;

/// One output of the policy, for `pending.decides` and the refinement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OutputRef {
    Action(ActionId),
    Question(QuestionId),
    Script(ScriptId),
    /// Whether a ticket field is mandatory.
    Field(FieldId),
    /// The value a ticket field is prescribed: a separate answer from whether the
    /// field is mandatory.
    FieldValue(FieldId),
    Outcome(OutcomeId),
    Deadline(DeadlineId),
    /// The `open` effect of a rule whose condition is not known yet.
    Open(RuleId),
}

impl OutputRef {
    /// `actions.offer`, `open.rule_name`, … as the Decision names it.
    pub fn name(self, policy: &Policy) -> String {
        let (kind, name) = match self {
            OutputRef::Action(i) => ("actions", &policy.actions[i].name),
            OutputRef::Question(i) => ("questions", &policy.questions[i].name),
            OutputRef::Script(i) => ("scripts", &policy.scripts[i].name),
            OutputRef::Field(i) => ("ticket_fields", &policy.fields[i].name),
            OutputRef::FieldValue(i) => {
                return format!("ticket_fields.{}.value", policy.fields[i].name)
            }
            OutputRef::Outcome(i) => ("outcomes", &policy.outcomes[i].name),
            OutputRef::Deadline(i) => ("deadlines", &policy.deadlines[i].name),
            OutputRef::Open(i) => ("open", &policy.rules[i].name),
        };
        format!("{kind}.{name}")
    }
}

/// An action's verdict. `deps` is set while the verdict waits on facts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionV {
    pub verdict: Verdict,
    pub reason: Option<UndecidedReason>,
    pub rules: Vec<RuleId>,
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
        CEffect::RequireField(f) => want(OutputRef::Field(*f)),
        CEffect::SetField(f, _) => want(OutputRef::Field(*f)) || want(OutputRef::FieldValue(*f)),
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
pub(crate) struct ItemV<I> {
    pub index: I,
    /// Asked / required / said / set, or undecided.
    pub status: Presence,
    pub rules: Vec<RuleId>,
    /// What `status` waits on (for a ticket field: whether it is mandatory).
    pub deps: Option<Deps>,
    /// A ticket field's prescribed value, when it is decided.
    pub value: Option<Value>,
    /// Why a ticket field's prescribed value is undecided, and what it waits on:
    /// a field can be certainly mandatory while its value still waits on facts.
    pub value_reason: Option<UndecidedReason>,
    pub value_deps: Option<Deps>,
    /// A deadline's due time.
    pub due: Option<i64>,
    /// A script's text and the placeholders it could not fill in.
    pub text: String,
    pub missing: Vec<String>,
}

impl<I: Id> ItemV<I> {
    /// An item for output `index`, from the spare ones when there is one (its
    /// vectors and text keep their capacity).
    fn take(spare: &mut Vec<ItemV<I>>, index: I) -> ItemV<I> {
        let mut item = spare.pop().unwrap_or(ItemV {
            index,
            status: Presence::Undecided,
            rules: Vec::new(),
            deps: None,
            value: None,
            value_reason: None,
            value_deps: None,
            due: None,
            text: String::new(),
            missing: Vec::new(),
        });
        item.index = index;
        item.status = Presence::Undecided;
        item.rules.clear();
        item.deps = None;
        item.value = None;
        item.value_reason = None;
        item.value_deps = None;
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
    pub rules: Vec<RuleId>,
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
    pub rule: RuleId,
    pub target: Option<OpenTarget>,
    /// The `open` effect's place among the rule's effects, for its reason.
    pub effect: usize,
}

impl OpenV {
    /// The reason the SOP leaves this point open, as the policy states it.
    pub fn reason<'p>(&self, policy: &'p Policy) -> &'p str {
        match policy.rules[self.rule].effects.get(self.effect) {
            Some(CEffect::Open { reason, .. }) => reason,
            _ => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingV {
    pub fact: FactId,
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
    pub questions: Vec<ItemV<QuestionId>>,
    /// One per action of the policy.
    pub actions: IdVec<ActionId, ActionV>,
    pub fields: Vec<ItemV<FieldId>>,
    pub scripts: Vec<ItemV<ScriptId>>,
    /// One per outcome of the policy.
    pub outcomes: IdVec<OutcomeId, OutcomeV>,
    pub deadlines: Vec<ItemV<DeadlineId>>,
    pub opens: Vec<OpenV>,
    pub pending: Vec<PendingV>,
    pub warnings: Vec<Warning>,
    /// Whether something waits on the evaluation time (W0104).
    pub needs_time: bool,
}

impl Outputs {
    /// Empties every list for the next case, keeping what can be reused in `s`.
    pub fn recycle(&mut self, s: &mut Scratch) {
        s.spare.questions.append(&mut self.questions);
        s.spare.fields.append(&mut self.fields);
        s.spare.scripts.append(&mut self.scripts);
        s.spare.deadlines.append(&mut self.deadlines);
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
    value_rules: Vec<RuleId>,
    spare: SpareItems,
    spare_pending: Vec<PendingV>,
}

/// Items of earlier cases, kept for their vectors' and texts' capacity.
#[derive(Debug, Default)]
struct SpareItems {
    questions: Vec<ItemV<QuestionId>>,
    fields: Vec<ItemV<FieldId>>,
    scripts: Vec<ItemV<ScriptId>>,
    deadlines: Vec<ItemV<DeadlineId>>,
}

/// Per-output contributions, gathered from the rules in declaration order.
#[derive(Debug, Default)]
struct Gathered {
    verdicts: IdVec<ActionId, Vec<(usize, Contrib)>>,
    asks: IdVec<QuestionId, Vec<Contrib>>,
    says: IdVec<ScriptId, Vec<Contrib>>,
    field_req: IdVec<FieldId, Vec<Contrib>>,
    field_val: IdVec<FieldId, Vec<(Contrib, V)>>,
    outcome_val: IdVec<OutcomeId, Vec<(Contrib, V)>>,
    outcome_open: IdVec<OutcomeId, Vec<Contrib>>,
    dues: IdVec<DeadlineId, Vec<(Contrib, V)>>,
}

impl Gathered {
    fn reset(&mut self, policy: &Policy) {
        fn reset<I: Id, T>(v: &mut IdVec<I, Vec<T>>, n: usize) {
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

/// Decides every output into `o` (emptied with [`Outputs::recycle`] first) from
/// the rules' effectiveness (`effective[i]` for rule `i`).
///
/// With `wanted`, only those outputs are decided (the others are left out, or
/// stand as placeholders in `actions` and `outcomes`), with no pending list and no
/// warnings: what the refinement needs to compare one answer with another.
pub(crate) fn decide(
    env: &mut Env,
    effective: &IdVec<RuleId, V>,
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

    for (rule, r) in policy.rules.iter_enumerated() {
        let eff = &effective[rule];
        if eff.is_false() {
            continue;
        }
        for (ei, e) in r.effects.iter().enumerate() {
            let c = Contrib { rule };
            if !full && !wanted_effect(e, &want) {
                continue;
            }
            match e {
                CEffect::Ask(q) => g.asks[*q].push(c),
                CEffect::Say(x) => g.says[*x].push(c),
                CEffect::RequireField(f) => g.field_req[*f].push(c),
                CEffect::Require(a) => g.verdicts[*a].push((REQUIRE, c)),
                CEffect::Allow(a) => g.verdicts[*a].push((ALLOW, c)),
                CEffect::Forbid(a) => g.verdicts[*a].push((FORBID, c)),
                CEffect::SetField(f, v) => {
                    let v = env.eval(v);
                    g.field_val[*f].push((c, v));
                }
                CEffect::SetOutcome(o, v) => {
                    let v = env.eval(v);
                    g.outcome_val[*o].push((c, v));
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
                            let due = super::calendar::add(&policy.calendar, t, d, *working);
                            match due {
                                Some(due) => V::Known(Value::DateTime(due)),
                                None => {
                                    env.runtime_error(format!(
                                        "cannot count working time for deadline `{}`: the calendar has no opening hours for it within {} days",
                                        policy.deadlines[*deadline].name,
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
                    g.dues[*deadline].push((c, v));
                }
                CEffect::DueBy { deadline, at } => {
                    let v = env.eval(at);
                    g.dues[*deadline].push((c, v));
                }
                CEffect::Open { target, .. } => {
                    match target {
                        Some(OpenTarget::Action(a)) => g.verdicts[*a].push((OPEN, c)),
                        Some(OpenTarget::Outcome(o)) => g.outcome_open[*o].push(c),
                        None => {}
                    }
                    match eff {
                        _ if !full => {}
                        V::Known(_) => o.opens.push(OpenV {
                            rule,
                            target: *target,
                            effect: ei,
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
    for ((ai, a), out) in policy.actions.iter_enumerated().zip(&mut o.actions) {
        if !want(OutputRef::Action(ai)) {
            out.verdict = Verdict::Undecided;
            out.reason = None;
            out.rules.clear();
            out.deps = None;
            continue;
        }
        decide_action(a, &g.verdicts[ai], effective, out);
        if let Some(d) = &out.deps {
            out.reason = Some(reason_of(env, d));
            waiting.push((OutputRef::Action(ai), d.clone()));
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

    for qi in policy.questions.ids() {
        if !want(OutputRef::Question(qi)) {
            continue;
        }
        let mut item = ItemV::take(&mut s.spare.questions, qi);
        let (status, deps) = presence(&g.asks[qi], effective, &mut item.rules);
        let Some(status) = status else {
            s.spare.questions.push(item);
            continue;
        };
        if let Some(d) = &deps {
            waiting.push((OutputRef::Question(qi), d.clone()));
        }
        item.status = status;
        item.deps = deps;
        o.questions.push(item);
    }

    for (si, sd) in policy.scripts.iter_enumerated() {
        if !want(OutputRef::Script(si)) {
            continue;
        }
        let mut item = ItemV::take(&mut s.spare.scripts, si);
        let (status, deps) = presence(&g.says[si], effective, &mut item.rules);
        let Some(status) = status else {
            s.spare.scripts.push(item);
            continue;
        };
        if let Some(d) = &deps {
            waiting.push((OutputRef::Script(si), d.clone()));
        }
        render::script(env, sd, &mut item.text, &mut item.missing);
        if let Some(max) = sd.max_chars {
            let length = item.text.chars().count();
            if full && length > max as usize && item.missing.is_empty() {
                env.warnings.push(Warning {
                    code: "W0101",
                    message: match &sd.over_limit {
                        None => format!(
                            "script `{}` is {length} characters long, more than its limit of {max}",
                            sd.name
                        ),
                        Some(note) => format!(
                            "script `{}` is {length} characters long, more than its limit of {max}; the policy keeps the SOP's text: {note}",
                            sd.name
                        ),
                    },
                });
            }
        }
        item.status = status;
        item.deps = deps;
        o.scripts.push(item);
    }

    for fi in policy.fields.ids() {
        if !want(OutputRef::Field(fi)) && !want(OutputRef::FieldValue(fi)) {
            continue;
        }
        let req = &g.field_req[fi];
        let vals = &g.field_val[fi];
        // A prescribed value also makes the field mandatory.
        s.contribs.clear();
        s.contribs.extend(req.iter().copied());
        s.contribs.extend(vals.iter().map(|(c, _)| *c));
        let mut item = ItemV::take(&mut s.spare.fields, fi);
        let (status, deps) = presence(&s.contribs, effective, &mut item.rules);
        let Some(status) = status else {
            s.spare.fields.push(item);
            continue;
        };
        // Whether the field is mandatory and which value it gets are two answers:
        // a rule that fired makes it mandatory even while another, pending rule
        // could still prescribe its value.
        let (value, value_reason, value_deps) = match decide_value(
            vals,
            effective,
            &mut s.value_rules,
        ) {
            ValueDecision::Set(v) => (Some(v.clone()), None, None),
            ValueDecision::Unset => (None, None, None),
            ValueDecision::Conflict => {
                if full {
                    env.warnings.push(Warning {
                            code: "W0103",
                            message: format!(
                                "rules give ticket field `{}` different values and none overrides the other",
                                policy.fields[fi].name
                            ),
                        });
                }
                (None, Some(UndecidedReason::Conflict), None)
            }
            ValueDecision::Undecided(d) => (None, Some(reason_of(env, &d)), Some(d)),
        };
        // The rules that could still give the value explain the field too.
        if value_reason.is_some() {
            for r in &s.value_rules {
                if !item.rules.contains(r) {
                    item.rules.push(*r);
                }
            }
        }
        if let Some(d) = &deps {
            waiting.push((OutputRef::Field(fi), d.clone()));
        }
        if let Some(d) = &value_deps {
            waiting.push((OutputRef::FieldValue(fi), d.clone()));
        }
        item.status = status;
        item.deps = deps;
        item.value = value;
        item.value_reason = value_reason;
        item.value_deps = value_deps;
        o.fields.push(item);
    }

    o.outcomes
        .resize_with(policy.outcomes.len(), || OutcomeV::PLACEHOLDER);
    for ((oi, od), out) in policy.outcomes.iter_enumerated().zip(&mut o.outcomes) {
        if !want(OutputRef::Outcome(oi)) {
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
            &g.outcome_val[oi],
            &g.outcome_open[oi],
            effective,
            full,
            out,
        );
        if let Some(d) = &out.deps {
            waiting.push((OutputRef::Outcome(oi), d.clone()));
        }
    }

    for di in policy.deadlines.ids() {
        if !want(OutputRef::Deadline(di)) {
            continue;
        }
        let vals = &g.dues[di];
        if vals.is_empty() {
            continue;
        }
        let mut item = ItemV::take(&mut s.spare.deadlines, di);
        let (status, due, deps) = decide_earliest(vals, effective, &mut item.rules);
        if let Some(d) = &deps {
            waiting.push((OutputRef::Deadline(di), d.clone()));
        }
        let Some(status) = status else {
            s.spare.deadlines.push(item);
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
    effective: &IdVec<RuleId, V>,
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
    // The bit past the facts (the evaluation time) can always still be given.
    let askable = d.iter().any(|i| i >= env.case.len())
        || d.facts(env.case.len())
            .any(|f| matches!(env.case[f], FactValue::Absent));
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
    for (i, slot) in env.case.iter_enumerated() {
        if !matches!(slot, FactValue::Absent) {
            continue;
        }
        if !waiting.iter().any(|(_, d)| d.contains_fact(i)) {
            continue;
        }
        let mut p = spare.pop().unwrap_or(PendingV {
            fact: i,
            decides: Vec::new(),
        });
        p.fact = i;
        p.decides.clear();
        p.decides.extend(
            waiting
                .iter()
                .filter(|(_, d)| d.contains_fact(i))
                .map(|(n, _)| *n),
        );
        out.push(p);
    }
    sort_pending(out);
}

/// The fact that settles most first; declaration order between equals.
pub(crate) fn sort_pending(p: &mut [PendingV]) {
    p.sort_by(|a, b| {
        entries(&b.decides)
            .cmp(&entries(&a.decides))
            .then(a.fact.cmp(&b.fact))
    });
}

/// How many entries of the Decision a fact helps decide: a ticket field counts
/// once, whether the fact decides its mandatory-ness, its value or both.
fn entries(decides: &[OutputRef]) -> usize {
    decides
        .iter()
        .filter(|r| match r {
            OutputRef::FieldValue(f) => !decides.contains(&OutputRef::Field(*f)),
            _ => true,
        })
        .count()
}
