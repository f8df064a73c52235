//! Decision tables: rows of a `hit unique` table that apply to one case, and
//! cases that no row of a table applies to. This is the one place that reasons
//! about tables; the checker only expands their rows into rules.
//!
//! A table whose cells all compare with constants is read cell by cell: each
//! column gets candidate values that meet every region its cells tell apart,
//! and an index from values to rows (`table_index`) finds overlapping rows and
//! uncovered combinations without comparing every pair of rows. An overlap
//! found so is then looked for as a real case by the search (two rows can
//! overlap on paper for values no case can give, through a `let`). Other
//! tables are asked of the search row by row.

use super::Analyser;
use crate::analysis::codes;
use crate::analysis::domain::vars_of;
use crate::analysis::search::{Found, Point, Q};
use crate::analysis::table_index::{Acc, Index, Stopped};
use crate::analysis::witness::Witness;
use crate::check::ids::*;
use crate::check::ir::*;
use crate::diagnostic::Diagnostic;
use crate::eval::FactValue;
use crate::syntax::ast::CmpOp;
use crate::types::Type;
use crate::value::Value;
use std::collections::{BTreeSet, HashMap};

/// Most candidate combinations enumerated when looking for a case no row covers.
const MAX_POINTS: usize = 200_000;
/// Most cell tests and rows looked at for one table's overlaps and gaps.
const TABLE_WORK: usize = 4_000_000;
/// Most overlaps on paper that no case reaches, before the check stops.
const MAX_REFUTED: usize = 64;

/// The candidate values of each column, and which of them each cell accepts.
struct Grid {
    points: Vec<Vec<Value>>,
    /// Per row, per column.
    accepts: Vec<Vec<Acc>>,
}

