//! The checked policy: every name resolved to an index, every expression typed.
//! This is what the interpreter runs; it never looks a name up.

use super::ids::*;
use crate::span::Span;
use crate::syntax::ast::{ArithOp, CmpOp, Verdict};
use crate::time::Zone;
use crate::types::Type;
use crate::value::Value;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Policy {
    pub meta: Meta,
    pub enums: IdVec<EnumId, EnumDef>,
    pub facts: IdVec<FactId, FactDef>,
    /// In evaluation order: a derived fact only refers to earlier ones.
    pub lets: IdVec<LetId, LetDef>,
    pub questions: IdVec<QuestionId, QuestionDef>,
    pub actions: IdVec<ActionId, ActionDef>,
    pub fields: IdVec<FieldId, FieldDef>,
    pub scripts: IdVec<ScriptId, ScriptDef>,
    pub outcomes: IdVec<OutcomeId, OutcomeDef>,
    pub deadlines: IdVec<DeadlineId, DeadlineDef>,
    pub calendar: Calendar,
    pub rules: IdVec<RuleId, RuleDef>,
    /// Decision tables as written; their rows are in `rules`.
    pub tables: IdVec<TableId, TableDef>,
    pub examples: Vec<ExampleDef>,
    /// Every `assume`, in the order written, with the rules it concerns.
    pub assumptions: Vec<AssumptionDef>,
}

impl Policy {
    /// Per fact: whether some expression asks `is answered` / `is unanswered` of it
    /// (an answer to such a fact changes more than the values that wait on it).
    pub fn answer_reads(&self) -> IdVec<FactId, bool> {
        let mut read = IdVec::from_elem(false, self.facts.len());
        let mut mark = |e: &CExpr| {
            e.visit(&mut |x| {
                if let CExpr::IsAnswered(f, _) = x {
                    read[*f] = true;
                }
            })
        };
        for l in &self.lets {
            mark(&l.expr);
        }
        for r in &self.rules {
            if let Some(c) = &r.cond {
                mark(c);
            }
            for e in &r.effects {
                match e {
                    CEffect::SetOutcome(_, x) | CEffect::SetField(_, x) => mark(x),
                    CEffect::DueWithin {
                        duration, after, ..
                    } => {
                        mark(duration);
                        mark(after);
                    }
                    CEffect::DueBy { at, .. } => mark(at),
                    _ => {}
                }
            }
        }
        read
    }
}

