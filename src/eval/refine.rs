//! Outputs that stay undecided under three-valued logic, but that every
//! possible answer to the missing facts would decide the same way (e.g. an
//! exception whose effect equals the rule it overrides), are settled by trying
//! every answer. Only facts with a few possible values (yes/no, enums) are tried.

use super::decision::*;
use super::{evaluate_base, Case, FactValue};
use crate::check::ir::Policy;
use crate::types::Type;
use crate::value::Value;
use std::collections::BTreeMap;

/// Most combinations of answers tried for one set of missing facts.
const MAX_COMBINATIONS: usize = 64;

fn domain(policy: &Policy, ty: &Type) -> Option<Vec<Value>> {
    match ty {
        Type::Bool => Some(vec![Value::Bool(false), Value::Bool(true)]),
        Type::Enum(e, _) => {
            let n = policy.enums.get(*e as usize)?.variants.len() as u32;
            Some((0..n).map(|v| Value::Enum(*e, v)).collect())
        }
        _ => None,
    }
}

/// An output's identity and its waiting list.
fn undecided(d: &Decision) -> Vec<(String, Vec<String>)> {
    let mut v = Vec::new();
    for a in d.actions.iter().filter(|a| a.reason == Some("pending")) {
        v.push((format!("actions.{}", a.id), a.waiting_on.clone()));
    }
    for q in d.questions.iter().filter(|q| q.status == "undecided") {
        v.push((format!("questions.{}", q.id), q.waiting_on.clone()));
    }
    for f in d.ticket_fields.iter().filter(|f| f.status == "undecided") {
        v.push((format!("ticket_fields.{}", f.id), f.waiting_on.clone()));
    }
    for s in d.scripts.iter().filter(|s| s.status == "undecided") {
        v.push((format!("scripts.{}", s.id), s.waiting_on.clone()));
    }
    for o in d
        .outcome_details
        .iter()
        .filter(|o| o.reason == Some("pending"))
    {
        v.push((format!("outcomes.{}", o.id), o.waiting_on.clone()));
    }
    for dl in d.deadlines.iter().filter(|x| x.status == "undecided") {
        v.push((format!("deadlines.{}", dl.id), dl.waiting_on.clone()));
    }
    v
}

/// How an output reads in one Decision, for comparison; `None` = undecided.
fn verdict_of(d: &Decision, output: &str) -> Option<String> {
    let (kind, id) = output.split_once('.')?;
    match kind {
        "actions" => d
            .actions
            .iter()
            .find(|a| a.id == id)
            .filter(|a| a.reason != Some("pending"))
            .map(|a| format!("{}{:?}", a.verdict, a.reason)),
        "questions" => match d.questions.iter().find(|q| q.id == id) {
            None => Some("absent".into()),
            Some(q) if q.status == "ask" => Some("ask".into()),
            Some(_) => None,
        },
        "ticket_fields" => match d.ticket_fields.iter().find(|f| f.id == id) {
            None => Some("absent".into()),
            Some(f) if f.status == "required" => Some(format!("required {:?}", f.value)),
            Some(_) => None,
        },
        "scripts" => match d.scripts.iter().find(|s| s.id == id) {
            None => Some("absent".into()),
            Some(s) if s.status == "say" => Some(format!("say {}", s.text)),
            Some(_) => None,
        },
        "outcomes" => d
            .outcome_details
            .iter()
            .find(|o| o.id == id)
            .filter(|o| o.reason != Some("pending"))
            .map(|o| format!("{} {:?}", o.status, o.value)),
        "deadlines" => match d.deadlines.iter().find(|x| x.id == id) {
            None => Some("absent".into()),
            Some(x) if x.status == "set" => Some(format!("{:?}", x.due)),
            Some(_) => None,
        },
        _ => None,
    }
}

fn merge_because(into: &mut Vec<Because>, from: &[Because]) {
    for b in from {
        if !into.contains(b) {
            into.push(b.clone());
        }
    }
}

/// Replaces the output in `d` by its settled form from `settled` (one completion),
/// with the reasons of every completion.
fn adopt(d: &mut Decision, settled: &Decision, output: &str, reasons: Vec<Because>) {
    let Some((kind, id)) = output.split_once('.') else {
        return;
    };
    match kind {
        "actions" => {
            if let (Some(slot), Some(new)) = (
                d.actions.iter_mut().find(|a| a.id == id),
                settled.actions.iter().find(|a| a.id == id),
            ) {
                *slot = ActionOut {
                    because: reasons,
                    ..new.clone()
                };
            }
        }
        "questions" => {
            d.questions.retain(|q| q.id != id);
            if let Some(new) = settled.questions.iter().find(|q| q.id == id) {
                d.questions.push(QuestionOut {
                    because: reasons,
                    ..new.clone()
                });
            }
        }
        "ticket_fields" => {
            d.ticket_fields.retain(|f| f.id != id);
            if let Some(new) = settled.ticket_fields.iter().find(|f| f.id == id) {
                d.ticket_fields.push(FieldOut {
                    because: reasons,
                    ..new.clone()
                });
            }
        }
        "scripts" => {
            d.scripts.retain(|s| s.id != id);
            if let Some(new) = settled.scripts.iter().find(|s| s.id == id) {
                d.scripts.push(ScriptOut {
                    because: reasons,
                    ..new.clone()
                });
            }
        }
        "outcomes" => {
            if let (Some(slot), Some(new)) = (
                d.outcome_details.iter_mut().find(|o| o.id == id),
                settled.outcome_details.iter().find(|o| o.id == id),
            ) {
                *slot = OutcomeOut {
                    because: reasons,
                    ..new.clone()
                };
                if let Some(v) = &new.value {
                    d.outcomes.insert(id.to_string(), v.clone());
                }
            }
        }
        "deadlines" => {
            d.deadlines.retain(|x| x.id != id);
            if let Some(new) = settled.deadlines.iter().find(|x| x.id == id) {
                d.deadlines.push(DeadlineOut {
                    because: reasons,
                    ..new.clone()
                });
            }
        }
        _ => {}
    }
}

