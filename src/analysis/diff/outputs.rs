//! Every output of both versions, and what each version answers for it, in
//! two forms: as formulas over the merged policy (for the search), and as read
//! from a real Decision (to confirm a counterexample).

use super::formula::{and, any, differ, not, or, F};
use crate::check::ids::RuleId;
use crate::check::ir::*;
use crate::eval::decision::Decision;
use crate::syntax::ast::{ArithOp, CmpOp, Verdict};
use crate::value::Value;
use std::collections::BTreeMap;

/// The kinds of output, in the order the report lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Question,
    Action,
    Field,
    FieldValue,
    Outcome,
    Deadline,
    Script,
}

impl Kind {
    /// How the Decision names an output of this kind (`actions.offer`).
    pub fn path(self, name: &str) -> String {
        match self {
            Kind::Question => format!("questions.{name}"),
            Kind::Action => format!("actions.{name}"),
            Kind::Field => format!("ticket_fields.{name}"),
            Kind::FieldValue => format!("ticket_fields.{name}.value"),
            Kind::Outcome => format!("outcomes.{name}"),
            Kind::Deadline => format!("deadlines.{name}"),
            Kind::Script => format!("scripts.{name}"),
        }
    }
}

/// What one version's rules contribute to one output (merged rule ids).
#[derive(Debug, Clone, Default)]
pub(crate) struct Contribs {
    /// Declared in this version.
    pub declared: bool,
    /// Asks, says, makes the field mandatory (a prescribed value does too).
    pub present: Vec<RuleId>,
    /// Require, allow, forbid, open (actions; outcomes use `open` only).
    pub require: Vec<RuleId>,
    pub allow: Vec<RuleId>,
    pub forbid: Vec<RuleId>,
    pub open: Vec<RuleId>,
    /// Prescribed values (field values, outcomes) and due times.
    pub values: Vec<(RuleId, CExpr)>,
    /// A due time that cannot be written as an expression (working time counted
    /// from a duration that is not a constant).
    pub inexact: bool,
    /// What the output shows besides its status: a question's or script's
    /// text, an action's default verdict, an outcome's default.
    pub text: String,
    pub default_verdict: Option<Verdict>,
    pub default_value: Option<Value>,
}

/// Every output of both versions: `[old, new]`.
pub(crate) type Table = BTreeMap<(Kind, String), [Contribs; 2]>;

