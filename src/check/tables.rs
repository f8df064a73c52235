//! Decision tables: sugar over rules. Each row becomes a rule; the table
//! itself is kept (`TableDef`) for the analysis, which is where overlapping
//! rows and combinations no row covers are looked for (`analysis/tables.rs`).

use super::error::CheckError;
use super::ir::*;
use super::{Checker, OutputDecl};
use crate::span::Span;
use crate::syntax::ast::{self, CellTestKind, CmpOp, OutCell, Verdict};
use crate::types::Type;
use crate::value::Value;

/// The constant tests of one cell (`None` when a cell is not constant).
type CellPreds = Option<Vec<CellTest>>;

impl Checker<'_> {
    /// The rows as rules, and the table (its `rows` left for the caller to fill).
    pub(super) fn table(&mut self, t: &ast::TableDecl) -> (Vec<RuleDef>, TableDef) {
        let first = match &t.hit {
            None => false,
            Some(h) if h.name == "unique" => false,
            Some(h) if h.name == "first" => true,
            Some(h) => {
                self.err(CheckError::UnknownHit {
                    span: h.span,
                    found: h.name.clone(),
                });
                false
            }
        };
        if let Some(v) = &t.valid {
            self.validity_order(v);
        }
        let when = t.when.as_ref().map(|w| self.condition(w));
        let inputs: Vec<(CExpr, Type)> = t.inputs.iter().map(|c| self.name(c, None)).collect();
        let outputs: Vec<Option<OutputDecl>> = t
            .outputs
            .iter()
            .map(|c| {
                self.output(
                    c,
                    "table",
                    "an action, question, script, ticket field or outcome",
                    |d| !matches!(d, OutputDecl::Deadline(_)),
                )
            })
            .collect();

        let mut rules = Vec::new();
        // Per row, per column: constant predicates (None when a cell is not constant).
        let mut preds: Vec<Vec<CellPreds>> = Vec::new();
        for (ri, row) in t.rows.iter().enumerate() {
            let n = ri + 1;
            if row.inputs.len() != t.inputs.len() {
                self.err(CheckError::TableCellCount {
                    span: row.span,
                    expected: t.inputs.len(),
                    found: row.inputs.len(),
                    side: "condition",
                });
                continue;
            }
            if row.outputs.len() != t.outputs.len() {
                self.err(CheckError::TableCellCount {
                    span: row.span,
                    expected: t.outputs.len(),
                    found: row.outputs.len(),
                    side: "result",
                });
                continue;
            }
            let mut cond = when.clone();
            let mut row_preds = Vec::new();
            for (cell, (col, ty)) in row.inputs.iter().zip(&inputs) {
                let (c, p) = self.cell(cell, col, ty);
                row_preds.push(p);
                if let Some(c) = c {
                    cond = Some(match cond {
                        None => c,
                        Some(prev) => CExpr::And(Box::new(prev), Box::new(c)),
                    });
                }
            }
            preds.push(row_preds);
            let mut effects = Vec::new();
            for ((cell, col), decl) in row.outputs.iter().zip(&t.outputs).zip(&outputs) {
                if let Some(d) = decl {
                    if let Some(e) = self.out_cell(cell, col, *d) {
                        effects.push(e);
                    }
                }
            }
            // In a `hit first` table an empty row stops the rows below it: that is its effect.
            if effects.is_empty() && !first {
                self.err(CheckError::EmptyRule {
                    span: row.span,
                    rule: format!("{}[{n}]", t.name.name),
                });
            }
            rules.push(RuleDef {
                name: format!("{}[{n}]", t.name.name),
                quote: t.quote.as_ref().map(|q| q.value.clone()),
                location: self.location(row.span),
                span: row.span,
                cond,
                overridden_by: Vec::new(),
                effects,
                valid_from: t.valid.as_ref().and_then(|v| v.from.map(|d| d.0)),
                valid_until: t.valid.as_ref().and_then(|v| v.until.map(|d| d.0)),
            });
        }
        let table = TableDef {
            name: t.name.name.clone(),
            span: t.name.span,
            first,
            complete: t.complete,
            rows: Vec::new(),
            when,
            columns: t
                .inputs
                .iter()
                .zip(inputs)
                .map(|(c, (expr, ty))| TableColumn {
                    name: c.name.clone(),
                    expr,
                    ty,
                })
                .collect(),
            cells: preds,
        };
        (rules, table)
    }

    fn cell(&mut self, cell: &ast::InCell, col: &CExpr, ty: &Type) -> (Option<CExpr>, CellPreds) {
        if cell.tests.is_empty() {
            return (None, Some(Vec::new()));
        }
        let mut any: Option<CExpr> = None;
        let mut preds = Some(Vec::new());
        for test in &cell.tests {
            let (c, p) = match &test.kind {
                CellTestKind::Equals(e) => {
                    let (v, t) = self.expr(e, Some(ty));
                    self.cell_type(test.span, ty, &t, true);
                    let p = const_of(&v).map(CellPred::Eq);
                    (CExpr::Cmp(CmpOp::Eq, Box::new(col.clone()), Box::new(v)), p)
                }
                CellTestKind::Compare(op, e) => {
                    let (v, t) = self.expr(e, Some(ty));
                    self.cell_type(test.span, ty, &t, matches!(op, CmpOp::Eq | CmpOp::Ne));
                    let p = const_of(&v).map(|c| CellPred::Cmp(*op, c));
                    (CExpr::Cmp(*op, Box::new(col.clone()), Box::new(v)), p)
                }
                CellTestKind::Range(lo, hi) => {
                    let (l, tl) = self.expr(lo, Some(ty));
                    let (h, th) = self.expr(hi, Some(ty));
                    self.cell_type(test.span, ty, &tl, false);
                    self.cell_type(test.span, ty, &th, false);
                    let (kind, slack) = match (ty, &hi.kind) {
                        (Type::Time, ast::ExprKind::Time(_, false)) => (RangeKind::TimeOfDay, 59),
                        (Type::Time, _) => (RangeKind::TimeOfDay, 0),
                        _ => (RangeKind::Plain, 0),
                    };
                    let p = match (const_of(&l), const_of(&h)) {
                        (Some(a), Some(b)) => Some(CellPred::Range(a, b, kind, slack)),
                        _ => None,
                    };
                    let c = CExpr::InRange {
                        value: Box::new(col.clone()),
                        lo: Box::new(l),
                        hi: Box::new(h),
                        kind,
                        hi_slack: slack,
                        negated: false,
                    };
                    (c, p)
                }
            };
            let c = if test.negated {
                CExpr::Not(Box::new(c))
            } else {
                c
            };
            preds = match (preds, p) {
                (Some(mut v), Some(p)) => {
                    v.push(CellTest {
                        negated: test.negated,
                        pred: p,
                    });
                    Some(v)
                }
                _ => None,
            };
            any = Some(match any {
                None => c,
                Some(prev) => CExpr::Or(Box::new(prev), Box::new(c)),
            });
        }
        (any, preds)
    }

    fn cell_type(&mut self, span: Span, column: &Type, found: &Type, equality: bool) {
        if column.unify(found).is_none() {
            self.err(CheckError::CompareMismatch {
                span,
                op: "==",
                left: column.clone(),
                right: found.clone(),
            });
        } else if !equality && !column.is_ordered() {
            self.err(CheckError::NotOrdered {
                span,
                ty: column.clone(),
            });
        }
    }

    fn out_cell(&mut self, cell: &OutCell, col: &ast::Ident, decl: OutputDecl) -> Option<CEffect> {
        let bad = |me: &mut Self, kind: &'static str, allowed: &'static str| {
            me.err(CheckError::TableBadCell {
                span: cell.span(),
                column: col.name.clone(),
                kind,
                allowed,
            });
            None
        };
        match (decl, cell) {
            (_, OutCell::Nothing(_)) => None,
            (OutputDecl::Action(a), OutCell::Verdict(v, _)) => Some(match v {
                Verdict::Required => CEffect::Require(a),
                Verdict::Allowed => CEffect::Allow(a),
                Verdict::Forbidden => CEffect::Forbid(a),
            }),
            (OutputDecl::Action(_), _) => bad(
                self,
                "an action",
                "`required`, `allowed`, `forbidden` or `-`",
            ),
            (OutputDecl::Question(q), OutCell::Ask(_)) => Some(CEffect::Ask(q)),
            (OutputDecl::Question(_), _) => bad(self, "a question", "`ask` or `-`"),
            (OutputDecl::Script(s), OutCell::Say(_)) => Some(CEffect::Say(s)),
            (OutputDecl::Script(_), _) => bad(self, "a script", "`say` or `-`"),
            (OutputDecl::Field(f), OutCell::Verdict(Verdict::Required, _)) => {
                Some(CEffect::RequireField(f))
            }
            (OutputDecl::Field(f), OutCell::Value(e)) => {
                let ty = self.fields[f].ty.clone();
                let (c, t) = self.expr(e, Some(&ty));
                if !ty.accepts(&t) {
                    self.err(CheckError::SetMismatch {
                        span: e.span,
                        target: col.name.clone(),
                        expected: ty,
                        found: t,
                    });
                }
                Some(CEffect::SetField(f, c))
            }
            (OutputDecl::Field(_), _) => bad(self, "a ticket field", "`required`, a value or `-`"),
            (OutputDecl::Outcome(o), OutCell::Value(e)) => {
                let ty = self.outcomes[o].ty.clone();
                let (c, t) = self.expr(e, Some(&ty));
                if !ty.accepts(&t) {
                    self.err(CheckError::SetMismatch {
                        span: e.span,
                        target: col.name.clone(),
                        expected: ty,
                        found: t,
                    });
                }
                Some(CEffect::SetOutcome(o, c))
            }
            (OutputDecl::Outcome(_), _) => bad(self, "an outcome", "a value or `-`"),
            (OutputDecl::Deadline(_), _) => bad(
                self,
                "a deadline",
                "nothing: set deadlines with `due` in a rule",
            ),
        }
    }
}

fn const_of(e: &CExpr) -> Option<Value> {
    match e {
        CExpr::Const(v) => Some(v.clone()),
        _ => None,
    }
}