impl CExpr {
    /// Calls `f` on this expression and every expression inside it.
    pub fn visit(&self, f: &mut impl FnMut(&CExpr)) {
        f(self);
        match self {
            CExpr::Const(_)
            | CExpr::Slot(_)
            | CExpr::Now
            | CExpr::Today
            | CExpr::IsAnswered(..) => {}
            CExpr::Not(a) | CExpr::Neg(a) | CExpr::AddWorking { at: a, .. } => a.visit(f),
            CExpr::And(a, b) | CExpr::Or(a, b) | CExpr::Cmp(_, a, b) | CExpr::Arith(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            CExpr::In { value, items, .. } => {
                value.visit(f);
                items.iter().for_each(|i| i.visit(f));
            }
            CExpr::InCollection {
                value, collection, ..
            } => {
                value.visit(f);
                collection.visit(f);
            }
            CExpr::InRange { value, lo, hi, .. } => {
                value.visit(f);
                lo.visit(f);
                hi.visit(f);
            }
            CExpr::Call(_, args) | CExpr::List(args) => args.iter().for_each(|a| a.visit(f)),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    pub id: String,
    pub file: String,
    pub title: Option<String>,
    pub source: Option<String>,
    pub owner: Option<String>,
    pub version: Option<String>,
    pub language: Option<String>,
    pub status: Option<String>,
    pub valid_from: Option<i32>,
    pub valid_until: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnumDef {
    pub name: String,
    pub variants: IdVec<VariantId, VariantDef>,
}

impl EnumDef {
    /// The value of this enum named `name`.
    pub fn variant(&self, name: &str) -> Option<VariantId> {
        self.variants
            .iter_enumerated()
            .find_map(|(i, v)| (v.name == name).then_some(i))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantDef {
    pub name: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FactDef {
    pub name: String,
    pub ty: Type,
    pub is_set: bool,
    pub label: Option<String>,
    pub ask: Option<String>,
    /// The `ask` text is the policy writer's wording (`own words`), not the SOP's.
    #[serde(default)]
    pub ask_own_words: bool,
    /// Marked `sensitive`: its value is masked where cases are logged.
    pub sensitive: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LetDef {
    pub name: String,
    pub ty: Type,
    pub label: Option<String>,
    pub expr: CExpr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionDef {
    pub name: String,
    pub text: String,
    /// The text is the policy writer's wording (`own words`), not the SOP's.
    #[serde(default)]
    pub own_words: bool,
    pub must_be_correct: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionDef {
    pub name: String,
    pub text: String,
    pub default: Option<Verdict>,
    /// `must decide`, where it is written: the analysis reports cases no rule decides.
    pub must_decide: Option<Span>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub ty: Type,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ScriptPart {
    Text(String),
    Slot(Slot),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptDef {
    pub name: String,
    pub parts: Vec<ScriptPart>,
    pub max_chars: Option<u32>,
    /// Why the SOP's own text is longer than `max_chars` (`over limit "…"`).
    pub over_limit: Option<String>,
    /// The text is the policy writer's wording (`own words`), not the SOP's.
    #[serde(default)]
    pub own_words: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutcomeDef {
    pub name: String,
    pub ty: Type,
    pub label: String,
    pub default: Option<Value>,
    /// `must decide`, where it is written: the analysis reports cases no rule decides.
    pub must_decide: Option<Span>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeadlineDef {
    pub name: String,
    pub label: String,
}

/// Working calendar: zone for local times, opening hours per ISO weekday
/// (index 0 = Monday), closed dates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Calendar {
    pub zone: Zone,
    pub declared: bool,
    pub open: [Option<(u32, u32)>; 7],
    pub closed: Vec<i32>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            zone: Zone::utc(),
            declared: false,
            open: [None; 7],
            closed: Vec::new(),
        }
    }
}

/// Where a value comes from at evaluation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Slot {
    Fact(FactId),
    Let(LetId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Builtin {
    Length,
    Lower,
    Upper,
    Trim,
    Contains,
    StartsWith,
    EndsWith,
    Digits,
    EditDistance,
    Abs,
    Min,
    Max,
    DateOf,
    TimeOf,
    EndOfDay,
    Weekday,
    DaysBetween,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    /// Inclusive at both ends.
    Plain,
    /// Times of day: wraps midnight when the start is after the end; the end
    /// is inclusive to the precision it was written with.
    TimeOfDay,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CExpr {
    Const(Value),
    Slot(Slot),
    Now,
    Today,
    Not(Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Cmp(CmpOp, Box<CExpr>, Box<CExpr>),
    Arith(ArithOp, Box<CExpr>, Box<CExpr>),
    Neg(Box<CExpr>),
    /// A date and time plus working time (`answer_sent_at + 2 working days`),
    /// counted in the policy's calendar as `due … within` counts it. `amount`
    /// is seconds for [`Working::Hours`], whole days for [`Working::Days`].
    AddWorking {
        at: Box<CExpr>,
        amount: i64,
        working: Working,
    },
    In {
        value: Box<CExpr>,
        items: Vec<CExpr>,
        negated: bool,
    },
    InCollection {
        value: Box<CExpr>,
        collection: Box<CExpr>,
        negated: bool,
    },
    InRange {
        value: Box<CExpr>,
        lo: Box<CExpr>,
        hi: Box<CExpr>,
        kind: RangeKind,
        hi_slack: u32,
        negated: bool,
    },
    /// `fact is answered` (true) / `fact is unanswered` (false).
    IsAnswered(FactId, bool),
    Call(Builtin, Vec<CExpr>),
    List(Vec<CExpr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpenTarget {
    Action(ActionId),
    Outcome(OutcomeId),
}

/// How a `due … within` duration is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Working {
    /// Plain clock time.
    No,
    /// Time inside opening hours (`48 working hours`).
    Hours,
    /// Whole working days (`2 working days`); the duration holds the number of days.
    Days,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CEffect {
    Ask(QuestionId),
    Require(ActionId),
    Allow(ActionId),
    Forbid(ActionId),
    RequireField(FieldId),
    Say(ScriptId),
    SetOutcome(OutcomeId, CExpr),
    SetField(FieldId, CExpr),
    DueWithin {
        deadline: DeadlineId,
        duration: CExpr,
        working: Working,
        after: CExpr,
    },
    DueBy {
        deadline: DeadlineId,
        at: CExpr,
    },
    Open {
        target: Option<OpenTarget>,
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleDef {
    /// `rule_name`, or `table_name[3]` for a table row.
    pub name: String,
    pub quote: Option<String>,
    /// `file:line:col` of the rule (or table row).
    pub location: String,
    pub span: Span,
    pub cond: Option<CExpr>,
    /// Rules that, when they fire, discard this rule's effects.
    pub overridden_by: Vec<RuleId>,
    pub effects: Vec<CEffect>,
    pub valid_from: Option<i32>,
    pub valid_until: Option<i32>,
}

/// `assume "…"`: something the policy writer assumed that the SOP does not say.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssumptionDef {
    pub text: String,
    /// `file:line:col` of the `assume` line.
    pub location: String,
    pub span: Span,
    /// The rules it concerns, in declaration order (see `check/assume.rs`).
    pub rules: Vec<RuleId>,
}

/// A decision table as written: the checker expands its rows into rules, and
/// the analysis reads the tests of its cells to find overlapping rows and
/// combinations no row covers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableDef {
    pub name: String,
    /// The table's name, where its findings are reported.
    pub span: Span,
    /// `hit first`: an earlier row that applies wins (rows may overlap).
    pub first: bool,
    /// `complete`: a combination no row covers is an error, not a warning.
    pub complete: bool,
    /// The rows, in order: row `n` is `rows[n - 1]`.
    pub rows: Vec<RuleId>,
    /// The table's `when`, part of every row's condition.
    pub when: Option<CExpr>,
    /// The condition columns.
    pub columns: Vec<TableColumn>,
    /// Per row, per column: the cell's tests when they compare with constants
    /// only (`None` otherwise); an empty list accepts every value (`-`).
    pub cells: Vec<Vec<Option<Vec<CellTest>>>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableColumn {
    /// As written in the table's head.
    pub name: String,
    pub expr: CExpr,
    pub ty: Type,
}

/// One test of a table cell on a constant (`2`, `>= 3`, `1..5`, `not a`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellTest {
    pub negated: bool,
    pub pred: CellPred,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CellPred {
    Eq(Value),
    Cmp(CmpOp, Value),
    /// `lo..hi`, read as `InRange` reads it (`hi_slack` seconds past `hi`).
    Range(Value, Value, RangeKind, u32),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExampleDef {
    pub name: String,
    pub location: String,
    pub span: Span,
    /// Evaluation time (instant), if given.
    pub at: Option<i64>,
    /// `(fact, None)` = unanswered.
    pub given: Vec<(FactId, Option<Value>)>,
    pub expect: Vec<Expect>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expect {
    pub kind: ExpectDef,
    pub line: usize,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ExpectDef {
    Complete(bool),
    Pending(FactId),
    Ask(QuestionId, bool),
    Say(ScriptId, bool),
    RequireField(FieldId, bool),
    RequireAction(ActionId, bool),
    Due(DeadlineId, i64),
    Outcome(OutcomeId, Option<Value>),
    FieldValue(FieldId, Option<Value>),
    Verdict(ActionId, Option<Verdict>),
    OutcomeUndecided(OutcomeId),
    /// An open point of this rule is (`true`) or is not (`false`) in the Decision.
    Open(RuleId, bool),
}