fn because_of(d: &Decision, output: &str) -> Vec<Because> {
    let Some((kind, id)) = output.split_once('.') else {
        return Vec::new();
    };
    let b = match kind {
        "actions" => d.actions.iter().find(|a| a.id == id).map(|a| &a.because),
        "questions" => d.questions.iter().find(|a| a.id == id).map(|a| &a.because),
        "ticket_fields" => d
            .ticket_fields
            .iter()
            .find(|a| a.id == id)
            .map(|a| &a.because),
        "scripts" => d.scripts.iter().find(|a| a.id == id).map(|a| &a.because),
        "outcomes" => d
            .outcome_details
            .iter()
            .find(|a| a.id == id)
            .map(|a| &a.because),
        "deadlines" => d.deadlines.iter().find(|a| a.id == id).map(|a| &a.because),
        _ => None,
    };
    b.cloned().unwrap_or_default()
}

pub(super) fn refine(policy: &Policy, case: &Case, at: Option<i64>, d: &mut Decision) {
    let open = undecided(d);
    if open.is_empty() {
        return;
    }
    // Group the outputs by the set of missing facts they wait on.
    let mut groups: BTreeMap<Vec<usize>, Vec<String>> = BTreeMap::new();
    for (output, waiting) in open {
        let facts: Option<Vec<usize>> = waiting
            .iter()
            .map(|n| policy.facts.iter().position(|f| f.name == *n))
            .collect();
        let Some(mut facts) = facts else { continue };
        facts.sort_unstable();
        groups.entry(facts).or_default().push(output);
    }
    let mut settled_any = false;
    for (facts, outputs) in groups {
        if facts.is_empty()
            || !facts
                .iter()
                .all(|f| matches!(case.slots.get(*f), Some(FactValue::Absent)))
        {
            continue;
        }
        let Some(domains) = facts
            .iter()
            .map(|f| policy.facts.get(*f).and_then(|x| domain(policy, &x.ty)))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        if domains
            .iter()
            .try_fold(1usize, |acc, d| {
                acc.checked_mul(d.len()).filter(|n| *n <= MAX_COMBINATIONS)
            })
            .is_none()
        {
            continue;
        }
        // Every combination of answers.
        let mut results: Vec<Decision> = Vec::new();
        let mut idx = vec![0usize; facts.len()];
        'all: loop {
            let mut c = case.clone();
            for ((f, dom), i) in facts.iter().zip(&domains).zip(&idx) {
                if let (Some(slot), Some(v)) = (c.slots.get_mut(*f), dom.get(*i)) {
                    *slot = FactValue::Known(v.clone());
                }
            }
            results.push(evaluate_base(policy, &c, at));
            let mut k = 0;
            loop {
                let Some(i) = idx.get_mut(k) else { break 'all };
                *i += 1;
                if *i < domains.get(k).map_or(0, Vec::len) {
                    break;
                }
                *i = 0;
                k += 1;
            }
        }
        let Some(first) = results.first() else {
            continue;
        };
        for output in outputs {
            let Some(v) = verdict_of(first, &output) else {
                continue;
            };
            if results
                .iter()
                .all(|r| verdict_of(r, &output).as_deref() == Some(v.as_str()))
            {
                let mut reasons = Vec::new();
                for r in &results {
                    merge_because(&mut reasons, &because_of(r, &output));
                }
                adopt(d, first, &output, reasons);
                settled_any = true;
            }
        }
    }
    if !settled_any {
        return;
    }
    // Declaration order again, then the pending list without what is now settled.
    fn order(id: &str, names: impl Iterator<Item = String>) -> usize {
        names
            .into_iter()
            .position(|n| n == id)
            .unwrap_or(usize::MAX)
    }
    d.questions
        .sort_by_key(|q| order(&q.id, policy.questions.iter().map(|x| x.name.clone())));
    d.ticket_fields
        .sort_by_key(|q| order(&q.id, policy.fields.iter().map(|x| x.name.clone())));
    d.scripts
        .sort_by_key(|q| order(&q.id, policy.scripts.iter().map(|x| x.name.clone())));
    d.deadlines
        .sort_by_key(|q| order(&q.id, policy.deadlines.iter().map(|x| x.name.clone())));
    let still: Vec<String> = undecided(d).into_iter().map(|(o, _)| o).collect();
    for p in &mut d.pending {
        p.decides
            .retain(|o| o.starts_with("open.") || still.contains(o));
    }
    d.pending.retain(|p| !p.decides.is_empty());
    let pos = |n: &str| {
        policy
            .facts
            .iter()
            .position(|f| f.name == n)
            .unwrap_or(usize::MAX)
    };
    d.pending.sort_by(|a, b| {
        b.decides
            .len()
            .cmp(&a.decides.len())
            .then(pos(&a.fact).cmp(&pos(&b.fact)))
    });
    let needs_time = d.warnings.iter().any(|w| w.code == "W0104");
    d.complete = d.pending.is_empty() && !needs_time;
}