/// Gathers the outputs of the merged policy; `side(rule)` says which version a rule belongs to.
/// `twin` names, per new rule, an old rule effective on the same cases: it
/// stands for the new one, so that unchanged outputs compare equal as written.
pub(crate) fn gather(
    p: &Policy,
    new_rules_from: usize,
    twin: &[Option<RuleId>],
    outputs_from: &[usize; 6],
) -> Table {
    let mut t: Table = BTreeMap::new();
    let [q0, a0, f0, s0, o0, d0] = *outputs_from;
    let side = |i: usize, from: usize| usize::from(i >= from);
    for (i, q) in p.questions.iter_enumerated() {
        let c = &mut entry(&mut t, Kind::Question, &q.name)[side(i.index(), q0)];
        c.declared = true;
        c.text = q.text.clone();
    }
    for (i, a) in p.actions.iter_enumerated() {
        let c = &mut entry(&mut t, Kind::Action, &a.name)[side(i.index(), a0)];
        c.declared = true;
        c.default_verdict = a.default;
    }
    for (i, f) in p.fields.iter_enumerated() {
        for k in [Kind::Field, Kind::FieldValue] {
            entry(&mut t, k, &f.name)[side(i.index(), f0)].declared = true;
        }
    }
    for (i, s) in p.scripts.iter_enumerated() {
        let c = &mut entry(&mut t, Kind::Script, &s.name)[side(i.index(), s0)];
        c.declared = true;
        c.text = script_text(p, s);
    }
    for (i, o) in p.outcomes.iter_enumerated() {
        let c = &mut entry(&mut t, Kind::Outcome, &o.name)[side(i.index(), o0)];
        c.declared = true;
        c.default_value = o.default.clone();
    }
    for (i, d) in p.deadlines.iter_enumerated() {
        entry(&mut t, Kind::Deadline, &d.name)[side(i.index(), d0)].declared = true;
    }
    for (ri, r) in p.rules.iter_enumerated() {
        let v = side(ri.index(), new_rules_from);
        let ri = match ri.index().checked_sub(new_rules_from) {
            Some(k) => twin.get(k).copied().flatten().unwrap_or(ri),
            None => ri,
        };
        for e in &r.effects {
            let (kind, name) = match e {
                CEffect::Ask(q) => (Kind::Question, &p.questions[*q].name),
                CEffect::Say(s) => (Kind::Script, &p.scripts[*s].name),
                CEffect::Require(a) | CEffect::Allow(a) | CEffect::Forbid(a) => {
                    (Kind::Action, &p.actions[*a].name)
                }
                CEffect::RequireField(f) | CEffect::SetField(f, _) => {
                    (Kind::Field, &p.fields[*f].name)
                }
                CEffect::SetOutcome(o, _) => (Kind::Outcome, &p.outcomes[*o].name),
                CEffect::DueWithin { deadline, .. } | CEffect::DueBy { deadline, .. } => {
                    (Kind::Deadline, &p.deadlines[*deadline].name)
                }
                CEffect::Open { target, .. } => match target {
                    Some(OpenTarget::Action(a)) => (Kind::Action, &p.actions[*a].name),
                    Some(OpenTarget::Outcome(o)) => (Kind::Outcome, &p.outcomes[*o].name),
                    None => continue,
                },
            };
            let name = name.clone();
            let c = &mut entry(&mut t, kind, &name)[v];
            match e {
                CEffect::Ask(_) | CEffect::Say(_) | CEffect::RequireField(_) => c.present.push(ri),
                CEffect::Require(_) => c.require.push(ri),
                CEffect::Allow(_) => c.allow.push(ri),
                CEffect::Forbid(_) => c.forbid.push(ri),
                CEffect::Open { .. } => c.open.push(ri),
                CEffect::SetField(_, x) => {
                    c.present.push(ri);
                    entry(&mut t, Kind::FieldValue, &name)[v]
                        .values
                        .push((ri, x.clone()));
                }
                CEffect::SetOutcome(_, x) => c.values.push((ri, x.clone())),
                CEffect::DueBy { at, .. } => c.values.push((ri, at.clone())),
                CEffect::DueWithin {
                    duration,
                    working,
                    after,
                    ..
                } => match due_expr(duration, *working, after) {
                    Some(x) => c.values.push((ri, x)),
                    None => c.inexact = true,
                },
            }
        }
    }
    for pair in t.values_mut() {
        for c in pair.iter_mut() {
            for v in [
                &mut c.present,
                &mut c.require,
                &mut c.allow,
                &mut c.forbid,
                &mut c.open,
            ] {
                v.sort();
                v.dedup();
            }
            c.values.sort_by_key(|(r, _)| *r);
        }
    }
    t
}

fn entry<'t>(t: &'t mut Table, kind: Kind, name: &str) -> &'t mut [Contribs; 2] {
    t.entry((kind, name.to_string())).or_default()
}

/// The due time of `due … within` as an expression the search evaluates.
fn due_expr(duration: &CExpr, working: Working, after: &CExpr) -> Option<CExpr> {
    match working {
        Working::No => Some(CExpr::Arith(
            ArithOp::Add,
            Box::new(after.clone()),
            Box::new(duration.clone()),
        )),
        _ => match duration {
            CExpr::Const(Value::Duration(d)) => Some(CExpr::AddWorking {
                at: Box::new(after.clone()),
                amount: *d,
                working,
            }),
            _ => None,
        },
    }
}

