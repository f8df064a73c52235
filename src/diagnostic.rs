//! The one diagnostic type every stage's errors become. Rendering happens in
//! [`crate::render`], at the edge.

use crate::span::Span;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

/// A message about a policy file: a stable code (`E0101`), what is wrong,
/// where (labelled spans, the first one primary) and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// A case that shows the problem, for the analyses that find one.
    pub counterexample: Option<Counterexample>,
}

/// A case record and an evaluation time on which `pol eval` shows the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counterexample {
    /// The case record (facts by name).
    #[schema(value_type = Object)]
    pub case: serde_json::Map<String, serde_json::Value>,
    /// The evaluation time (RFC 3339); `null` when the case does not depend on it.
    #[schema(required = true, format = DateTime)]
    pub at: Option<String>,
    /// A shell command that evaluates the case: `echo '…' | pol eval FILE --case -`.
    pub reproduce: String,
}

impl Counterexample {
    /// The case record as one line of JSON.
    pub fn case_json(&self) -> String {
        serde_json::to_string(&self.case).unwrap_or_default()
    }

    /// The counterexample as notes for people: the case, and the command.
    pub fn notes(&self) -> [String; 2] {
        let when = self
            .at
            .as_ref()
            .map(|a| format!(" at {a}"))
            .unwrap_or_default();
        [
            format!("counterexample: {}{when}", self.case_json()),
            format!("reproduce: {}", self.reproduce),
        ]
    }
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            counterexample: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// The notes as people read them (human text, SARIF): the counterexample first.
    pub fn notes_for_people(&self) -> Vec<String> {
        let mut notes: Vec<String> = self
            .counterexample
            .iter()
            .flat_map(Counterexample::notes)
            .collect();
        notes.extend(self.notes.iter().cloned());
        notes
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The span of the first primary label, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).map(|l| l.span)
    }
}

/// Names longer than this (in characters) get no "did you mean": no
/// declared name is that long, and comparing costs the product of the lengths.
const SUGGEST_MAX_CHARS: usize = 64;

/// "did you mean `x`?" for the closest candidate, if one is close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    let len = name.chars().count();
    if len > SUGGEST_MAX_CHARS {
        return None;
    }
    let lower = name.to_lowercase();
    for c in candidates {
        let c_len = c.chars().count();
        let limit = (len.max(c_len) / 3).max(1);
        // The distance is at least the difference in length.
        if c_len > SUGGEST_MAX_CHARS || len.abs_diff(c_len) > limit {
            continue;
        }
        let Some(d) = crate::builtins::edit_distance(&lower, &c.to_lowercase()) else {
            continue;
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}
