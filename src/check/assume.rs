//! `assume "…"`: what the policy writer assumed that the SOP does not say, and
//! the rules each assumption concerns.
//!
//! An assumption concerns:
//! - on a rule: that rule; on a table: every row of it;
//! - on a fact of the case: every rule whose condition or effects read the fact,
//!   directly or through derived facts;
//! - on a derived fact (`let`): every rule that reads it, directly or through
//!   other derived facts;
//! - in the `calendar`: every rule that counts working time (`due … within N
//!   working hours`, `answer_sent_at + 2 working days`) or reads the calendar's days and hours: `today`, or
//!   `date_of`, `time_of`, `end_of_day`, `weekday`, `days_between`, directly or
//!   through derived facts.
//!
//! This is worked out once, here; the Decision lists an assumption when one of
//! the rules it concerns is behind an output of that case.

use super::ids::*;
use super::ir::*;
use super::{CheckError, Checker, ValueDecl};
use crate::syntax::ast::{self, Item};

/// What an assumption is attached to.
enum Owner {
    Fact(FactId),
    Let(LetId),
    Calendar,
    Rules(Vec<RuleId>),
}

/// What one rule or derived fact reads: facts, derived facts, the calendar.
#[derive(Clone)]
struct Reads {
    facts: Vec<bool>,
    lets: Vec<bool>,
    calendar: bool,
}

impl Reads {
    fn new(facts: usize, lets: usize) -> Reads {
        Reads {
            facts: vec![false; facts],
            lets: vec![false; lets],
            calendar: false,
        }
    }

    /// Adds what `e` reads, with what the derived facts it reads read (`closed`,
    /// already complete for every derived fact `e` can refer to).
    fn add(&mut self, e: &CExpr, closed: &[Reads]) {
        e.visit(&mut |x| match x {
            CExpr::Slot(Slot::Fact(f)) | CExpr::IsAnswered(f, _) => set(&mut self.facts, f.index()),
            CExpr::Slot(Slot::Let(l)) => {
                set(&mut self.lets, l.index());
                if let Some(r) = closed.get(l.index()) {
                    self.merge(r);
                }
            }
            CExpr::Today | CExpr::AddWorking { .. } => self.calendar = true,
            CExpr::Call(
                Builtin::DateOf
                | Builtin::TimeOf
                | Builtin::EndOfDay
                | Builtin::Weekday
                | Builtin::DaysBetween,
                _,
            ) => self.calendar = true,
            _ => {}
        });
    }

    fn merge(&mut self, other: &Reads) {
        for (a, b) in self.facts.iter_mut().zip(&other.facts) {
            *a |= *b;
        }
        for (a, b) in self.lets.iter_mut().zip(&other.lets) {
            *a |= *b;
        }
        self.calendar |= other.calendar;
    }

    fn reads(&self, owner: &Owner, rule: RuleId) -> bool {
        match owner {
            Owner::Fact(f) => self.facts.get(f.index()).copied().unwrap_or(false),
            Owner::Let(l) => self.lets.get(l.index()).copied().unwrap_or(false),
            Owner::Calendar => self.calendar,
            Owner::Rules(rs) => rs.contains(&rule),
        }
    }
}

fn set(v: &mut [bool], i: usize) {
    if let Some(b) = v.get_mut(i) {
        *b = true;
    }
}

/// What rule `r` reads: its condition, the expressions of its effects, and the
/// calendar when it counts working time.
fn rule_reads(r: &RuleDef, closed: &[Reads], facts: usize, lets: usize) -> Reads {
    let mut reads = Reads::new(facts, lets);
    if let Some(c) = &r.cond {
        reads.add(c, closed);
    }
    for e in &r.effects {
        match e {
            CEffect::SetOutcome(_, x) | CEffect::SetField(_, x) => reads.add(x, closed),
            CEffect::DueWithin {
                duration,
                after,
                working,
                ..
            } => {
                reads.add(duration, closed);
                reads.add(after, closed);
                if *working != Working::No {
                    reads.calendar = true;
                }
            }
            CEffect::DueBy { at, .. } => reads.add(at, closed),
            _ => {}
        }
    }
    reads
}

impl Checker<'_> {
    /// Every `assume` of the file, in the order written, with the rules it concerns.
    pub(super) fn assumptions(
        &mut self,
        file: &ast::File,
        rules: &IdVec<RuleId, RuleDef>,
    ) -> Vec<AssumptionDef> {
        let mut found: Vec<(&ast::Assume, Owner)> = Vec::new();
        let mut next_rule = 0;
        let mut let_index = 0;
        for item in &file.items {
            match item {
                Item::Case(case) => {
                    for f in &case.facts {
                        // A fact declared twice is an error already; its assumptions go with it.
                        let Some(ValueDecl::Fact(id, s)) = self.values.get(&f.name.name) else {
                            continue;
                        };
                        if *s != f.name.span {
                            continue;
                        }
                        let id = *id;
                        found.extend(f.assumes.iter().map(|a| (a, Owner::Fact(id))));
                    }
                }
                Item::Let(l) => {
                    if let Some((id, _)) = self.let_final.get(&let_index) {
                        let id = *id;
                        found.extend(l.assumes.iter().map(|a| (a, Owner::Let(id))));
                    }
                    let_index += 1;
                }
                Item::Calendar(cal) => {
                    found.extend(cal.assumes.iter().map(|a| (a, Owner::Calendar)));
                }
                Item::Rule(r) => {
                    let ids = vec![RuleId::new(next_rule)];
                    next_rule += 1;
                    found.extend(r.assumes.iter().map(|a| (a, Owner::Rules(ids.clone()))));
                }
                Item::Table(t) => {
                    let ids: Vec<RuleId> = (next_rule..next_rule + t.rows.len())
                        .map(RuleId::new)
                        .collect();
                    next_rule += t.rows.len();
                    found.extend(t.assumes.iter().map(|a| (a, Owner::Rules(ids.clone()))));
                }
                _ => {}
            }
        }
        if found.is_empty() {
            return Vec::new();
        }

        // Derived facts are in evaluation order: each refers to earlier ones only.
        let (nf, nl) = (self.facts.len(), self.lets.len());
        let mut closed: Vec<Reads> = Vec::with_capacity(nl);
        for l in &self.lets {
            let mut r = Reads::new(nf, nl);
            r.add(&l.expr, &closed);
            closed.push(r);
        }
        let per_rule: Vec<Reads> = rules
            .iter()
            .map(|r| rule_reads(r, &closed, nf, nl))
            .collect();

        let mut out = Vec::with_capacity(found.len());
        for (a, owner) in found {
            if a.text.value.trim().is_empty() {
                self.err(CheckError::EmptyAssumption { span: a.span });
                continue;
            }
            let concerned = per_rule
                .iter()
                .enumerate()
                .filter(|(i, r)| r.reads(&owner, RuleId::new(*i)))
                .map(|(i, _)| RuleId::new(i))
                .collect();
            out.push(AssumptionDef {
                text: a.text.value.clone(),
                location: self.location(a.span),
                span: a.span,
                rules: concerned,
            });
        }
        out
    }
}