/// A script's text with its placeholders named by what they read, so that two
/// versions' texts compare equal when they say the same.
fn script_text(p: &Policy, s: &ScriptDef) -> String {
    let mut out = String::new();
    for part in &s.parts {
        match part {
            ScriptPart::Text(t) => out.push_str(t),
            ScriptPart::Slot(Slot::Fact(f)) => out.push_str(&format!("{{fact {}}}", f.index())),
            ScriptPart::Slot(Slot::Let(l)) => {
                out.push_str(&format!("{{{:?}}}", p.lets[*l].expr));
            }
        }
    }
    out
}

/// A result of one output in one version: a tag (`asked`, `undecided (conflict)`)
/// or a value computed from the case.
#[derive(Debug, Clone)]
pub(crate) enum Term {
    Tag(String),
    Val(CExpr),
}

/// One version's answer for one output: conditions that exclude each other and
/// between them cover every case, each with the answer it gives.
pub(crate) type Answer = Vec<(F, Term)>;

fn tag(s: &str) -> Term {
    Term::Tag(s.to_string())
}

/// The answer of one version for one output.
pub(crate) fn answer(kind: Kind, c: &Contribs) -> Answer {
    match kind {
        Kind::Question | Kind::Script => {
            let said = any(&c.present);
            vec![
                (said.clone(), Term::Tag(format!("present: {}", c.text))),
                (not(said), tag("absent")),
            ]
        }
        Kind::Field => {
            let req = any(&c.present);
            vec![(req.clone(), tag("required")), (not(req), tag("absent"))]
        }
        Kind::Action => {
            let o = any(&c.open);
            let r = any(&c.require);
            let f = any(&c.forbid);
            let a = any(&c.allow);
            let none = match c.default_verdict {
                Some(v) => verdict_tag(v),
                None => tag("undecided no_rule"),
            };
            vec![
                (o.clone(), tag("undecided open")),
                (
                    and([not(o.clone()), r.clone(), f.clone()]),
                    tag("undecided conflict"),
                ),
                (
                    and([not(o.clone()), r.clone(), not(f.clone())]),
                    verdict_tag(Verdict::Required),
                ),
                (
                    and([not(o.clone()), not(r.clone()), f.clone()]),
                    verdict_tag(Verdict::Forbidden),
                ),
                (
                    and([not(o.clone()), not(r.clone()), not(f.clone()), a.clone()]),
                    verdict_tag(Verdict::Allowed),
                ),
                (and([not(o), not(r), not(f), not(a)]), none),
            ]
        }
        Kind::FieldValue => values(c, tag("absent")),
        Kind::Outcome => {
            let none = match &c.default_value {
                Some(d) => Term::Val(CExpr::Const(d.clone())),
                None => tag("unset"),
            };
            values(c, none)
        }
        Kind::Deadline => earliest(c),
    }
}

fn verdict_tag(v: Verdict) -> Term {
    Term::Tag(
        match v {
            Verdict::Required => "required",
            Verdict::Allowed => "allowed",
            Verdict::Forbidden => "forbidden",
        }
        .into(),
    )
}

/// One value from every effective `set`, as `decide_value` chooses it.
fn values(c: &Contribs, none: Term) -> Answer {
    // Rules setting the same constant form one group.
    let mut groups: Vec<(CExpr, Vec<RuleId>)> = Vec::new();
    for (r, x) in &c.values {
        let found = match x {
            CExpr::Const(v) => groups
                .iter_mut()
                .find(|(g, _)| matches!(g, CExpr::Const(w) if v.equals(w))),
            _ => None,
        };
        match found {
            Some((_, rules)) => rules.push(*r),
            None => groups.push((x.clone(), vec![*r])),
        }
    }
    let open = any(&c.open);
    let fired: Vec<F> = groups.iter().map(|(_, rules)| any(rules)).collect();
    let mut pairs = Vec::new();
    for (i, (x, _)) in groups.iter().enumerate() {
        for (j, (y, _)) in groups.iter().enumerate().skip(i + 1) {
            pairs.push(and([fired[i].clone(), fired[j].clone(), differ(x, y)]));
        }
    }
    let conflict = or(pairs);
    let mut out = vec![
        (open.clone(), tag("undecided open")),
        (
            and([not(open.clone()), conflict.clone()]),
            tag("undecided conflict"),
        ),
    ];
    for (i, (x, _)) in groups.iter().enumerate() {
        let mut g = vec![not(open.clone()), not(conflict.clone()), fired[i].clone()];
        g.extend(fired.iter().take(i).cloned().map(not));
        out.push((and(g), Term::Val(x.clone())));
    }
    let mut g = vec![not(open)];
    g.extend(fired.into_iter().map(not));
    out.push((and(g), none));
    out
}

