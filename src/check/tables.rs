//! Decision tables: sugar over rules, checked for overlapping rows and gaps.

use super::error::CheckError;
use super::ir::*;
use super::table_index::{Acc, Index, Stopped};
use super::{Checker, OutputDecl};
use crate::span::Span;
use crate::syntax::ast::{self, CellTestKind, CmpOp, OutCell, Verdict};
use crate::types::Type;
use crate::value::Value;

/// One test in a cell, on constants only (used by the overlap analysis).
#[derive(Debug, Clone)]
enum Pred {
    Eq(Value),
    Cmp(CmpOp, Value),
    Range(Value, Value, RangeKind, u32),
}

/// The constant tests of one cell (`None` when a cell is not constant).
type CellPreds = Option<Vec<(bool, Pred)>>;

/// The tests of every cell of one row.
type RowPreds = Vec<Vec<(bool, Pred)>>;

/// Most candidate points the gap analysis will enumerate.
const MAX_POINTS: usize = 200_000;
/// Most cell tests and rows looked at for one table's overlaps and gaps.
const TABLE_WORK: usize = 4_000_000;

impl Checker<'_> {
    pub(super) fn table(&mut self, t: &ast::TableDecl) -> (Vec<RuleDef>, bool) {
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
        if rules.len() == t.rows.len() {
            self.analyse_table(t, &inputs, &preds, first);
        }
        (rules, first)
    }

    fn cell(
        &mut self,
        cell: &ast::InCell,
        col: &CExpr,
        ty: &Type,
    ) -> (Option<CExpr>, Option<Vec<(bool, Pred)>>) {
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
                    let p = const_of(&v).map(Pred::Eq);
                    (CExpr::Cmp(CmpOp::Eq, Box::new(col.clone()), Box::new(v)), p)
                }
                CellTestKind::Compare(op, e) => {
                    let (v, t) = self.expr(e, Some(ty));
                    self.cell_type(test.span, ty, &t, matches!(op, CmpOp::Eq | CmpOp::Ne));
                    let p = const_of(&v).map(|c| Pred::Cmp(*op, c));
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
                        (Some(a), Some(b)) => Some(Pred::Range(a, b, kind, slack)),
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
                    v.push((test.negated, p));
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

    /// Overlapping rows (for `hit unique`) and input combinations no row covers.
    fn analyse_table(
        &mut self,
        t: &ast::TableDecl,
        inputs: &[(CExpr, Type)],
        preds: &[Vec<CellPreds>],
        first: bool,
    ) {
        let Some(points) = inputs
            .iter()
            .enumerate()
            .map(|(ci, (_, ty))| self.candidates(ty, preds, ci))
            .collect::<Option<Vec<_>>>()
        else {
            return;
        };
        let rows: Option<Vec<RowPreds>> = preds
            .iter()
            .map(|r| r.iter().cloned().collect::<Option<Vec<_>>>())
            .collect();
        let Some(rows) = rows else { return };
        // Cells other than plain values are tested against every candidate point.
        let tested: usize = rows
            .iter()
            .flat_map(|row| row.iter().zip(&points))
            .filter(|(cell, _)| !cell.is_empty() && plain_values(cell).is_none())
            .map(|(_, pts)| pts.len())
            .fold(0usize, usize::saturating_add);
        if tested > TABLE_WORK {
            self.err(CheckError::NotChecked {
                span: t.name.span,
                what: if first {
                    "whether every case has a row"
                } else {
                    "whether rows overlap, and whether every case has a row"
                },
            });
            return;
        }
        // Which candidate values of each column each row accepts.
        let lookup: Vec<std::collections::HashMap<String, Vec<u32>>> =
            points.iter().map(|pts| point_keys(pts)).collect();
        let accepts: Vec<Vec<Acc>> = rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&points)
                    .zip(&lookup)
                    .map(|((cell, pts), keys)| accepted(cell, pts, keys))
                    .collect()
            })
            .collect();
        let mut index = Index::new(accepts, points.iter().map(Vec::len).collect(), TABLE_WORK);
        if !first {
            match index.first_overlap() {
                Ok(Some((a, b, w))) => {
                    let example = self.describe_point(t, &points, &w);
                    let (span, other) = (
                        t.rows.get(b).map(|r| r.span).unwrap_or(t.span),
                        t.rows.get(a).map(|r| r.span).unwrap_or(t.span),
                    );
                    self.err(CheckError::TableOverlap {
                        span,
                        other,
                        row: b + 1,
                        other_row: a + 1,
                        example,
                    });
                }
                Ok(None) => {}
                Err(Stopped) => self.err(CheckError::NotChecked {
                    span: t.name.span,
                    what: "whether rows overlap",
                }),
            }
        }
        // Gaps: enumerate the product of candidate points, bounded.
        let total = points
            .iter()
            .try_fold(1usize, |acc, p| acc.checked_mul(p.len().max(1)));
        if points.is_empty() {
            return;
        }
        if total.is_none_or(|n| n > MAX_POINTS) {
            self.err(CheckError::NotChecked {
                span: t.name.span,
                what: "whether every case has a row",
            });
            return;
        }
        let mut idx = vec![0usize; points.len()];
        loop {
            let Ok(covered) = index.covered(&idx) else {
                self.err(CheckError::NotChecked {
                    span: t.name.span,
                    what: "whether every case has a row",
                });
                return;
            };
            if !covered {
                let example = self.describe_point(t, &points, &idx);
                if t.complete {
                    self.err(CheckError::TableIncomplete {
                        span: t.name.span,
                        example,
                    });
                } else {
                    self.err(CheckError::TableGap {
                        span: t.name.span,
                        example,
                    });
                }
                return;
            }
            let mut c = 0;
            loop {
                let Some(i) = idx.get_mut(c) else { return };
                *i += 1;
                if *i < points.get(c).map_or(0, Vec::len) {
                    break;
                }
                *i = 0;
                c += 1;
            }
        }
    }

    /// Values of one column that between them meet every region the cells can tell apart.
    fn candidates(&self, ty: &Type, preds: &[Vec<CellPreds>], column: usize) -> Option<Vec<Value>> {
        let consts: Vec<Value> = preds
            .iter()
            .filter_map(|r| r.get(column))
            .flat_map(|c| c.iter().flatten())
            .flat_map(|(_, p)| match p {
                Pred::Eq(v) | Pred::Cmp(_, v) => vec![v.clone()],
                Pred::Range(a, b, _, s) => vec![a.clone(), b.clone(), bump(b, i64::from(*s))],
            })
            .collect();
        let mut out: Vec<Value> = match ty {
            Type::Bool => vec![Value::Bool(false), Value::Bool(true)],
            Type::Enum(ei, _) => {
                let variants = self.enums[*ei].variants.ids();
                variants.map(|v| Value::Enum(*ei, v)).collect()
            }
            Type::Int
            | Type::Date
            | Type::DateTime
            | Type::Time
            | Type::Duration
            | Type::Decimal => {
                let mut v = Vec::new();
                for c in &consts {
                    v.extend([bump(c, -1), c.clone(), bump(c, 1)]);
                }
                if let Some(lowest) = consts
                    .iter()
                    .min_by(|a, b| a.compare(b).unwrap_or(std::cmp::Ordering::Equal))
                {
                    v.push(bump(lowest, -1000));
                }
                if let Type::Time = ty {
                    v.extend([Value::Time(0), Value::Time(86_399)]);
                    v.retain(|x| matches!(x, Value::Time(t) if *t < 86_400));
                }
                if v.is_empty() {
                    v.push(Value::Int(0));
                }
                v
            }
            Type::Text => {
                let mut v = consts.clone();
                v.push(Value::Text("\u{2026}".into()));
                v
            }
            _ => return None,
        };
        out.dedup_by(|a, b| a == b);
        Some(out)
    }

    fn describe_point(&self, t: &ast::TableDecl, points: &[Vec<Value>], idx: &[usize]) -> String {
        t.inputs
            .iter()
            .zip(points)
            .zip(idx)
            .map(|((col, pts), i)| {
                let v = pts.get(*i).map(|v| self.show(v)).unwrap_or_default();
                format!("{} = {v}", col.name)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn show(&self, v: &Value) -> String {
        match v {
            Value::Enum(e, i) => self.enums[*e].variants[*i].name.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Text(t) => format!("{t:?}"),
            Value::Date(d) => crate::time::format_date(*d),
            Value::Time(t) => crate::time::format_time(*t),
            Value::DateTime(s) => crate::time::format_instant(*s, self.calendar.zone.offset_at(*s)),
            Value::Duration(d) => crate::time::format_duration(*d),
            Value::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| self.show(i))
                    .collect::<Vec<_>>()
                    .join(", ")
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

/// A value moved by `n` of its smallest unit.
fn bump(v: &Value, n: i64) -> Value {
    match v {
        Value::Int(i) => Value::Int(i.saturating_add(n)),
        Value::Decimal(d) => Value::Decimal(
            d.checked_add(rust_decimal::Decimal::new(n, 4))
                .unwrap_or(*d),
        ),
        Value::Date(d) => Value::Date(d.saturating_add(n as i32)),
        Value::DateTime(s) => Value::DateTime(s.saturating_add(n)),
        Value::Time(t) => Value::Time((i64::from(*t) + n).clamp(0, 90_000) as u32),
        Value::Duration(s) => Value::Duration(s.saturating_add(n)),
        other => other.clone(),
    }
}

/// The values of a cell that only lists values (`a`, `a, b`), if it is one.
fn plain_values(cell: &[(bool, Pred)]) -> Option<Vec<&Value>> {
    cell.iter()
        .map(|(neg, p)| match p {
            Pred::Eq(v) if !neg => Some(v),
            _ => None,
        })
        .collect()
}

/// A key equal for two values exactly when `Value::equals` holds.
fn point_key(v: &Value) -> String {
    match v {
        Value::Int(i) => format!("n{}", rust_decimal::Decimal::from(*i).normalize()),
        Value::Decimal(d) => format!("n{}", d.normalize()),
        other => format!("{other:?}"),
    }
}

fn point_keys(points: &[Value]) -> std::collections::HashMap<String, Vec<u32>> {
    let mut keys: std::collections::HashMap<String, Vec<u32>> = Default::default();
    for (i, v) in points.iter().enumerate() {
        keys.entry(point_key(v)).or_default().push(i as u32);
    }
    keys
}

/// The candidate points a cell accepts.
fn accepted(
    cell: &[(bool, Pred)],
    points: &[Value],
    keys: &std::collections::HashMap<String, Vec<u32>>,
) -> Acc {
    if cell.is_empty() {
        return Acc::All;
    }
    let mut hits: Vec<u32> = match plain_values(cell) {
        Some(values) => values
            .iter()
            .filter_map(|v| keys.get(&point_key(v)))
            .flatten()
            .copied()
            .collect(),
        None => (0..points.len() as u32)
            .filter(|i| points.get(*i as usize).is_some_and(|v| cell_holds(cell, v)))
            .collect(),
    };
    hits.sort_unstable();
    hits.dedup();
    if hits.len() == points.len() {
        Acc::All
    } else {
        Acc::Some(hits)
    }
}

fn cell_holds(cell: &[(bool, Pred)], v: &Value) -> bool {
    if cell.is_empty() {
        return true;
    }
    cell.iter().any(|(neg, p)| {
        let hit = match p {
            Pred::Eq(c) => v.equals(c),
            Pred::Cmp(op, c) => match v.compare(c) {
                Some(o) => match op {
                    CmpOp::Eq => o.is_eq(),
                    CmpOp::Ne => o.is_ne(),
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    CmpOp::Ge => o.is_ge(),
                },
                None => false,
            },
            Pred::Range(lo, hi, kind, slack) => crate::eval::in_range(v, lo, hi, *kind, *slack),
        };
        hit != *neg
    })
}
