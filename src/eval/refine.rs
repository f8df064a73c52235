//! Outputs that stay undecided under three-valued logic, but that every
//! possible answer to the missing facts would decide the same way (e.g. an
//! exception whose effect equals the rule it overrides), are settled by trying
//! the answers: every value of a yes/no or enum fact, and for other facts one
//! value in each region the policy's conditions tell apart ([`Tries`]).
//!
//! An output is settled only when every combination of the answers tried gives
//! it the same reading, so it is settled soundly: no later answer changes it.
//! The work is bounded ([`MAX_COMBINATIONS`] per set of missing facts,
//! [`MAX_CASE_COMBINATIONS`] per case); past the bound an output stays
//! undecided, which is what three-valued logic said.
//!
//! The comparison works on [`Outputs`] (indices and statuses): no names, texts or
//! reasons are made for the tried answers.

use super::outputs::{sort_pending, ItemV, OutputRef, Outputs, Scratch};
use super::status::{OutcomeStatus, Presence, UndecidedReason, Verdict};
use super::tries::Tries;
use super::value3::Deps;
use super::{finish, fire, Case, Env, FactValue, Fired};
use crate::check::ids::{FactId, FieldId, Id, IdVec, RuleId};
use crate::check::ir::Policy;
use crate::value::Value;
use std::collections::BTreeMap;

/// Most combinations of answers tried for one set of missing facts.
pub(crate) const MAX_COMBINATIONS: usize = 256;
/// Most combinations of answers tried for one case, over every set of missing facts.
pub(crate) const MAX_CASE_COMBINATIONS: usize = 1_024;

/// Whether an undecided output waits on facts (pending or answered `null`).
fn waiting(reason: Option<UndecidedReason>) -> bool {
    matches!(
        reason,
        Some(UndecidedReason::Pending | UndecidedReason::Unanswered)
    )
}

/// The outputs still undecided because of missing facts, with what they wait on.
fn undecided(o: &Outputs) -> Vec<(OutputRef, &Deps)> {
    let mut v = Vec::new();
    for (i, a) in o.actions.iter_enumerated() {
        if let (true, Some(d)) = (waiting(a.reason), &a.deps) {
            v.push((OutputRef::Action(i), d));
        }
    }
    items(&o.questions, OutputRef::Question, &mut v);
    items(&o.fields, OutputRef::Field, &mut v);
    for x in &o.fields {
        if let (true, Some(d)) = (waiting(x.value_reason), &x.value_deps) {
            v.push((OutputRef::FieldValue(x.index), d));
        }
    }
    items(&o.scripts, OutputRef::Script, &mut v);
    for (i, x) in o.outcomes.iter_enumerated() {
        if let (true, Some(d)) = (waiting(x.reason), &x.deps) {
            v.push((OutputRef::Outcome(i), d));
        }
    }
    items(&o.deadlines, OutputRef::Deadline, &mut v);
    v
}

