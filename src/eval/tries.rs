//! The answers the refinement tries for each fact, made once per engine (on the
//! first partial case that needs them) from the analysis' candidate values.
//!
//! Trying a few answers stands for trying every answer only when each region the
//! policy's conditions tell apart holds one of them: yes/no and enum facts (every
//! value), and numbers, dates, date-times, times, durations, texts and lists whose
//! candidates the analysis marks exact and that are compared with constants only.
//! A fact compared with another fact or with the evaluation time (`now > x + 24
//! hours`) is not tried: its regions move with the other value.

use super::value3::Deps;
use super::FactValue;
use crate::analysis::domain::{domains, vars_of};
use crate::check::ids::{DeadlineId, FactId, FieldId, IdVec, OutcomeId, ScriptId};
use crate::check::ir::{CEffect, CExpr, Policy, ScriptPart};
use crate::types::Type;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub(crate) struct Tries {
    /// Per fact: the answers to try (`null` among them when an `is answered`
    /// reads the fact), or `None` when no few answers stand for all of them.
    pub answers: IdVec<FactId, Option<Vec<FactValue>>>,
    /// Per fact: whether the answers tried are every possible answer (yes/no,
    /// enum values). Other facts get one answer per region, so an output whose
    /// value is computed from them (a field's value, a script's text, a due time)
    /// cannot be settled by trying them.
    pub every: IdVec<FactId, bool>,
    /// The facts each output's value is computed from, through derived facts.
    pub field_values: IdVec<FieldId, Deps>,
    pub outcome_values: IdVec<OutcomeId, Deps>,
    pub script_texts: IdVec<ScriptId, Deps>,
    pub deadline_dues: IdVec<DeadlineId, Deps>,
}

impl Tries {
    pub fn new(policy: &Policy) -> Tries {
        let dom = domains(policy);
        let mut answers = IdVec::with_capacity(policy.facts.len());
        let mut every = IdVec::with_capacity(policy.facts.len());
        for (f, def) in policy.facts.iter_enumerated() {
            let v = f.index();
            let finite = matches!(def.ty, Type::Bool | Type::Enum(..));
            let usable = dom.exact.get(v).copied().unwrap_or(false)
                && !dom.linked.get(v).copied().unwrap_or(true);
            let cands = dom.cands.get(v).filter(|c| !c.is_empty());
            answers.push(cands.filter(|_| finite || usable).cloned());
            every.push(finite);
        }
        let n = policy.facts.len();
        let reads = |exprs: &[&CExpr]| {
            let mut vars = BTreeSet::new();
            for e in exprs {
                vars_of(policy, e, &mut vars);
            }
            let mut d = Deps::default();
            vars.into_iter()
                .filter(|v| *v < n)
                .for_each(|v| d.insert(v));
            d
        };
        let mut field_values = IdVec::from_elem(Deps::default(), policy.fields.len());
        let mut outcome_values = IdVec::from_elem(Deps::default(), policy.outcomes.len());
        let mut deadline_dues = IdVec::from_elem(Deps::default(), policy.deadlines.len());
        for r in &policy.rules {
            for e in &r.effects {
                match e {
                    CEffect::SetField(i, x) => field_values[*i].union(&reads(&[x])),
                    CEffect::SetOutcome(i, x) => outcome_values[*i].union(&reads(&[x])),
                    CEffect::DueWithin {
                        deadline,
                        duration,
                        after,
                        ..
                    } => deadline_dues[*deadline].union(&reads(&[duration, after])),
                    CEffect::DueBy { deadline, at } => {
                        deadline_dues[*deadline].union(&reads(&[at]))
                    }
                    _ => {}
                }
            }
        }
        let script_texts = policy
            .scripts
            .iter()
            .map(|s| {
                let slots: Vec<CExpr> = s
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        ScriptPart::Slot(slot) => Some(CExpr::Slot(*slot)),
                        ScriptPart::Text(_) => None,
                    })
                    .collect();
                reads(&slots.iter().collect::<Vec<_>>())
            })
            .collect();
        Tries {
            answers,
            every,
            field_values,
            outcome_values,
            script_texts,
            deadline_dues,
        }
    }
}
