//! The typed syntax tree of a policy file. Every node carries its [`Span`].

use crate::span::Span;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// `assume "…"`: something the policy writer assumed that the SOP does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct Assume {
    pub text: Text,
    /// The whole `assume "…"` line.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct File {
    pub header: Header,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub id: Ident,
    pub span: Span,
    pub fields: Vec<HeaderField>,
}

#[derive(Debug, Clone)]
pub enum HeaderField {
    Meta {
        key: MetaKey,
        key_span: Span,
        value: Text,
    },
    /// `source file "…"`: where the SOP's text lies, relative to the policy file.
    SourceFile {
        key_span: Span,
        path: Text,
    },
    Language(Ident),
    Valid(Validity),
    Status {
        status: Ident,
        reason: Option<Text>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKey {
    Title,
    Source,
    Owner,
    Version,
}

impl MetaKey {
    pub fn word(self) -> &'static str {
        match self {
            MetaKey::Title => "title",
            MetaKey::Source => "source",
            MetaKey::Owner => "owner",
            MetaKey::Version => "version",
        }
    }
}

/// `valid from DATE until DATE`; either end may be missing.
#[derive(Debug, Clone, Default)]
pub struct Validity {
    pub span: Span,
    pub from: Option<(i32, Span)>,
    pub until: Option<(i32, Span)>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Enum(EnumDecl),
    Case(CaseDecl),
    Let(LetDecl),
    Question(QuestionDecl),
    Action(ActionDecl),
    Field(FieldDecl),
    Script(ScriptDecl),
    Outcome(OutcomeDecl),
    Deadline(DeadlineDecl),
    Calendar(CalendarDecl),
    Rule(RuleDecl),
    Table(TableDecl),
    Example(ExampleDecl),
}

#[derive(Debug, Clone)]
pub struct EnumDecl {
    pub name: Ident,
    pub variants: Vec<EnumVariant>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct EnumVariant {
    pub name: Ident,
    pub label: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct CaseDecl {
    pub facts: Vec<FactDecl>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FactDecl {
    pub name: Ident,
    pub ty: TypeRef,
    pub label: Option<Text>,
    pub ask: Option<Text>,
    /// `own words` after the `ask` text: the policy writer's wording, not the SOP's.
    pub ask_own_words: Option<Span>,
    /// Where each `sensitive` mark is written (more than one is an error).
    pub sensitive: Vec<Span>,
    pub assumes: Vec<Assume>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TypeRef {
    Named(Ident),
    List {
        element: Ident,
        is_set: bool,
        span: Span,
    },
}

impl TypeRef {
    pub fn span(&self) -> Span {
        match self {
            TypeRef::Named(i) => i.span,
            TypeRef::List { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone)]
pub struct LetDecl {
    pub name: Ident,
    pub label: Option<Text>,
    pub value: Expr,
    pub assumes: Vec<Assume>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct QuestionDecl {
    pub name: Ident,
    pub text: Text,
    /// `own words` after the text: the policy writer's wording, not the SOP's.
    pub own_words: Option<Span>,
    pub must_be_correct: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    Required,
    Allowed,
    Forbidden,
}

#[derive(Debug, Clone)]
pub struct ActionDecl {
    pub name: Ident,
    pub text: Text,
    pub default: Option<(Verdict, Span)>,
    /// `must decide`: the analysis reports cases no rule decides.
    pub must_decide: Option<Span>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeRef,
    pub label: Text,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ScriptDecl {
    pub name: Ident,
    pub text: Text,
    /// `own words` after the text: the policy writer's wording, not the SOP's.
    pub own_words: Option<Span>,
    pub max_chars: Option<(u32, Span)>,
    /// `over limit "…"`: why the SOP's own text is longer than `max_chars`.
    pub over_limit: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct OutcomeDecl {
    pub name: Ident,
    pub ty: TypeRef,
    pub label: Text,
    pub default: Option<Expr>,
    /// `must decide`: the analysis reports cases no rule decides.
    pub must_decide: Option<Span>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct DeadlineDecl {
    pub name: Ident,
    pub label: Text,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CalendarDecl {
    pub zone: Option<Text>,
    pub open: Vec<OpeningHours>,
    pub closed: Vec<(i32, Span)>,
    pub assumes: Vec<Assume>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct OpeningHours {
    pub first_day: Ident,
    pub last_day: Option<Ident>,
    pub from: (u32, Span),
    pub until: (u32, Span),
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct RuleDecl {
    pub name: Ident,
    pub overrides: Vec<Ident>,
    pub quote: Option<Text>,
    pub assumes: Vec<Assume>,
    pub valid: Option<Validity>,
    pub when: Option<Expr>,
    pub effects: Vec<Effect>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Effect {
    pub kind: EffectKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum EffectKind {
    Ask(Vec<Ident>),
    Require(Vec<Ident>),
    Allow(Vec<Ident>),
    Forbid(Vec<Ident>),
    Say(Vec<Ident>),
    Set(Ident, Expr),
    DueWithin {
        deadline: Ident,
        duration: Expr,
        after: Expr,
    },
    DueBy {
        deadline: Ident,
        at: Expr,
    },
    Open {
        target: Option<Ident>,
        reason: Text,
    },
}

#[derive(Debug, Clone)]
pub struct TableDecl {
    pub name: Ident,
    pub overrides: Vec<Ident>,
    pub quote: Option<Text>,
    pub assumes: Vec<Assume>,
    pub hit: Option<Ident>,
    /// `hit … complete`: a case no row covers is an error, not a warning.
    pub complete: bool,
    pub when: Option<Expr>,
    pub valid: Option<Validity>,
    pub inputs: Vec<Ident>,
    pub outputs: Vec<Ident>,
    pub rows: Vec<TableRow>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct TableRow {
    pub inputs: Vec<InCell>,
    pub outputs: Vec<OutCell>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct InCell {
    /// Empty means `-`: any value.
    pub tests: Vec<CellTest>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CellTest {
    pub negated: bool,
    pub kind: CellTestKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum CellTestKind {
    Equals(Expr),
    Compare(CmpOp, Expr),
    Range(Expr, Expr),
}

#[derive(Debug, Clone)]
pub enum OutCell {
    Nothing(Span),
    Verdict(Verdict, Span),
    Ask(Span),
    Say(Span),
    Value(Expr),
}

impl OutCell {
    pub fn span(&self) -> Span {
        match self {
            OutCell::Nothing(s) | OutCell::Verdict(_, s) | OutCell::Ask(s) | OutCell::Say(s) => *s,
            OutCell::Value(e) => e.span,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExampleDecl {
    pub name: Text,
    pub at: Option<(ExampleTime, Span)>,
    pub given: Vec<GivenItem>,
    pub expect: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy)]
pub enum ExampleTime {
    Date(i32),
    DateTime(DateTimeLit),
}

#[derive(Debug, Clone)]
pub struct GivenItem {
    pub fact: Ident,
    /// `None` means `unanswered`.
    pub value: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub kind: ExpectKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExpectKind {
    Complete(bool),
    Pending(Vec<Ident>),
    Ask(Vec<Ident>, bool),
    Say(Vec<Ident>, bool),
    Require(Vec<Ident>, bool),
    Due(Ident, DateTimeLit, Span),
    Value(Ident, Option<Expr>),
    Verdict(Ident, Option<Verdict>),
    /// `open by RULE` / `not open by RULE`: an open point of these rules is (not) shown.
    Open(Vec<Ident>, bool),
}

/// A date-time literal: seconds since the Unix epoch in local wall-clock
/// terms, and the offset it was written with (`None`: the calendar's zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeLit {
    pub local_seconds: i64,
    pub offset_seconds: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// How many levels deep the tree is (a leaf is 1): what every recursive
    /// stage sees. Walks with its own stack, so any tree can be measured.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut todo = vec![(self, 1usize)];
        while let Some((e, d)) = todo.pop() {
            deepest = deepest.max(d);
            let d = d + 1;
            match &e.kind {
                ExprKind::Call(_, items) | ExprKind::List(items) => {
                    todo.extend(items.iter().map(|i| (i, d)));
                }
                ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::Is { value: a, .. } => {
                    todo.push((a, d));
                }
                ExprKind::And(a, b)
                | ExprKind::Or(a, b)
                | ExprKind::Cmp(_, a, b)
                | ExprKind::Arith(_, a, b) => {
                    todo.push((a, d));
                    todo.push((b, d));
                }
                ExprKind::In { value, target, .. } => {
                    todo.push((value, d));
                    match &**target {
                        InTarget::Range(lo, hi) => {
                            todo.push((lo, d));
                            todo.push((hi, d));
                        }
                        InTarget::Collection(c) => todo.push((c, d)),
                    }
                }
                ExprKind::Bool(_)
                | ExprKind::Int(_)
                | ExprKind::Decimal(_)
                | ExprKind::Text(_)
                | ExprKind::Date(_)
                | ExprKind::DateTime(_)
                | ExprKind::Time(..)
                | ExprKind::Duration { .. }
                | ExprKind::Now
                | ExprKind::Today
                | ExprKind::Name(_)
                | ExprKind::Qualified(..) => {}
            }
        }
        deepest
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
}

impl DurationUnit {
    pub fn seconds(self) -> i64 {
        match self {
            DurationUnit::Second => 1,
            DurationUnit::Minute => 60,
            DurationUnit::Hour => 3600,
            DurationUnit::Day => 86_400,
            DurationUnit::Week => 604_800,
        }
    }
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    Text(String),
    Date(i32),
    DateTime(DateTimeLit),
    /// Seconds since midnight, and whether seconds were written.
    Time(u32, bool),
    Duration {
        amount: i64,
        unit: DurationUnit,
        working: bool,
    },
    Now,
    Today,
    Name(Ident),
    Qualified(Ident, Ident),
    Call(Ident, Vec<Expr>),
    List(Vec<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    In {
        value: Box<Expr>,
        negated: bool,
        target: Box<InTarget>,
    },
    Is {
        value: Box<Expr>,
        answered: bool,
    },
}

#[derive(Debug, Clone)]
pub enum InTarget {
    Range(Expr, Expr),
    Collection(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}
