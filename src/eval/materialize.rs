//! [`Outputs`] (by index) → [`Decision`] (with names, texts and reasons).

use super::decision::*;
use super::outputs::{ItemV, Outputs};
use super::render::json_value;
use super::value3::Deps;
use crate::check::ir::{OpenTarget, Policy};
use crate::time::{format_date, format_instant};

/// The reasons: each rule's name, place and quote.
pub(crate) fn because(policy: &Policy, rules: &[u32]) -> Vec<Because> {
    rules
        .iter()
        .filter_map(|i| policy.rules.get(*i as usize))
        .map(|r| Because {
            rule: r.name.clone(),
            at: r.location.clone(),
            quote: r.quote.clone(),
        })
        .collect()
}

/// The facts (and `@at`, the evaluation time) a set of dependencies names.
pub(crate) fn waiting_on(policy: &Policy, deps: Option<&Deps>) -> Vec<String> {
    let Some(d) = deps else { return Vec::new() };
    let time_bit = policy.facts.len();
    d.iter()
        .filter_map(|i| match policy.facts.get(i) {
            Some(f) => Some(f.name.clone()),
            None if i == time_bit => Some("@at".to_string()),
            None => None,
        })
        .collect()
}

pub(crate) fn open_target(policy: &Policy, t: OpenTarget) -> String {
    match t {
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
    }
}

pub(crate) fn instant(policy: &Policy, t: i64) -> String {
    format_instant(t, policy.calendar.zone.offset_at(t))
}

fn items<'a, T: 'a>(defs: &'a [T], items: &'a [ItemV]) -> impl Iterator<Item = (&'a T, &'a ItemV)> {
    items
        .iter()
        .filter_map(move |i| defs.get(i.index as usize).map(|d| (d, i)))
}

pub(crate) fn decision(policy: &Policy, o: Outputs) -> Decision {
    let mut outcomes = serde_json::Map::new();
    let mut outcome_details = Vec::new();
    for (def, v) in policy.outcomes.iter().zip(&o.outcomes) {
        let json = v.value.as_ref().map(|x| json_value(policy, x));
        if let Some(j) = &json {
            outcomes.insert(def.name.clone(), j.clone());
        }
        outcome_details.push(OutcomeOut {
            id: def.name.clone(),
            label: def.label.clone(),
            status: v.status,
            value: json,
            because: because(policy, &v.rules),
            reason: v.reason,
            waiting_on: waiting_on(policy, v.deps.as_ref()),
        });
    }
    Decision {
        schema_version: crate::contract::SchemaVersion,
        policy: PolicyRef {
            id: policy.meta.id.clone(),
            version: policy.meta.version.clone(),
            title: policy.meta.title.clone(),
            source: policy.meta.source.clone(),
        },
        at: o.at.map(|t| instant(policy, t)),
        validity: Validity {
            status: o.validity,
            valid_from: policy.meta.valid_from.map(format_date),
            valid_until: policy.meta.valid_until.map(format_date),
        },
        complete: o.complete,
        questions: items(&policy.questions, &o.questions)
            .map(|(q, v)| QuestionOut {
                id: q.name.clone(),
                text: q.text.clone(),
                must_be_correct: q.must_be_correct,
                status: v.status.into(),
                because: because(policy, &v.rules),
                waiting_on: waiting_on(policy, v.deps.as_ref()),
            })
            .collect(),
        actions: policy
            .actions
            .iter()
            .zip(&o.actions)
            .map(|(a, v)| ActionOut {
                id: a.name.clone(),
                text: a.text.clone(),
                verdict: v.verdict,
                because: because(policy, &v.rules),
                reason: v.reason,
                waiting_on: waiting_on(policy, v.deps.as_ref()),
            })
            .collect(),
        ticket_fields: items(&policy.fields, &o.fields)
            .map(|(f, v)| FieldOut {
                id: f.name.clone(),
                label: f.label.clone(),
                ty: f.ty.to_string(),
                status: v.status.into(),
                value: v.value.as_ref().map(|x| json_value(policy, x)),
                because: because(policy, &v.rules),
                waiting_on: waiting_on(policy, v.deps.as_ref()),
            })
            .collect(),
        scripts: o
            .scripts
            .into_iter()
            .filter_map(|v| {
                let s = policy.scripts.get(v.index as usize)?;
                Some(ScriptOut {
                    id: s.name.clone(),
                    length: v.text.chars().count(),
                    text: v.text,
                    status: v.status.into(),
                    max_chars: s.max_chars,
                    missing: v.missing,
                    because: because(policy, &v.rules),
                    waiting_on: waiting_on(policy, v.deps.as_ref()),
                })
            })
            .collect(),
        outcomes,
        outcome_details,
        deadlines: items(&policy.deadlines, &o.deadlines)
            .map(|(d, v)| DeadlineOut {
                id: d.name.clone(),
                label: d.label.clone(),
                status: v.status.into(),
                due: v.due.map(|t| instant(policy, t)),
                overdue: match (v.due, o.at) {
                    (Some(t), Some(now)) => Some(now > t),
                    _ => None,
                },
                because: because(policy, &v.rules),
                waiting_on: waiting_on(policy, v.deps.as_ref()),
            })
            .collect(),
        open: o
            .opens
            .iter()
            .map(|x| OpenOut {
                target: x.target.map(|t| open_target(policy, t)),
                reason: x.reason(policy).to_string(),
                because: because(policy, &[x.rule]),
            })
            .collect(),
        pending: o
            .pending
            .iter()
            .filter_map(|p| {
                let f = policy.facts.get(p.fact as usize)?;
                Some(PendingOut {
                    fact: f.name.clone(),
                    label: f.label.clone(),
                    question: f.ask.clone(),
                    ty: f.ty.to_string(),
                    decides: p.decides.iter().map(|r| r.name(policy)).collect(),
                })
            })
            .collect(),
        warnings: o.warnings,
    }
}
