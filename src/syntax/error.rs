//! Syntax errors as data, and the one place that words them for policy owners.

use crate::diagnostic::Diagnostic;
use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum SyntaxError {
    /// The parser could not go on: what it expected there, in words.
    Unexpected {
        span: Span,
        expected: Vec<String>,
        found: String,
        after: Option<String>,
    },
    UnterminatedText {
        span: Span,
    },
    SingleEquals {
        span: Span,
    },
    InvalidDate {
        span: Span,
        text: String,
    },
    InvalidTime {
        span: Span,
        text: String,
    },
    InvalidDateTime {
        span: Span,
        text: String,
    },
    NumberTooLarge {
        span: Span,
    },
    TooLarge {
        limit: usize,
    },
    TooDeep {
        span: Span,
        limit: usize,
    },
    /// An expression deeper than the limit: `start` is where it begins when
    /// `span` is only the place where the limit is passed.
    TooLong {
        span: Span,
        start: Option<Span>,
        depth: usize,
        limit: usize,
    },
    ReservedWord {
        span: Span,
        word: String,
    },
    CurlyQuote {
        span: Span,
    },
    ForeignOperator {
        span: Span,
        found: String,
        instead: &'static str,
    },
    MissingHeader {
        span: Span,
    },
    /// The tree did not have the shape the grammar promises: a bug in `pol`.
    Internal {
        span: Span,
        what: &'static str,
    },
}

impl SyntaxError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            SyntaxError::Unexpected { span, expected, found, after } => {
                let wanted = join_or(expected);
                let msg = match after {
                    Some(a) => format!("expected {wanted} after {a}"),
                    None => format!("expected {wanted}"),
                };
                let label = if found.is_empty() {
                    "the file ends here".to_string()
                } else {
                    format!("found {found} here")
                };
                Diagnostic::error("E0001", msg)
                    .primary(*span, label)
                    .help("see docs/language.md for the shape of each part of a policy")
            }
            SyntaxError::UnterminatedText { span } => Diagnostic::error("E0002", "this text has no closing `\"`")
                .primary(*span, "the text starts here")
                .help("end the text with a straight double quote `\"`; to put a quote inside a text write `\\\"`"),
            SyntaxError::SingleEquals { span } => Diagnostic::error("E0003", "`=` is not a comparison")
                .primary(*span, "use `==` to compare")
                .help("a condition compares with `==` (equal) or `!=` (not equal); `=` is only used by `set`"),
            SyntaxError::InvalidDate { span, text } => Diagnostic::error("E0004", format!("`{text}` is not a date in the calendar"))
                .primary(*span, "no such date")
                .help("write dates as YEAR-MONTH-DAY with a real day of that month, e.g. `2025-06-30`"),
            SyntaxError::InvalidTime { span, text } => Diagnostic::error("E0005", format!("`{text}` is not a time of day"))
                .primary(*span, "hours go from 00 to 23, minutes and seconds from 00 to 59")
                .help("write times of day as HOURS:MINUTES, e.g. `07:30` or `19:01`"),
            SyntaxError::InvalidDateTime { span, text } => Diagnostic::error("E0006", format!("`{text}` is not a valid date and time"))
                .primary(*span, "invalid date, time or offset")
                .help("write a date and time as `2025-04-29T10:30`, optionally with an offset: `2025-04-29T10:30+07:00`"),
            SyntaxError::NumberTooLarge { span } => Diagnostic::error("E0007", "this number is too large")
                .primary(*span, "whole numbers can have at most 18 digits")
                .help("phone and internet numbers belong in a `text` fact, written in quotes: \"081200000001\""),
            SyntaxError::TooLarge { limit } => Diagnostic::error("E0008", format!("the policy file is larger than {limit} bytes"))
                .help("split the SOP into several policy files"),
            SyntaxError::TooDeep { span, limit } => Diagnostic::error("E0009", format!("brackets are nested more than {limit} deep"))
                .primary(*span, "nested too deep")
                .help("give parts of the condition a name with `let` and use the names"),
            SyntaxError::TooLong { span, start, depth, limit } => {
                let d = Diagnostic::error("E0015", format!("this expression is too long: {depth} levels, the limit is {limit}"));
                let d = match start {
                    Some(start) => d
                        .primary(*span, "the limit is passed here")
                        .secondary(*start, "the expression starts here"),
                    None => d.primary(*span, "this expression"),
                };
                d.help("each `and`, `or`, `+` or other operator in a row adds a level; split the expression into named parts with `let` (e.g. `let checks_done \"…\" = a and b and c`) and combine the names; instead of `x == 1 or x == 2 or …` write `x in [1, 2, …]`")
            }
            SyntaxError::ReservedWord { span, word } => Diagnostic::error("E0010", format!("`{word}` is a reserved word and cannot be used as a name"))
                .primary(*span, "reserved word")
                .help(format!("choose a more specific name, e.g. `is_{word}` or `{word}_status`")),
            SyntaxError::CurlyQuote { span } => Diagnostic::error("E0011", "curly quotes do not start or end a text")
                .primary(*span, "this is a typographic quote")
                .help("use straight double quotes `\"…\"`; word processors replace them with curly ones when you copy from a document"),
            SyntaxError::ForeignOperator { span, found, instead } => Diagnostic::error("E0012", format!("`{found}` is not an operator in pol"))
                .primary(*span, format!("write `{instead}` here"))
                .help(format!("conditions are written with words: `and`, `or`, `not`; use `{instead}` instead of `{found}`")),
            SyntaxError::MissingHeader { span } => Diagnostic::error("E0013", "a policy file must start with `policy NAME { … }`")
                .primary(*span, "expected the policy header here")
                .help("start the file with\n\n    policy my_sop {\n      title \"…\"\n    }"),
            SyntaxError::Internal { span, what } => Diagnostic::error("E0000", format!("internal error while reading {what}"))
                .primary(*span, "here")
                .help("this is a bug in pol, not in your policy; please report it with the file"),
        }
    }
}

pub(crate) fn join_or(items: &[String]) -> String {
    match items {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {}", rest.join(", "), last),
    }
}
