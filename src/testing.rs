//! `pol test`: runs every `example` of a policy and explains each failure.

use crate::check::ir::*;
use crate::eval::decision::{
    Because, Decision, FieldStatus, OutcomeStatus, QuestionStatus, ScriptStatus, UndecidedReason,
    Verdict as Out,
};
use crate::eval::{Case, Engine, FactValue};
use crate::syntax::ast::Verdict;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleResult {
    pub name: String,
    pub location: String,
    pub failures: Vec<Failure>,
}

impl ExampleResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `file:line` of the expectation.
    pub at: String,
    pub message: String,
}

pub fn run_examples(engine: &Engine) -> Vec<ExampleResult> {
    let mut evaluator = engine.evaluator();
    engine
        .policy()
        .examples
        .iter()
        .map(|ex| {
            let policy = engine.policy();
            let d = evaluator.evaluate(
                &example_case(policy, ex),
                ex.at.or_else(|| default_at(policy)),
            );
            run_example(policy, ex, &d)
        })
        .collect()
}

/// The case an example gives.
pub fn example_case(policy: &Policy, ex: &ExampleDef) -> Case {
    let mut case = Case::empty(policy);
    for (f, v) in &ex.given {
        case.slots[*f] = match v {
            Some(v) => FactValue::Known(v.clone()),
            None => FactValue::Null,
        };
    }
    case
}

/// An example without `at` is evaluated at the start of the policy's validity
/// (00:00 in the calendar's zone), or on its last day when only `until` is given.
pub fn default_at(policy: &Policy) -> Option<i64> {
    let day = policy.meta.valid_from.or(policy.meta.valid_until)?;
    Some(
        policy
            .calendar
            .zone
            .instant_of_local(i64::from(day) * crate::time::SECONDS_PER_DAY),
    )
}

fn reasons(b: &[Because]) -> String {
    if b.is_empty() {
        return String::new();
    }
    let list: Vec<String> = b
        .iter()
        .map(|b| format!("`{}` ({})", b.rule, b.at))
        .collect();
    format!(" because of {}", list.join(", "))
}

fn run_example(policy: &Policy, ex: &ExampleDef, d: &Decision) -> ExampleResult {
    let mut failures = Vec::new();
    for e in &ex.expect {
        if let Some(message) = check_expectation(policy, d, &e.kind) {
            failures.push(Failure {
                at: format!("{}:{}", policy.meta.file, e.line),
                message,
            });
        }
    }
    ExampleResult {
        name: ex.name.clone(),
        location: ex.location.clone(),
        failures,
    }
}

