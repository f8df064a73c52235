//! Warnings: unused declarations, expiry, rules without quotes, missing examples.

use super::error::CheckError;
use super::ids::{IdVec, RuleId};
use super::ir::*;
use super::Checker;
use crate::syntax::ast::{self, HeaderField, Item};
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn lints(
        &mut self,
        file: &ast::File,
        meta: &Meta,
        rules: &IdVec<RuleId, RuleDef>,
        today: Option<i32>,
    ) {
        // Unused facts and derived facts.
        let mut let_index = 0usize;
        for item in &file.items {
            match item {
                Item::Case(c) => {
                    for f in &c.facts {
                        let used = self
                            .facts
                            .iter_enumerated()
                            .find(|(_, d)| d.name == f.name.name && d.span == f.name.span)
                            .is_some_and(|(i, _)| self.used_facts.contains(&i));
                        if !used {
                            self.err(CheckError::Unused {
                                span: f.name.span,
                                name: f.name.name.clone(),
                                kind: "fact",
                            });
                        }
                    }
                }
                Item::Let(l) => {
                    if !self.used_lets.contains(&let_index) {
                        self.err(CheckError::Unused {
                            span: l.name.span,
                            name: l.name.name.clone(),
                            kind: "derived fact",
                        });
                    }
                    let_index += 1;
                }
                Item::Question(d) => self.unused_output(&d.name, "question"),
                Item::Action(d) => self.unused_output(&d.name, "action"),
                Item::Field(d) => self.unused_output(&d.name, "ticket field"),
                Item::Script(d) => self.unused_output(&d.name, "script"),
                Item::Outcome(d) => self.unused_output(&d.name, "outcome"),
                Item::Deadline(d) => {
                    if !self
                        .used_outputs
                        .contains(&super::deadline_key(&d.name.name))
                    {
                        self.err(CheckError::Unused {
                            span: d.name.span,
                            name: d.name.name.clone(),
                            kind: "deadline",
                        });
                    }
                }
                Item::Rule(r) if r.quote.is_none() => {
                    self.err(CheckError::NoQuote {
                        span: r.name.span,
                        rule: r.name.name.clone(),
                    });
                }
                Item::Table(t) if t.quote.is_none() => {
                    self.err(CheckError::NoQuote {
                        span: t.name.span,
                        rule: t.name.name.clone(),
                    });
                }
                _ => {}
            }
        }
        for r in rules {
            if let Some(CExpr::Const(Value::Bool(b))) = &r.cond {
                if !r.name.is_empty() {
                    self.err(CheckError::ConstantCondition {
                        span: r.span,
                        value: *b,
                    });
                }
            }
        }
        if !file.items.iter().any(|i| matches!(i, Item::Example(_))) {
            self.err(CheckError::NoExamples {
                span: file.header.id.span,
            });
        }
        // Validity against today's date.
        let archived = meta.status.as_deref() == Some("archived");
        let until_span = file.header.fields.iter().find_map(|f| match f {
            HeaderField::Valid(v) => v.until.map(|u| u.1),
            _ => None,
        });
        let status_span = file.header.fields.iter().find_map(|f| match f {
            HeaderField::Status { status, .. } => Some(status.span),
            _ => None,
        });
        if let Some(today) = today {
            let expired = meta.valid_until.is_some_and(|u| u < today);
            if expired && !archived {
                if let (Some(u), Some(span)) = (meta.valid_until, until_span) {
                    self.err(CheckError::Expired {
                        span,
                        until: crate::time::format_date(u),
                    });
                }
            }
            if archived && !expired {
                if let Some(span) = status_span {
                    self.err(CheckError::ArchivedNotExpired { span });
                }
            }
        }
    }

    fn unused_output(&mut self, id: &ast::Ident, kind: &'static str) {
        if !self.used_outputs.contains(&id.name) {
            self.err(CheckError::Unused {
                span: id.span,
                name: id.name.clone(),
                kind,
            });
        }
    }
}