impl Analyser<'_> {
    pub fn tables(&mut self) {
        let policy = self.policy;
        for t in policy.tables.iter() {
            if t.rows.is_empty() || t.rows.len() != t.cells.len() {
                continue;
            }
            match self.grid(t) {
                Some(Ok(g)) => self.table_by_cells(t, g),
                Some(Err(Stopped)) => {
                    self.about(t.span, format!("whether table `{}` is complete", t.name));
                    self.not_done();
                }
                None => self.table_by_rows(t),
            }
        }
    }

    /// The grid of a table whose cells all compare with constants; `None` for
    /// other tables, `Stopped` when testing every cell would pass the limit.
    fn grid(&self, t: &TableDef) -> Option<Result<Grid, Stopped>> {
        let rows: Vec<Vec<&[CellTest]>> = t
            .cells
            .iter()
            .map(|row| row.iter().map(|c| c.as_deref()).collect::<Option<Vec<_>>>())
            .collect::<Option<Vec<_>>>()?;
        let points = t
            .columns
            .iter()
            .enumerate()
            .map(|(ci, col)| self.candidates(&col.ty, &rows, ci))
            .collect::<Option<Vec<_>>>()?;
        // Cells other than plain values are tested against every candidate.
        let tested: usize = rows
            .iter()
            .flat_map(|row| row.iter().zip(&points))
            .filter(|(cell, _)| !cell.is_empty() && plain_values(cell).is_none())
            .map(|(_, pts)| pts.len())
            .fold(0usize, usize::saturating_add);
        if tested > TABLE_WORK {
            return Some(Err(Stopped));
        }
        let lookup: Vec<HashMap<String, Vec<u32>>> = points.iter().map(|p| point_keys(p)).collect();
        let accepts = rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&points)
                    .zip(&lookup)
                    .map(|((cell, pts), keys)| accepted(cell, pts, keys))
                    .collect()
            })
            .collect();
        Some(Ok(Grid { points, accepts }))
    }

    fn table_by_cells(&mut self, t: &TableDef, g: Grid) {
        let sizes = g.points.iter().map(Vec::len).collect();
        let mut index = Index::new(g.accepts, sizes, TABLE_WORK);
        if !t.first {
            self.about(
                t.span,
                format!("whether rows of table `{}` overlap", t.name),
            );
            let mut refuted = BTreeSet::new();
            loop {
                let (a, b, at) = match index.first_overlap(&refuted) {
                    Ok(Some(found)) => found,
                    Ok(None) => break,
                    Err(Stopped) => {
                        self.not_done();
                        break;
                    }
                };
                match self.overlap_case(t, a, b) {
                    Found::Nothing { exact: true } => {
                        refuted.insert((a, b));
                        if refuted.len() > MAX_REFUTED {
                            self.not_done();
                            break;
                        }
                    }
                    Found::Witness(p) => {
                        // The case shows the column values when the columns are facts.
                        let note = (!columns_are_facts(t))
                            .then(|| describe(self.policy, t, &g.points, &at));
                        self.report_overlap(t, a, b, note, Some(p));
                        break;
                    }
                    // The rows overlap as written; no case was looked for to the end.
                    Found::Nothing { exact: false } | Found::GaveUp => {
                        let note = describe(self.policy, t, &g.points, &at);
                        self.report_overlap(t, a, b, Some(note), None);
                        break;
                    }
                }
            }
        }
        self.about(t.span, format!("whether table `{}` is complete", t.name));
        let total = g
            .points
            .iter()
            .try_fold(1usize, |acc, p| acc.checked_mul(p.len().max(1)));
        if g.points.is_empty() {
            return;
        }
        if total.is_none_or(|n| n > MAX_POINTS) {
            self.not_done();
            return;
        }
        let mut idx = vec![0usize; g.points.len()];
        loop {
            let Ok(covered) = index.covered(&idx) else {
                self.not_done();
                return;
            };
            if !covered {
                match self.column_case(t, &g.points, &idx) {
                    Some(w) => {
                        let note = (!columns_are_facts(t))
                            .then(|| describe(self.policy, t, &g.points, &idx));
                        self.report_gap(t, note, Some(w));
                    }
                    // A combination of column values is not a case when the
                    // table has a `when` or its columns are derived facts
                    // (`big` and `n` where `let big = n > 2`): the search
                    // says whether a real case has no row.
                    None => self.gap_by_search(t),
                }
                return;
            }
            let mut c = 0;
            loop {
                let Some(i) = idx.get_mut(c) else { return };
                *i += 1;
                if *i < g.points.get(c).map_or(0, Vec::len) {
                    break;
                }
                *i = 0;
                c += 1;
            }
        }
    }

    /// Tables with cells that are not constants: every pair of rows, and one
    /// question for a case that no row covers.
    fn table_by_rows(&mut self, t: &TableDef) {
        if !t.first {
            self.about(
                t.span,
                format!("whether rows of table `{}` overlap", t.name),
            );
            'pairs: for j in 0..t.rows.len() {
                for ri in t.rows.iter().take(j) {
                    if !self.go_on() {
                        break 'pairs;
                    }
                    if let Found::Witness(p) = self.overlap_case(t, row_of(t, *ri), j) {
                        self.report_overlap(t, row_of(t, *ri), j, None, Some(p));
                        break 'pairs;
                    }
                }
            }
        }
        self.gap_by_search(t);
    }

    /// One question for a case that no row of the table covers.
    fn gap_by_search(&mut self, t: &TableDef) {
        self.about(t.span, format!("whether table `{}` is complete", t.name));
        let policy = self.policy;
        let mut items = Vec::new();
        let mut vars = BTreeSet::new();
        if let Some(w) = &t.when {
            items.push(Q::Expr(w.clone()));
            vars_of(policy, w, &mut vars);
        }
        for r in &t.rows {
            if let Some(c) = &policy.rules[*r].cond {
                items.push(Q::not(Q::Expr(c.clone())));
                vars_of(policy, c, &mut vars);
            }
        }
        let q = Q::And(items);
        if let Found::Witness(p) = self.ask(&q, &vars) {
            let p = self.search.prettify(&q, p);
            let w = self.valid_case(&p);
            self.report_gap(t, None, w);
        }
    }

    /// A case where rows `a` and `b` (0-based) both apply.
    fn overlap_case(&mut self, t: &TableDef, a: usize, b: usize) -> Found {
        let (Some(ra), Some(rb)) = (t.rows.get(a), t.rows.get(b)) else {
            return Found::Nothing { exact: true };
        };
        let mut vars = self.vars_fires(*ra);
        vars.extend(self.vars_fires(*rb));
        let q = Q::And(vec![Q::Fires(*ra), Q::Fires(*rb)]);
        match self.ask(&q, &vars) {
            Found::Witness(p) => Found::Witness(self.search.prettify(&q, p)),
            other => other,
        }
    }

    /// The combination of column values as a case, when every column is a
    /// fact and the table has no `when` (then it is one), and `pol eval`
    /// accepts it.
    fn column_case(
        &mut self,
        t: &TableDef,
        points: &[Vec<Value>],
        idx: &[usize],
    ) -> Option<Witness> {
        if t.when.is_some() {
            return None;
        }
        let mut p = Point::empty(self.policy);
        for ((col, pts), i) in t.columns.iter().zip(points).zip(idx) {
            let CExpr::Slot(Slot::Fact(f)) = col.expr else {
                return None;
            };
            p.slots[f] = FactValue::Known(pts.get(*i)?.clone());
        }
        self.valid_case(&p)
    }

    /// The point as a counterexample, if the evaluator accepts it as a case.
    fn valid_case(&mut self, p: &Point) -> Option<Witness> {
        let w = Witness::from_point(self.policy, p);
        let engine = self.engine();
        w.evaluate(engine).map(|_| w.clone())
    }

    fn report_overlap(
        &mut self,
        t: &TableDef,
        a: usize,
        b: usize,
        note: Option<String>,
        p: Option<Point>,
    ) {
        let (Some(ra), Some(rb)) = (t.rows.get(a), t.rows.get(b)) else {
            return;
        };
        let mut d = Diagnostic::error(
            codes::TABLE_OVERLAP,
            format!(
                "rows {} and {} of table `{}` both apply to some cases",
                a + 1,
                b + 1,
                t.name
            ),
        )
        .primary(self.span(*rb), "applies")
        .secondary(self.span(*ra), "applies to the same case");
        if let Some(n) = note {
            d = d.note(format!("for example: {n}"));
        }
        let d = d.help("with `hit unique` no case may match two rows: make the rows exclude each other, or write `hit first` if the earlier row should win");
        let w = p.map(|p| Witness::from_point(self.policy, &p));
        self.push(d, w);
    }

    fn report_gap(&mut self, t: &TableDef, note: Option<String>, w: Option<Witness>) {
        let d = if t.complete {
            Diagnostic::error(
                codes::TABLE_INCOMPLETE,
                format!("table `{}` is declared `complete`, but no row applies to some cases", t.name),
            )
            .primary(t.span, "a case without a row")
            .help("add a row for these cases; with `hit first`, a last row of `-` in every condition column catches the rest")
        } else {
            Diagnostic::warning(
                codes::TABLE_GAP,
                format!("no row of table `{}` applies to some cases", t.name),
            )
            .primary(t.span, "incomplete table")
            .help(
                "add a row for these cases, or a last catch-all row of `-` cells with `hit first`",
            )
        };
        let d = match note {
            Some(n) => d.note(format!("for example: {n}")),
            None => d,
        };
        self.push(d, w);
    }

    /// Values of one column that between them meet every region the cells can tell apart.
    fn candidates(
        &self,
        ty: &Type,
        rows: &[Vec<&[CellTest]>],
        column: usize,
    ) -> Option<Vec<Value>> {
        let consts: Vec<Value> = rows
            .iter()
            .filter_map(|r| r.get(column))
            .flat_map(|c| c.iter())
            .flat_map(|t| match &t.pred {
                CellPred::Eq(v) | CellPred::Cmp(_, v) => vec![v.clone()],
                CellPred::Range(a, b, _, s) => vec![a.clone(), b.clone(), bump(b, i64::from(*s))],
            })
            .collect();
        let mut out: Vec<Value> = match ty {
            Type::Bool => vec![Value::Bool(false), Value::Bool(true)],
            Type::Enum(ei, _) => {
                let variants = self.policy.enums[*ei].variants.ids();
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
}

fn columns_are_facts(t: &TableDef) -> bool {
    t.columns
        .iter()
        .all(|c| matches!(c.expr, CExpr::Slot(Slot::Fact(_))))
}

/// The 0-based row number of a rule of the table.
fn row_of(t: &TableDef, r: RuleId) -> usize {
    t.rows.iter().position(|x| *x == r).unwrap_or(0)
}

/// `column = value, …` for one combination of candidate values.
fn describe(policy: &Policy, t: &TableDef, points: &[Vec<Value>], idx: &[usize]) -> String {
    t.columns
        .iter()
        .zip(points)
        .zip(idx)
        .map(|((col, pts), i)| {
            let v = pts.get(*i).map(|v| show(policy, v)).unwrap_or_default();
            format!("{} = {v}", col.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as a policy owner writes it in a table cell.
fn show(policy: &Policy, v: &Value) -> String {
    match v {
        Value::Enum(e, i) => policy.enums[*e].variants[*i].name.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Date(d) => crate::time::format_date(*d),
        Value::Time(t) => crate::time::format_time(*t),
        Value::DateTime(s) => crate::time::format_instant(*s, policy.calendar.zone.offset_at(*s)),
        Value::Duration(d) => crate::time::format_duration(*d),
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| show(policy, i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
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
fn plain_values(cell: &[CellTest]) -> Option<Vec<&Value>> {
    cell.iter()
        .map(|t| match &t.pred {
            CellPred::Eq(v) if !t.negated => Some(v),
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

fn point_keys(points: &[Value]) -> HashMap<String, Vec<u32>> {
    let mut keys: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, v) in points.iter().enumerate() {
        keys.entry(point_key(v)).or_default().push(i as u32);
    }
    keys
}

/// The candidate points a cell accepts.
fn accepted(cell: &[CellTest], points: &[Value], keys: &HashMap<String, Vec<u32>>) -> Acc {
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

fn cell_holds(cell: &[CellTest], v: &Value) -> bool {
    cell.is_empty()
        || cell.iter().any(|t| {
            let hit = match &t.pred {
                CellPred::Eq(c) => v.equals(c),
                CellPred::Cmp(op, c) => v.compare(c).is_some_and(|o| match op {
                    CmpOp::Eq => o.is_eq(),
                    CmpOp::Ne => o.is_ne(),
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    CmpOp::Ge => o.is_ge(),
                }),
                CellPred::Range(lo, hi, kind, slack) => {
                    crate::eval::in_range(v, lo, hi, *kind, *slack)
                }
            };
            hit != t.negated
        })
}