fn check_expectation(policy: &Policy, d: &Decision, e: &ExpectDef) -> Option<String> {
    match e {
        ExpectDef::Complete(want) => (d.complete != *want).then(|| {
            let pending: Vec<&str> = d.pending.iter().map(|p| p.fact.as_str()).collect();
            if *want {
                format!(
                    "expected the decision to be complete, but these facts are still pending: {}",
                    pending.join(", ")
                )
            } else {
                "expected the decision to be incomplete, but nothing is pending".to_string()
            }
        }),
        ExpectDef::Pending(f) => {
            let fact = policy.facts[*f].name.clone();
            (!d.pending.iter().any(|p| p.fact == fact)).then(|| {
                let pending: Vec<&str> = d.pending.iter().map(|p| p.fact.as_str()).collect();
                format!(
                    "expected `{fact}` to be pending, but pending is [{}]",
                    pending.join(", ")
                )
            })
        }
        ExpectDef::Ask(q, want) => {
            let id = policy.questions[*q].name.clone();
            let found = d.questions.iter().find(|x| x.id == id);
            // "not asked" means settled as not asked, not merely undecided.
            let ok = if *want {
                found.is_some_and(|x| x.status == QuestionStatus::Ask)
            } else {
                found.is_none()
            };
            if ok {
                return None;
            }
            Some(match (want, found) {
                (true, Some(x)) => format!(
                    "expected question `{id}` to be asked, but it is {} (waiting on {})",
                    x.status,
                    x.waiting_on.join(", ")
                ),
                (true, None) => {
                    format!("expected question `{id}` to be asked, but no rule asks it")
                }
                (false, Some(x)) if x.status != QuestionStatus::Ask => format!(
                    "expected question `{id}` not to be asked, but that is still undecided (waiting on {})",
                    x.waiting_on.join(", ")
                ),
                (false, Some(x)) => format!(
                    "expected question `{id}` not to be asked, but it is{}",
                    reasons(&x.because)
                ),
                (false, None) => String::new(),
            })
        }
        ExpectDef::Say(s, want) => {
            let id = policy.scripts[*s].name.clone();
            let found = d.scripts.iter().find(|x| x.id == id);
            let said = if *want {
                found.is_some_and(|x| x.status == ScriptStatus::Say)
            } else {
                found.is_some()
            };
            (said != *want).then(|| match found {
                Some(x) if *want => {
                    format!("expected script `{id}` to be said, but it is {}", x.status)
                }
                Some(x) => format!(
                    "expected script `{id}` not to be said, but it is{}",
                    reasons(&x.because)
                ),
                None => format!("expected script `{id}` to be said, but no rule says it"),
            })
        }
        ExpectDef::RequireField(f, want) => {
            let id = policy.fields[*f].name.clone();
            let found = d.ticket_fields.iter().find(|x| x.id == id);
            let req = if *want {
                found.is_some_and(|x| x.status == FieldStatus::Required)
            } else {
                found.is_some()
            };
            (req != *want).then(|| match found {
                Some(x) if *want => format!(
                    "expected ticket field `{id}` to be required, but it is {}",
                    x.status
                ),
                Some(x) => format!(
                    "expected ticket field `{id}` not to be required, but it is{}",
                    reasons(&x.because)
                ),
                None => {
                    format!("expected ticket field `{id}` to be required, but no rule requires it")
                }
            })
        }
        ExpectDef::RequireAction(a, want) => {
            let id = policy.actions[*a].name.clone();
            let found = d.actions.iter().find(|x| x.id == id)?;
            let req = found.verdict == Out::Required
                || (!*want && found.reason == Some(UndecidedReason::Pending));
            (req != *want).then(|| {
                format!(
                    "expected action `{id}` {}to be required, but it is {}{}",
                    if *want { "" } else { "not " },
                    found.verdict,
                    reasons(&found.because)
                )
            })
        }
        ExpectDef::Verdict(a, want) => {
            let id = policy.actions[*a].name.clone();
            let found = d.actions.iter().find(|x| x.id == id)?;
            let want_word = match want {
                Some(Verdict::Required) => Out::Required,
                Some(Verdict::Allowed) => Out::Allowed,
                Some(Verdict::Forbidden) => Out::Forbidden,
                None => Out::Undecided,
            };
            (found.verdict != want_word).then(|| {
                let why = if found.verdict == Out::Undecided {
                    format!(
                        " ({}{})",
                        found.reason.map_or("", UndecidedReason::as_str),
                        if found.waiting_on.is_empty() {
                            String::new()
                        } else {
                            format!(", waiting on {}", found.waiting_on.join(", "))
                        }
                    )
                } else {
                    reasons(&found.because)
                };
                format!(
                    "expected `{id}` to be {want_word}, but it is {}{why}",
                    found.verdict
                )
            })
        }
        ExpectDef::Outcome(o, want) => {
            let id = policy.outcomes[*o].name.clone();
            let found = d.outcome_details.iter().find(|x| x.id == id)?;
            let want_json = want.as_ref().map(|v| crate::eval::value_json(policy, v));
            let settled = found.status != OutcomeStatus::Undecided;
            (found.value != want_json || !settled).then(|| {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref().map_or("unset".to_string(), |j| j.to_string())
                };
                format!(
                    "expected `{id}` = {}, but it is {} ({}){}",
                    show(&want_json),
                    show(&found.value),
                    found.status,
                    reasons(&found.because)
                )
            })
        }
        ExpectDef::Open(r, want) => {
            let name = &policy.rules[*r].name;
            let found = d
                .open
                .iter()
                .find(|o| o.because.iter().any(|b| &b.rule == name));
            match (want, found) {
                (true, Some(_)) | (false, None) => None,
                (true, None) => Some(format!(
                    "expected an open point of rule `{name}`, but the Decision shows none from it{}",
                    if d.pending.is_empty() {
                        String::new()
                    } else {
                        " (some facts are still pending)".to_string()
                    }
                )),
                (false, Some(o)) => Some(format!(
                    "expected no open point of rule `{name}`, but the Decision shows: {}",
                    o.reason
                )),
            }
        }
        ExpectDef::OutcomeUndecided(o) => {
            let id = policy.outcomes[*o].name.clone();
            let found = d.outcome_details.iter().find(|x| x.id == id)?;
            (found.status != OutcomeStatus::Undecided).then(|| {
                let v = found
                    .value
                    .as_ref()
                    .map_or("unset".to_string(), |j| j.to_string());
                format!(
                    "expected `{id}` to be undecided, but it is {v} ({}){}",
                    found.status,
                    reasons(&found.because)
                )
            })
        }
        ExpectDef::FieldValue(f, want) => {
            let id = policy.fields[*f].name.clone();
            let found = d.ticket_fields.iter().find(|x| x.id == id);
            let got = found.and_then(|x| x.value.clone());
            let want_json = want.as_ref().map(|v| crate::eval::value_json(policy, v));
            (got != want_json).then(|| {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref().map_or("unset".to_string(), |j| j.to_string())
                };
                format!(
                    "expected ticket field `{id}` = {}, but it is {}",
                    show(&want_json),
                    show(&got)
                )
            })
        }
        ExpectDef::Due(dl, t) => {
            let id = policy.deadlines[*dl].name.clone();
            let want = crate::time::format_instant(*t, policy.calendar.zone.offset_at(*t));
            let found = d.deadlines.iter().find(|x| x.id == id);
            let got = found.and_then(|x| x.due.clone());
            (got.as_deref() != Some(want.as_str())).then(|| match got {
                Some(g) => format!("expected `{id}` due {want}, but it is due {g}"),
                None => format!("expected `{id}` due {want}, but no deadline is set"),
            })
        }
    }
}

/// The shipped policies (`policies/*.pol`), compiled, for the unit tests that run
/// on every one of them.
#[cfg(test)]
pub(crate) fn shipped_policies() -> Vec<(std::path::PathBuf, Policy)> {
    let mut paths: Vec<_> = std::fs::read_dir("policies")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            let policy = crate::compile(&source, "p.pol")
                .unwrap_or_else(|d| panic!("{}: {d:?}", path.display()))
                .policy;
            (path, policy)
        })
        .collect()
}