fn items<'a, I>(list: &'a [ItemV<I>], make: fn(I) -> OutputRef, v: &mut Vec<(OutputRef, &'a Deps)>)
where
    I: Copy,
{
    for x in list.iter().filter(|x| x.status == Presence::Undecided) {
        if let Some(d) = &x.deps {
            v.push((make(x.index), d));
        }
    }
}

/// How one output reads, for comparison across answers; `None` = undecided.
#[derive(PartialEq)]
enum Reading<'a> {
    Absent,
    Ask,
    Verdict(Verdict, Option<UndecidedReason>),
    Required,
    /// A ticket field's prescribed value (none when the field is absent).
    FieldValue(Option<&'a Value>, Option<UndecidedReason>),
    Say(&'a str),
    Outcome(OutcomeStatus, Option<&'a Value>),
    Due(Option<i64>),
}

fn find<I: Id>(list: &[ItemV<I>], i: I) -> Option<&ItemV<I>> {
    list.iter().find(|x| x.index == i)
}

fn reading<'a>(o: &'a Outputs, r: OutputRef) -> Option<Reading<'a>> {
    match r {
        OutputRef::Action(i) => Some(&o.actions[i])
            .filter(|a| a.deps.is_none())
            .map(|a| Reading::Verdict(a.verdict, a.reason)),
        OutputRef::Question(i) => match find(&o.questions, i) {
            None => Some(Reading::Absent),
            Some(q) if q.status == Presence::Present => Some(Reading::Ask),
            Some(_) => None,
        },
        OutputRef::Field(i) => match find(&o.fields, i) {
            None => Some(Reading::Absent),
            Some(f) if f.status == Presence::Present => Some(Reading::Required),
            Some(_) => None,
        },
        OutputRef::FieldValue(i) => match find(&o.fields, i) {
            None => Some(Reading::FieldValue(None, None)),
            Some(f) if waiting(f.value_reason) => None,
            Some(f) => Some(Reading::FieldValue(f.value.as_ref(), f.value_reason)),
        },
        OutputRef::Script(i) => match find(&o.scripts, i) {
            None => Some(Reading::Absent),
            Some(s) if s.status == Presence::Present => Some(Reading::Say(&s.text)),
            Some(_) => None,
        },
        OutputRef::Outcome(i) => Some(&o.outcomes[i])
            .filter(|x| x.deps.is_none())
            .map(|x| Reading::Outcome(x.status, x.value.as_ref())),
        OutputRef::Deadline(i) => match find(&o.deadlines, i) {
            None => Some(Reading::Absent),
            Some(x) if x.status == Presence::Present => Some(Reading::Due(x.due)),
            Some(_) => None,
        },
        OutputRef::Open(_) => None,
    }
}

fn rules_of(o: &Outputs, r: OutputRef) -> Vec<RuleId> {
    let rules = match r {
        OutputRef::Action(i) => Some(&o.actions[i].rules),
        OutputRef::Question(i) => find(&o.questions, i).map(|x| &x.rules),
        OutputRef::Field(i) | OutputRef::FieldValue(i) => find(&o.fields, i).map(|x| &x.rules),
        OutputRef::Script(i) => find(&o.scripts, i).map(|x| &x.rules),
        OutputRef::Outcome(i) => Some(&o.outcomes[i].rules),
        OutputRef::Deadline(i) => find(&o.deadlines, i).map(|x| &x.rules),
        OutputRef::Open(_) => None,
    };
    rules.cloned().unwrap_or_default()
}

/// Adds the rules behind `r` in `o` that `rules` does not hold yet.
fn add_rules(rules: &mut Vec<RuleId>, o: &Outputs, r: OutputRef) {
    for rule in rules_of(o, r) {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
}

fn adopt_item<I: Id>(list: &mut Vec<ItemV<I>>, from: &[ItemV<I>], i: I, rules: Vec<RuleId>) {
    list.retain(|x| x.index != i);
    if let Some(new) = find(from, i) {
        list.push(ItemV {
            rules,
            ..new.clone()
        });
    }
}

/// Whether a ticket field is mandatory, settled; its value stays as it was (it is
/// settled on its own, as [`OutputRef::FieldValue`]).
fn adopt_field(
    list: &mut Vec<ItemV<FieldId>>,
    from: &[ItemV<FieldId>],
    i: FieldId,
    rules: Vec<RuleId>,
) {
    let Some(new) = find(from, i) else {
        list.retain(|x| x.index != i);
        return;
    };
    match list.iter_mut().find(|x| x.index == i) {
        Some(old) => {
            old.status = new.status;
            old.deps = new.deps.clone();
            old.rules = rules;
        }
        None => list.push(ItemV {
            rules,
            value: None,
            value_reason: None,
            value_deps: None,
            ..new.clone()
        }),
    }
}

/// A ticket field's value, settled.
fn adopt_field_value(
    list: &mut [ItemV<FieldId>],
    from: &[ItemV<FieldId>],
    i: FieldId,
    rules: Vec<RuleId>,
) {
    let Some(old) = list.iter_mut().find(|x| x.index == i) else {
        return;
    };
    let new = find(from, i);
    old.value = new.and_then(|x| x.value.clone());
    old.value_reason = new.and_then(|x| x.value_reason);
    old.value_deps = new.and_then(|x| x.value_deps.clone());
    for r in rules {
        if !old.rules.contains(&r) {
            old.rules.push(r);
        }
    }
}

/// Replaces one output in `o` by its settled form in `settled`, with the reasons
/// of every answer.
fn adopt(o: &mut Outputs, settled: &Outputs, r: OutputRef, rules: Vec<RuleId>) {
    match r {
        OutputRef::Action(i) => {
            o.actions[i] = settled.actions[i].clone();
            o.actions[i].rules = rules;
        }
        OutputRef::Outcome(i) => {
            o.outcomes[i] = settled.outcomes[i].clone();
            o.outcomes[i].rules = rules;
        }
        OutputRef::Question(i) => adopt_item(&mut o.questions, &settled.questions, i, rules),
        OutputRef::Field(i) => adopt_field(&mut o.fields, &settled.fields, i, rules),
        OutputRef::FieldValue(i) => adopt_field_value(&mut o.fields, &settled.fields, i, rules),
        OutputRef::Script(i) => adopt_item(&mut o.scripts, &settled.scripts, i, rules),
        OutputRef::Deadline(i) => adopt_item(&mut o.deadlines, &settled.deadlines, i, rules),
        OutputRef::Open(_) => {}
    }
}

/// Whether the reading of `r` is computed from one of `facts` that is tried with
/// one answer per region (not every answer): then two answers in one region
/// could still give it different values, and it is not settled by trying.
fn value_reads(tries: &Tries, r: OutputRef, facts: &[FactId]) -> bool {
    let reads = match r {
        OutputRef::FieldValue(i) => &tries.field_values[i],
        OutputRef::Outcome(i) => &tries.outcome_values[i],
        OutputRef::Script(i) => &tries.script_texts[i],
        OutputRef::Deadline(i) => &tries.deadline_dues[i],
        // Whether a field is mandatory is a matter of which rules apply, not a value.
        OutputRef::Action(_)
        | OutputRef::Question(_)
        | OutputRef::Field(_)
        | OutputRef::Open(_) => return false,
    };
    facts
        .iter()
        .any(|f| !tries.every[*f] && reads.contains_fact(*f))
}

/// Settles what every answer to the missing facts decides the same way.
/// `answer_read` is [`Policy::answer_reads`]; `tries` gives the answers to try,
/// asked for only when some output waits on facts.
pub(super) fn refine<'t>(
    policy: &Policy,
    answer_read: &IdVec<FactId, bool>,
    tries: impl FnOnce() -> &'t Tries,
    case: &Case,
    at: Option<i64>,
    base: &Fired,
    o: &mut Outputs,
) {
    // Group the outputs by the set of missing facts they wait on.
    let mut groups: BTreeMap<Vec<FactId>, Vec<OutputRef>> = BTreeMap::new();
    for (output, deps) in undecided(o) {
        // Outputs that wait on the evaluation time are not tried.
        if deps.iter().any(|f| f >= policy.facts.len()) {
            continue;
        }
        groups
            .entry(deps.facts(policy.facts.len()).collect())
            .or_default()
            .push(output);
    }
    if groups.is_empty() {
        return;
    }
    let tries = tries();
    let mut settled_any = false;
    let mut budget = MAX_CASE_COMBINATIONS;
    let (mut effective, mut scratch) = (IdVec::new(), Scratch::default());
    for (facts, mut outputs) in groups {
        // A fact not given is tried, and so is one answered `null` unless an `is
        // answered` reads it (then `null` is an answer of its own).
        let tried = |f: &FactId| match case.slots[*f] {
            FactValue::Absent => true,
            FactValue::Null => !answer_read[*f],
            FactValue::Known(_) => false,
        };
        if facts.is_empty() || !facts.iter().all(tried) {
            continue;
        }
        let Some(domains) = facts
            .iter()
            .map(|f| tries.answers[*f].as_ref())
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        outputs.retain(|r| !value_reads(tries, *r, &facts));
        if outputs.is_empty() {
            continue;
        }
        let Some(combinations) = domains.iter().try_fold(1usize, |acc, d| {
            acc.checked_mul(d.len()).filter(|n| *n <= MAX_COMBINATIONS)
        }) else {
            continue;
        };
        if combinations > budget {
            continue;
        }
        // Only what waits on the tried facts is computed again, unless an
        // `is answered` reads one of them (that answer changes from no to yes).
        let mut changed = Deps::default();
        facts.iter().for_each(|f| changed.insert_fact(*f));
        let reuse = if facts.iter().any(|f| answer_read[*f]) {
            None
        } else {
            Some((base, &changed))
        };
        // Every combination of answers, as long as some output still reads the same
        // under all of them. `alive` holds those outputs with the rules behind
        // them so far; the first combination is the reading they must keep.
        let mut c = case.clone();
        let mut first: Option<Outputs> = None;
        let mut alive: Vec<(OutputRef, Vec<RuleId>)> = Vec::new();
        let mut idx = vec![0usize; facts.len()];
        'all: loop {
            for ((f, dom), i) in facts.iter().zip(&domains).zip(&idx) {
                if let Some(v) = dom.get(*i) {
                    c.slots[*f] = v.clone();
                }
            }
            budget = budget.saturating_sub(1);
            let mut env = Env::new(policy, &c, at);
            let fired = fire(&mut env, reuse);
            // The first combination decides every output of the group; the others
            // only those still alive.
            let alive_now: Vec<OutputRef>;
            let wanted = if first.is_none() {
                outputs.as_slice()
            } else {
                alive_now = alive.iter().map(|(r, _)| *r).collect();
                alive_now.as_slice()
            };
            let mut out = Outputs::default();
            finish(
                &mut env,
                &fired,
                Some(wanted),
                &mut effective,
                &mut scratch,
                &mut out,
            );
            match &first {
                None => {
                    alive = outputs
                        .iter()
                        .filter(|r| reading(&out, **r).is_some())
                        .map(|r| {
                            let mut rules = Vec::new();
                            add_rules(&mut rules, &out, *r);
                            (*r, rules)
                        })
                        .collect();
                    first = Some(out);
                }
                Some(head) => {
                    alive.retain_mut(|(r, rules)| {
                        let same =
                            reading(&out, *r).is_some() && reading(&out, *r) == reading(head, *r);
                        if same {
                            add_rules(rules, &out, *r);
                        }
                        same
                    });
                }
            }
            if alive.is_empty() {
                break;
            }
            let mut k = 0;
            loop {
                let Some(i) = idx.get_mut(k) else { break 'all };
                *i += 1;
                if *i < domains.get(k).map_or(0, |d| d.len()) {
                    break;
                }
                *i = 0;
                k += 1;
            }
        }
        let Some(first) = first else {
            continue;
        };
        for (output, rules) in alive {
            adopt(o, &first, output, rules);
            settled_any = true;
        }
    }
    if !settled_any {
        return;
    }
    // Declaration order again, then the pending list without what is now settled.
    o.questions.sort_by_key(|x| x.index);
    o.fields.sort_by_key(|x| x.index);
    o.scripts.sort_by_key(|x| x.index);
    o.deadlines.sort_by_key(|x| x.index);
    let still: Vec<OutputRef> = undecided(o).into_iter().map(|(r, _)| r).collect();
    for p in &mut o.pending {
        p.decides
            .retain(|r| matches!(r, OutputRef::Open(_)) || still.contains(r));
    }
    o.pending.retain(|p| !p.decides.is_empty());
    sort_pending(&mut o.pending);
    o.complete = o.pending.is_empty() && !o.needs_time;
}

#[cfg(test)]
mod tests {
    use crate::eval::tries::Tries;
    use crate::eval::value3::Deps;
    use crate::eval::{fire, Env, FactValue};

    /// Recomputing only what waited on a newly answered fact gives exactly what a
    /// full evaluation gives: every derived fact and every rule condition, on every
    /// example of every shipped policy with one fact left out and then answered
    /// each possible way (facts an `is answered` reads excepted, as in `refine`).
    #[test]
    fn partial_recomputation_equals_full_evaluation() {
        let mut compared = 0;
        for (_, policy) in crate::testing::shipped_policies() {
            let answer_read = policy.answer_reads();
            let tries = Tries::new(&policy);
            for ex in &policy.examples {
                let whole = crate::testing::example_case(&policy, ex);
                for f in whole.slots.ids() {
                    let Some(values) = tries.answers[f].clone() else {
                        continue;
                    };
                    if answer_read[f] {
                        continue;
                    }
                    let mut partial = whole.clone();
                    partial.slots[f] = FactValue::Absent;
                    let mut env = Env::new(&policy, &partial, ex.at);
                    let mut base = fire(&mut env, None);
                    base.lets = std::mem::take(&mut env.lets);
                    for v in values {
                        let mut answered = partial.clone();
                        answered.slots[f] = v;
                        let mut env = Env::new(&policy, &answered, ex.at);
                        let reused = fire(&mut env, Some((&base, &Deps::fact(f))));
                        let reused_lets = std::mem::take(&mut env.lets);
                        let mut env = Env::new(&policy, &answered, ex.at);
                        let full = fire(&mut env, None);
                        assert_eq!(format!("{reused_lets:?}"), format!("{:?}", env.lets));
                        assert_eq!(format!("{:?}", reused.fires), format!("{:?}", full.fires));
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1_000, "only {compared} answers compared");
    }
}
