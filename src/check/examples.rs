//! `example` blocks: given values typed against the case, expectations resolved.

use super::error::CheckError;
use super::ids::{FactId, IdVec, RuleId};
use super::ir::*;
use super::{Checker, OutputDecl, ValueDecl};
use crate::diagnostic::did_you_mean;
use crate::span::Span;
use crate::syntax::ast::{self, ExampleTime, ExpectKind, Ident, Item};
use crate::types::Type;
use crate::value::Value;
use std::collections::HashMap;

impl Checker<'_> {
    pub(super) fn examples(
        &mut self,
        file: &ast::File,
        rules: &IdVec<RuleId, RuleDef>,
    ) -> Vec<ExampleDef> {
        let mut out = Vec::new();
        for item in &file.items {
            let Item::Example(ex) = item else { continue };
            let at = ex.at.map(|(t, _)| match t {
                ExampleTime::Date(d) => self
                    .calendar
                    .zone
                    .instant_of_local(i64::from(d) * crate::time::SECONDS_PER_DAY),
                ExampleTime::DateTime(lit) => self.instant(lit),
            });
            let mut given = Vec::new();
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for g in &ex.given {
                if let Some(first) = seen.get(g.fact.name.as_str()) {
                    self.err(CheckError::ExampleDuplicateGiven {
                        span: g.fact.span,
                        first: *first,
                        fact: g.fact.name.clone(),
                    });
                    continue;
                }
                seen.insert(&g.fact.name, g.fact.span);
                let Some(fact) = self.example_fact(&g.fact) else {
                    continue;
                };
                let ty = self.facts[fact].ty.clone();
                let value = match &g.value {
                    None => None,
                    Some(e) => match self.example_value(e, &ty, &g.fact.name) {
                        Some(v) => Some(v),
                        None => continue,
                    },
                };
                given.push((fact, value));
            }
            let mut expect = Vec::new();
            for e in &ex.expect {
                let line = self.line(e.span);
                let mut push = |kind| {
                    expect.push(Expect {
                        kind,
                        line,
                        span: e.span,
                    })
                };
                match &e.kind {
                    ExpectKind::Complete(b) => push(ExpectDef::Complete(*b)),
                    ExpectKind::Open(ids, yes) => {
                        for id in ids {
                            match rules.iter_enumerated().find(|(_, r)| r.name == id.name) {
                                Some((r, _)) => push(ExpectDef::Open(r, *yes)),
                                None => {
                                    let suggestion = did_you_mean(
                                        &id.name,
                                        rules.iter().map(|r| r.name.as_str()),
                                    );
                                    self.err(CheckError::ExampleUnknownRule {
                                        span: id.span,
                                        name: id.name.clone(),
                                        suggestion,
                                    });
                                }
                            }
                        }
                    }
                    ExpectKind::Pending(ids) => {
                        for id in ids {
                            if let Some(f) = self.example_fact(id) {
                                push(ExpectDef::Pending(f));
                            }
                        }
                    }
                    ExpectKind::Ask(ids, yes) => {
                        for id in ids {
                            if let Some(OutputDecl::Question(q)) = self.expect_output(id, "asked", "a question", |d| matches!(d, OutputDecl::Question(_)), "use `ask` for questions, `say` for scripts, `require` for actions and ticket fields") {
                                push(ExpectDef::Ask(q, *yes));
                            }
                        }
                    }
                    ExpectKind::Say(ids, yes) => {
                        for id in ids {
                            if let Some(OutputDecl::Script(s)) = self.expect_output(
                                id,
                                "said",
                                "a script",
                                |d| matches!(d, OutputDecl::Script(_)),
                                "use `say` for scripts, `ask` for questions",
                            ) {
                                push(ExpectDef::Say(s, *yes));
                            }
                        }
                    }
                    ExpectKind::Require(ids, yes) => {
                        for id in ids {
                            match self.expect_output(id, "required", "an action or a ticket field", |d| matches!(d, OutputDecl::Field(_) | OutputDecl::Action(_)), "use `require` for actions and ticket fields, `ask` for questions, `say` for scripts") {
                                Some(OutputDecl::Field(f)) => push(ExpectDef::RequireField(f, *yes)),
                                Some(OutputDecl::Action(a)) => push(ExpectDef::RequireAction(a, *yes)),
                                _ => {}
                            }
                        }
                    }
                    ExpectKind::Due(id, lit, _) => {
                        if let Some(OutputDecl::Deadline(d)) = self.expect_output(
                            id,
                            "due",
                            "a deadline",
                            |d| matches!(d, OutputDecl::Deadline(_)),
                            "use `due` for deadlines",
                        ) {
                            let at = self.instant(*lit);
                            push(ExpectDef::Due(d, at));
                        }
                    }
                    ExpectKind::Value(id, value) => {
                        let decl = self.expect_output(
                            id,
                            "set to a value",
                            "an outcome or a ticket field",
                            |d| matches!(d, OutputDecl::Outcome(_) | OutputDecl::Field(_)),
                            "write `offer allowed` for actions and `ask q` for questions",
                        );
                        let (ty, decl) = match decl {
                            Some(OutputDecl::Outcome(o)) => (self.outcomes[o].ty.clone(), decl),
                            Some(OutputDecl::Field(f)) => (self.fields[f].ty.clone(), decl),
                            _ => continue,
                        };
                        let v = match value {
                            None => None,
                            Some(e) => match self.example_value(e, &ty, &id.name) {
                                Some(v) => Some(v),
                                None => continue,
                            },
                        };
                        match decl {
                            Some(OutputDecl::Outcome(o)) => push(ExpectDef::Outcome(o, v)),
                            Some(OutputDecl::Field(f)) => push(ExpectDef::FieldValue(f, v)),
                            _ => {}
                        }
                    }
                    ExpectKind::Verdict(id, v) => {
                        // `status undecided` works for outcomes too: the SOP leaves it open, or it waits on facts.
                        let outcome_ok = v.is_none();
                        match self.expect_output(id, "given a verdict", "an action", |d| matches!(d, OutputDecl::Action(_)) || (outcome_ok && matches!(d, OutputDecl::Outcome(_))), "verdicts (`required`, `allowed`, `forbidden`) belong to actions; `undecided` to actions and outcomes") {
                            Some(OutputDecl::Action(a)) => push(ExpectDef::Verdict(a, *v)),
                            Some(OutputDecl::Outcome(o)) => push(ExpectDef::OutcomeUndecided(o)),
                            _ => {}
                        }
                    }
                }
            }
            out.push(ExampleDef {
                name: ex.name.value.clone(),
                location: self.location(ex.span),
                span: ex.span,
                at,
                given,
                expect,
            });
        }
        out
    }

    fn example_fact(&mut self, id: &Ident) -> Option<FactId> {
        match self.values.get(&id.name) {
            Some(ValueDecl::Fact(i, _)) => Some(*i),
            _ => {
                let names: Vec<&str> = self.facts.iter().map(|f| f.name.as_str()).collect();
                let suggestion = did_you_mean(&id.name, names);
                self.err(CheckError::ExampleUnknownFact {
                    span: id.span,
                    name: id.name.clone(),
                    suggestion,
                });
                None
            }
        }
    }

    fn example_value(&mut self, e: &ast::Expr, ty: &Type, fact: &str) -> Option<Value> {
        let before = self.errors.len();
        let (c, t) = self.expr(e, Some(ty));
        if self.errors.len() > before {
            return None;
        }
        if !ty.accepts(&t) {
            self.err(CheckError::ExampleValueType {
                span: e.span,
                fact: fact.to_string(),
                expected: ty.clone(),
                found: t,
            });
            return None;
        }
        match c {
            CExpr::Const(v) => Some(match (ty, v) {
                (Type::Decimal, Value::Int(i)) => Value::Decimal(i.into()),
                (_, v) => v,
            }),
            CExpr::Neg(inner) => match *inner {
                CExpr::Const(Value::Int(i)) => Some(Value::Int(i.saturating_neg())),
                CExpr::Const(Value::Decimal(d)) => Some(Value::Decimal(-d)),
                _ => {
                    self.err(CheckError::ExampleNotConstant { span: e.span });
                    None
                }
            },
            _ => {
                self.err(CheckError::ExampleNotConstant { span: e.span });
                None
            }
        }
    }

    fn expect_output(
        &mut self,
        id: &Ident,
        expectation: &'static str,
        _expected: &'static str,
        ok: impl Fn(OutputDecl) -> bool,
        hint: &'static str,
    ) -> Option<OutputDecl> {
        let is_due = expectation == "due";
        let key = if is_due {
            super::deadline_key(&id.name)
        } else {
            id.name.clone()
        };
        match self.outputs.get(&key).copied() {
            Some((d, _)) if ok(d) => Some(d),
            Some((d, _)) => {
                self.err(CheckError::ExampleWrongKind {
                    span: id.span,
                    name: id.name.clone(),
                    kind: d.kind(),
                    expectation,
                    hint,
                });
                None
            }
            None => {
                let names = super::visible_names(self.outputs.keys().cloned(), is_due);
                let suggestion = did_you_mean(&id.name, names.iter().map(String::as_str));
                self.err(CheckError::ExampleUnknownOutput {
                    span: id.span,
                    name: id.name.clone(),
                    suggestion,
                });
                None
            }
        }
    }
}