/// The earliest due time of the effective rules.
fn earliest(c: &Contribs) -> Answer {
    let mut out = Vec::new();
    for (i, (r, x)) in c.values.iter().enumerate() {
        let mut g = vec![F::Eff(*r)];
        for (j, (s, y)) in c.values.iter().enumerate() {
            if i == j {
                continue;
            }
            // Ties go to the first rule, as `decide_earliest` keeps it.
            let op = if j < i { CmpOp::Gt } else { CmpOp::Ge };
            let later = F::Expr(CExpr::Cmp(op, Box::new(y.clone()), Box::new(x.clone())));
            g.push(or([not(F::Eff(*s)), later]));
        }
        out.push((and(g), Term::Val(x.clone())));
    }
    let none: Vec<RuleId> = c.values.iter().map(|(r, _)| *r).collect();
    out.push((not(any(&none)), tag("absent")));
    out
}

/// The cases on which the two answers differ.
pub(crate) fn differs(old: &Answer, new: &Answer) -> F {
    let mut items = Vec::new();
    for (g, a) in old {
        for (h, b) in new {
            let d = match (a, b) {
                (Term::Tag(x), Term::Tag(y)) => F::Const(x != y),
                (Term::Val(x), Term::Val(y)) => differ(x, y),
                _ => F::Const(true),
            };
            items.push(and([g.clone(), h.clone(), d]));
        }
    }
    or(items)
}

/// What a Decision answers for one output, in words for the report.
pub(crate) fn read(d: &Decision, kind: Kind, name: &str) -> String {
    let reason = |r: Option<crate::eval::status::UndecidedReason>| {
        r.map(|r| format!(" ({})", r.as_str())).unwrap_or_default()
    };
    match kind {
        Kind::Question => match d.questions.iter().find(|q| q.id == name) {
            Some(q) => format!("{} \"{}\"", q.status.as_str(), q.text),
            None => "not asked".into(),
        },
        Kind::Script => match d.scripts.iter().find(|s| s.id == name) {
            Some(s) => format!("{} \"{}\"", s.status.as_str(), s.text),
            None => "not said".into(),
        },
        Kind::Action => match d.actions.iter().find(|a| a.id == name) {
            Some(a) => format!("{}{}", a.verdict.as_str(), reason(a.reason)),
            None => "not in this version".into(),
        },
        Kind::Field => match d.ticket_fields.iter().find(|f| f.id == name) {
            Some(f) => f.status.as_str().to_string(),
            None => "not required".into(),
        },
        Kind::FieldValue => match d.ticket_fields.iter().find(|f| f.id == name) {
            Some(f) => match (&f.value, f.value_reason) {
                (Some(v), _) => v.to_string(),
                (None, Some(r)) => format!("undecided ({})", r.as_str()),
                (None, None) => "no value prescribed".into(),
            },
            None => "no value prescribed".into(),
        },
        Kind::Outcome => match d.outcome_details.iter().find(|o| o.id == name) {
            Some(o) => match &o.value {
                Some(v) => v.to_string(),
                None => format!("{}{}", o.status.as_str(), reason(o.reason)),
            },
            None => "not in this version".into(),
        },
        Kind::Deadline => match d.deadlines.iter().find(|x| x.id == name) {
            Some(x) => match &x.due {
                Some(due) => format!("due {due}"),
                None => x.status.as_str().to_string(),
            },
            None => "no deadline".into(),
        },
    }
}
