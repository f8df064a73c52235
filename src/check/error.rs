//! Checker findings as data, and the one place that words them.

use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::types::{describe, Type};

#[derive(Debug, Clone)]
pub enum CheckError {
    UnknownName {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    Duplicate {
        span: Span,
        first: Span,
        name: String,
        kind: &'static str,
    },
    UnknownVariant {
        span: Span,
        enum_name: String,
        variant: String,
        suggestion: Option<String>,
        variants: Vec<String>,
    },
    UnknownType {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    UnknownOutput {
        span: Span,
        name: String,
        effect: &'static str,
        suggestion: Option<String>,
    },
    WrongOutputKind {
        span: Span,
        name: String,
        effect: &'static str,
        found: &'static str,
        expected: &'static str,
        decl: Span,
    },
    CyclicLet {
        span: Span,
        cycle: Vec<String>,
    },
    UnknownRule {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    OverrideCycle {
        span: Span,
        cycle: Vec<String>,
    },
    UnknownFunction {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    NotAValue {
        span: Span,
        name: String,
        kind: &'static str,
        decl: Span,
    },
    CompareMismatch {
        span: Span,
        op: &'static str,
        left: Type,
        right: Type,
    },
    ArithMismatch {
        span: Span,
        op: &'static str,
        left: Type,
        right: Type,
    },
    NotACondition {
        span: Span,
        found: Type,
    },
    Arity {
        span: Span,
        func: String,
        expected: &'static str,
        found: usize,
    },
    ArgType {
        span: Span,
        func: String,
        expected: &'static str,
        found: Type,
    },
    InMismatch {
        span: Span,
        value: Type,
        collection: Type,
    },
    SetMismatch {
        span: Span,
        target: String,
        expected: Type,
        found: Type,
    },
    DueType {
        span: Span,
        expected: &'static str,
        found: Type,
    },
    IsOnNonFact {
        span: Span,
    },
    WorkingOutsideDue {
        span: Span,
    },
    WorkingWithoutCalendar {
        span: Span,
    },
    NotOrdered {
        span: Span,
        ty: Type,
    },
    RangeMismatch {
        span: Span,
        value: Type,
        bounds: Type,
    },
    UnknownPlaceholder {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    ScriptTooLong {
        span: Span,
        length: usize,
        max: u32,
    },
    OverLimitFits {
        span: Span,
        max: u32,
        worst: usize,
    },
    UnclosedPlaceholder {
        span: Span,
    },
    RequireAndForbid {
        span: Span,
        other: Span,
        action: String,
    },
    SetTwice {
        span: Span,
        other: Span,
        target: String,
    },
    OpenBadTarget {
        span: Span,
        name: String,
        kind: &'static str,
    },
    TableCellCount {
        span: Span,
        expected: usize,
        found: usize,
        side: &'static str,
    },
    TableBadCell {
        span: Span,
        column: String,
        kind: &'static str,
        allowed: &'static str,
    },
    UnknownHit {
        span: Span,
        found: String,
    },
    UnknownZone {
        span: Span,
        found: String,
    },
    UnknownWeekday {
        span: Span,
        found: String,
        suggestion: Option<String>,
    },
    BadOpeningHours {
        span: Span,
    },
    ExampleUnknownFact {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    ExampleValueType {
        span: Span,
        fact: String,
        expected: Type,
        found: Type,
    },
    ExampleUnknownOutput {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    ExampleUnknownRule {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    ExampleWrongKind {
        span: Span,
        name: String,
        kind: &'static str,
        expectation: &'static str,
        hint: &'static str,
    },
    ExampleNotConstant {
        span: Span,
    },
    ExampleDuplicateGiven {
        span: Span,
        first: Span,
        fact: String,
    },
    ValidityOrder {
        span: Span,
    },
    UnknownStatus {
        span: Span,
        found: String,
    },
    MissingTitle {
        span: Span,
    },
    DuplicateHeaderField {
        span: Span,
        first: Span,
        field: String,
    },
    DuplicateBlock {
        span: Span,
        first: Span,
        block: &'static str,
    },
    ConflictingDefault {
        span: Span,
    },
    SensitiveTwice {
        span: Span,
        first: Span,
        fact: String,
    },
    EmptyAssumption {
        span: Span,
    },
    // warnings
    Unused {
        span: Span,
        name: String,
        kind: &'static str,
    },
    Expired {
        span: Span,
        until: String,
    },
    NoQuote {
        span: Span,
        rule: String,
    },
    NoExamples {
        span: Span,
    },
    ArchivedNotExpired {
        span: Span,
    },
    ScriptMayExceed {
        span: Span,
        max: u32,
        worst: usize,
    },
    ConstantCondition {
        span: Span,
        value: bool,
    },
    MixedScript {
        span: Span,
        name: String,
    },
    EmptyRule {
        span: Span,
        rule: String,
    },
}

fn dym(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|c| format!("did you mean `{c}`?"))
}

fn with_help(d: Diagnostic, help: Option<String>) -> Diagnostic {
    match help {
        Some(h) => d.help(h),
        None => d,
    }
}

impl CheckError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            UnknownName { span, name, suggestion } => with_help(
                Diagnostic::error("E0101", format!("`{name}` is not a fact or a derived fact of this policy")).primary(*span, "unknown name"),
                dym(suggestion).or_else(|| Some("declare it in the `case { … }` block or with `let`".into())),
            ),
            Duplicate { span, first, name, kind } => Diagnostic::error("E0102", format!("the {kind} `{name}` is declared twice"))
                .primary(*span, "declared again here")
                .secondary(*first, "first declared here")
                .help("give one of them another name, or remove the copy"),
            UnknownVariant { span, enum_name, variant, suggestion, variants } => with_help(
                Diagnostic::error("E0103", format!("`{variant}` is not a value of `{enum_name}`"))
                    .primary(*span, "unknown value")
                    .note(format!("the values of `{enum_name}` are: {}", variants.join(", "))),
                dym(suggestion),
            ),
            UnknownType { span, name, suggestion } => with_help(
                Diagnostic::error("E0104", format!("`{name}` is not a type")).primary(*span, "unknown type").note(
                    "the types are bool, int, decimal, text, date, datetime, time, duration, `list of …` and the enums of this policy",
                ),
                dym(suggestion),
            ),
            UnknownOutput { span, name, effect, suggestion } => with_help(
                Diagnostic::error("E0105", format!("`{effect}` names `{name}`, which is not declared")).primary(*span, "not declared"),
                dym(suggestion).or_else(|| Some(format!("declare it first, e.g. `{}`", output_hint(effect, name)))),
            ),
            WrongOutputKind { span, name, effect, found, expected, decl } => {
                Diagnostic::error("E0106", format!("`{effect}` needs {expected}, but `{name}` is {found}"))
                    .primary(*span, format!("`{name}` is {found}"))
                    .secondary(*decl, "declared here")
                    .help(effect_help(effect))
            }
            CyclicLet { span, cycle } => Diagnostic::error("E0107", "derived facts refer to each other in a circle")
                .primary(*span, "this is part of the circle")
                .note(format!("the circle: {}", cycle.join(" → ")))
                .help("a derived fact must be computable from the case alone; break the circle"),
            UnknownRule { span, name, suggestion } => with_help(
                Diagnostic::error("E0108", format!("`overrides` names `{name}`, which is not a rule or table")).primary(*span, "unknown rule"),
                dym(suggestion),
            ),
            OverrideCycle { span, cycle } => Diagnostic::error("E0109", "rules override each other in a circle")
                .primary(*span, "part of the circle")
                .note(format!("the circle: {}", cycle.join(" → ")))
                .help("decide which rule is the exception and keep `overrides` only on that one"),
            UnknownFunction { span, name, suggestion } => with_help(
                Diagnostic::error("E0110", format!("`{name}` is not a built-in function")).primary(*span, "unknown function").note(
                    "the functions are length, lower, upper, trim, contains, starts_with, ends_with, digits, edit_distance, abs, min, max, date_of, time_of, end_of_day, weekday, days_between",
                ),
                dym(suggestion),
            ),
            NotAValue { span, name, kind, decl } => Diagnostic::error("E0111", format!("`{name}` is {kind}, not a fact"))
                .primary(*span, "used as a value here")
                .secondary(*decl, "declared here")
                .help("conditions can only use facts from `case { … }` and derived facts from `let`"),
            CompareMismatch { span, op, left, right } => Diagnostic::error("E0201", format!("cannot compare {} with {}", describe(left), describe(right)))
                .primary(*span, format!("`{op}` between `{left}` and `{right}`"))
                .help("both sides of a comparison must be of the same kind; check the fact's type in `case { … }`"),
            ArithMismatch { span, op, left, right } => Diagnostic::error("E0202", format!("cannot compute `{left}` {op} `{right}`"))
                .primary(*span, "these do not combine")
                .help("numbers combine with numbers; a date or date-and-time plus a duration gives a later one; two dates or times subtracted give a duration"),
            NotACondition { span, found } => Diagnostic::error("E0203", format!("a condition must be yes or no, but this is {}", describe(found)))
                .primary(*span, "not a yes/no condition")
                .help("compare the value with something, e.g. `confirm_count > 2` or `recipient == payer`"),
            Arity { span, func, expected, found } => Diagnostic::error("E0204", format!("`{func}` takes {expected}, but {found} {} given", if *found == 1 { "was" } else { "were" }))
                .primary(*span, "wrong number of values"),
            ArgType { span, func, expected, found } => Diagnostic::error("E0205", format!("`{func}` needs {expected}, not {}", describe(found)))
                .primary(*span, "wrong kind of value"),
            InMismatch { span, value, collection } => with_help(
                Diagnostic::error("E0206", format!("cannot look for {} in {}", describe(value), describe(collection)))
                    .primary(*span, "`in` needs a list of the same kind of value"),
                Some(match (value, collection) {
                    (Type::Enum(_, n), Type::List(inner)) if **inner == Type::Text => format!("write the values of `{n}` by name, without quotes: `x in [payer, fastel_owner]`"),
                    (_, Type::List(_)) => "every value in the list must be of the same kind as the value looked for".to_string(),
                    _ => "write the list in brackets, e.g. `recipient in [payer, fastel_owner]`, or name a list fact".to_string(),
                }),
            ),
            SetMismatch { span, target, expected, found } => Diagnostic::error("E0207", format!("`{target}` holds {}, not {}", describe(expected), describe(found)))
                .primary(*span, "wrong kind of value"),
            DueType { span, expected, found } => Diagnostic::error("E0208", format!("`due` needs {expected} here, not {}", describe(found)))
                .primary(*span, "wrong kind of value")
                .help("write `due callback within 30 minutes after call_ended_at` or `due callback by end_of_day(call_ended_at)`"),
            IsOnNonFact { span } => Diagnostic::error("E0209", "`is answered` and `is unanswered` apply to facts of the case only")
                .primary(*span, "not a fact of the case")
                .help("only a fact can be asked and left unanswered; test the facts the derived fact is made of"),
            WorkingOutsideDue { span } => Diagnostic::error("E0210", "working time can only be counted forward from a date and time")
                .primary(*span, "working duration here")
                .help("add it to a date and time, e.g. `now >= answer_sent_at + 2 working days`, or set a deadline: `due reply within 2 working days after received_at`"),
            WorkingWithoutCalendar { span } => Diagnostic::error("E0211", "working time needs a `calendar` with opening hours")
                .primary(*span, "counted in working time")
                .help("declare the working calendar, e.g.\n\n    calendar {\n      zone \"Asia/Jakarta\"\n      open monday .. friday 08:00 .. 17:00\n    }"),
            NotOrdered { span, ty } => Diagnostic::error("E0212", format!("{} cannot be put in order", describe(ty)))
                .primary(*span, "`<`, `<=`, `>` and `>=` need numbers, dates, times or durations")
                .help("use `==`, `!=` or `in [ … ]` for texts, yes/no facts and enum values"),
            RangeMismatch { span, value, bounds } => Diagnostic::error("E0213", format!("a range of {} cannot hold {}", describe(bounds), describe(value)))
                .primary(*span, "range and value differ"),
            UnknownPlaceholder { span, name, suggestion } => with_help(
                Diagnostic::error("E0301", format!("the script uses `{{{name}}}`, which is not a fact or derived fact"))
                    .primary(*span, "unknown placeholder"),
                dym(suggestion).or_else(|| Some("placeholders name facts or derived facts; write `\\{` for a literal brace".into())),
            ),
            ScriptTooLong { span, length, max } => Diagnostic::error("E0302", format!("this script is {length} characters long, more than its limit of {max}"))
                .primary(*span, format!("{} characters too many", length - *max as usize))
                .help("shorten the text, or raise the limit if the channel allows it; if this is the SOP's own text and it must stay as the SOP writes it, keep the limit and say so: `max N characters over limit \"why\"` (every Decision then flags the script)"),
            OverLimitFits { span, max, worst } => Diagnostic::warning("W0014", "this script is marked `over limit` but fits its limit")
                .primary(*span, format!("at most {worst} characters, within the limit of {max}"))
                .help("remove `over limit \"…\"`: the mark tells agents that the SOP's text breaks its own limit, and this one does not"),
            UnclosedPlaceholder { span } => Diagnostic::error("E0303", "a `{` in this script has no closing `}`")
                .primary(*span, "placeholder not closed")
                .help("write `{name}` for a placeholder, or `\\{` for a literal brace"),
            RequireAndForbid { span, other, action } => Diagnostic::error("E0304", format!("this rule both requires and forbids `{action}`"))
                .primary(*span, "forbidden here")
                .secondary(*other, "required here")
                .help("a rule can only give one verdict per action; split it into two rules with different conditions"),
            SetTwice { span, other, target } => Diagnostic::error("E0305", format!("this rule sets `{target}` twice"))
                .primary(*span, "set again here")
                .secondary(*other, "first set here"),
            OpenBadTarget { span, name, kind } => Diagnostic::error("E0306", format!("`open` can leave an action or an outcome undecided, but `{name}` is {kind}"))
                .primary(*span, "not an action or outcome")
                .help("write `open \"…\"` without a name to report an open point that affects no single output"),
            TableCellCount { span, expected, found, side } => Diagnostic::error("E0307", format!("this row has {found} {side} {}, but the table has {expected} {side} {}", if *found == 1 { "cell" } else { "cells" }, if *expected == 1 { "column" } else { "columns" }))
                .primary(*span, "wrong number of cells")
                .help("every row needs one cell per column; write `-` for \"any value\" or \"nothing\""),
            TableBadCell { span, column, kind, allowed } => Diagnostic::error("E0309", format!("column `{column}` is {kind}: its cells can be {allowed}"))
                .primary(*span, "not allowed in this column"),
            UnknownHit { span, found } => Diagnostic::error("E0310", format!("`{found}` is not a hit policy"))
                .primary(*span, "unknown hit policy")
                .help("write `hit unique` (rows must not overlap) or `hit first` (the first matching row wins)"),
            UnknownZone { span, found } => Diagnostic::error("E0311", format!("`{found}` is not a time zone"))
                .primary(*span, "unknown time zone")
                .help("write a zone name such as \"Asia/Jakarta\", \"Asia/Makassar\", \"Europe/Moscow\", an abbreviation WIB, WITA, WIT, MSK, or an offset \"+07:00\""),
            UnknownWeekday { span, found, suggestion } => with_help(
                Diagnostic::error("E0312", format!("`{found}` is not a day of the week")).primary(*span, "unknown day"),
                dym(suggestion).or_else(|| Some("write monday, tuesday, wednesday, thursday, friday, saturday or sunday".into())),
            ),
            BadOpeningHours { span } => Diagnostic::error("E0313", "opening hours must end after they start")
                .primary(*span, "closes before it opens")
                .help("write the opening time first: `open monday .. friday 08:00 .. 17:00`"),
            ExampleUnknownFact { span, name, suggestion } => with_help(
                Diagnostic::error("E0401", format!("the example gives `{name}`, which is not a fact of the case")).primary(*span, "unknown fact"),
                dym(suggestion),
            ),
            ExampleValueType { span, fact, expected, found } => Diagnostic::error("E0402", format!("`{fact}` holds {}, but the example gives {}", describe(expected), describe(found)))
                .primary(*span, "wrong kind of value"),
            ExampleUnknownOutput { span, name, suggestion } => with_help(
                Diagnostic::error("E0403", format!("the example expects something of `{name}`, which is not declared")).primary(*span, "not declared"),
                dym(suggestion),
            ),
            ExampleUnknownRule { span, name, suggestion } => with_help(
                Diagnostic::error("E0407", format!("the example expects an open point of `{name}`, which is not a rule")).primary(*span, "not a rule"),
                dym(suggestion).or_else(|| Some("write `open by RULE` with the name of the rule whose `open` you expect".into())),
            ),
            ExampleWrongKind { span, name, kind, expectation, hint } => Diagnostic::error("E0404", format!("`{name}` is {kind}: it cannot be expected to be {expectation}"))
                .primary(*span, "wrong kind of expectation")
                .help(*hint),
            ExampleNotConstant { span } => Diagnostic::error("E0405", "an example gives plain values, not calculations")
                .primary(*span, "not a plain value")
                .help("write the value itself, e.g. `confirm_count: 3` or `call_time: 19:05`"),
            ExampleDuplicateGiven { span, first, fact } => Diagnostic::error("E0406", format!("the example gives `{fact}` twice"))
                .primary(*span, "given again")
                .secondary(*first, "first given here"),
            ValidityOrder { span } => Diagnostic::error("E0501", "the validity ends before it starts")
                .primary(*span, "`until` is before `from`")
                .help("check the dates: `valid from 2024-04-15 until 2025-06-30`"),
            UnknownStatus { span, found } => Diagnostic::error("E0502", format!("`{found}` is not a policy status"))
                .primary(*span, "unknown status")
                .help("write `status active`, `status draft` or `status archived \"why it is kept\"`"),
            MissingTitle { span } => Diagnostic::error("E0503", "the policy has no `title`")
                .primary(*span, "header without a title")
                .help("add the SOP's title: `title \"New Callback\"`"),
            DuplicateHeaderField { span, first, field } => Diagnostic::error("E0504", format!("`{field}` is given twice in the header"))
                .primary(*span, "given again")
                .secondary(*first, "first given here"),
            DuplicateBlock { span, first, block } => Diagnostic::error("E0505", format!("a policy has one `{block}` block"))
                .primary(*span, "second block")
                .secondary(*first, "first block")
                .help("put everything in the first block"),
            ConflictingDefault { span } => Diagnostic::error("E0506", "a default must be a plain value")
                .primary(*span, "not a plain value")
                .help("write the value itself, e.g. `default false` or `default AGENT`"),
            SensitiveTwice { span, first, fact } => Diagnostic::error("E0507", format!("the fact `{fact}` is marked `sensitive` twice"))
                .primary(*span, "marked again")
                .secondary(*first, "first marked here")
                .help("write `sensitive` once"),
            EmptyAssumption { span } => Diagnostic::error("E0508", "this `assume` says nothing")
                .primary(*span, "no text")
                .help("say what you assumed that the SOP does not say, e.g. `assume \"Jam kerja kantor: Senin-Jumat 08.00-17.00 WIB\"`, or remove the line"),
            Unused { span, name, kind } => Diagnostic::warning("W0001", format!("the {kind} `{name}` is never used"))
                .primary(*span, "declared here")
                .help("use it in a rule, or remove it"),
            Expired { span, until } => Diagnostic::warning("W0002", format!("this policy expired on {until}"))
                .primary(*span, "valid until here")
                .help("renew the SOP and its dates, or mark it `status archived \"…\"` if it is kept only to replay past calls"),
            NoQuote { span, rule } => Diagnostic::warning("W0003", format!("rule `{rule}` does not quote the SOP"))
                .primary(*span, "no `quote`")
                .help("add the SOP sentence the rule encodes: `quote \"…\"`; every Decision shows it as the reason"),
            NoExamples { span } => Diagnostic::warning("W0004", "this policy has no examples")
                .primary(*span, "policy without examples")
                .help("add the SOP's sample cases as `example \"…\" { given { … } expect { … } }`; `pol test` runs them"),
            ArchivedNotExpired { span } => Diagnostic::warning("W0005", "this policy is archived but still valid")
                .primary(*span, "archived")
                .help("give it a `valid … until` date, or remove `status archived`"),
            ScriptMayExceed { span, max, worst } => Diagnostic::warning("W0006", format!("this script can reach {worst} characters, more than its limit of {max}"))
                .primary(*span, "with its longest placeholder values")
                .help("shorten the fixed text; the Decision warns when a filled-in script is too long"),
            ConstantCondition { span, value } => Diagnostic::warning("W0007", format!("this condition is always {}", if *value { "true" } else { "false" }))
                .primary(*span, "does not depend on the case")
                .help(if *value { "leave out `when` for a rule that always applies" } else { "this rule can never fire; check the condition" }),
            MixedScript { span, name } => Diagnostic::warning("W0008", format!("the name `{name}` mixes Latin and Cyrillic letters"))
                .primary(*span, "letters that look alike")
                .help("retype the name in one alphabet; letters such as `а` and `a` look the same but differ"),
            EmptyRule { span, rule } => Diagnostic::warning("W0010", format!("`{rule}` decides nothing"))
                .primary(*span, "every result cell is `-`")
                .help("fill in a result cell, or remove the row"),
        }
    }
}

fn output_hint(effect: &str, name: &str) -> String {
    match effect {
        "ask" => format!("question {name} \"…?\""),
        "allow" | "forbid" => format!("action {name} \"…\""),
        "say" => format!("script {name} \"…\""),
        "due" => format!("deadline {name} \"…\""),
        "set" => format!("outcome {name}: text \"…\""),
        _ => format!("action {name} \"…\"` or `field {name}: text \"…\""),
    }
}

fn effect_help(effect: &str) -> &'static str {
    match effect {
        "ask" => {
            "`ask` takes questions; `require` takes actions and ticket fields; `say` takes scripts"
        }
        "require" => {
            "`require` takes actions and ticket fields; `ask` takes questions; `say` takes scripts"
        }
        "allow" | "forbid" => "`allow` and `forbid` take actions",
        "say" => "`say` takes scripts",
        "set" => "`set` takes outcomes and ticket fields",
        "due" => "`due` takes deadlines",
        _ => "see the list of effects in docs/language.md",
    }
}
