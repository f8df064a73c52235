//! `pol check --format json`: every diagnostic of every file, and a summary.

use super::SchemaVersion;
use crate::diagnostic::{Counterexample, Diagnostic, Severity};
use crate::span::line_col;
use serde::Serialize;
use utoipa::ToSchema;

/// The output of `pol check --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DiagnosticsReport {
    pub schema_version: SchemaVersion,
    /// Every diagnostic, file by file, in source order.
    pub diagnostics: Vec<DiagnosticEntry>,
    pub summary: Summary,
}

/// How many files were checked and what was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// One diagnostic: a stable code, what is wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DiagnosticEntry {
    /// A stable code (`E0101`, `W0201`, `A0001`; docs/diagnostics.md). New
    /// warning codes may appear in a minor version.
    #[schema(pattern = "^[EWA][0-9]{4}$")]
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// The policy file, as named on the command line.
    pub file: String,
    /// Where the primary label starts (1-based; 1:1 when there is none).
    #[schema(minimum = 1)]
    pub line: usize,
    /// Column in characters (1-based).
    #[schema(minimum = 1)]
    pub column: usize,
    pub labels: Vec<LabelEntry>,
    /// How to fix it; `null` when there is no advice.
    #[schema(required = true)]
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// A case that shows the problem; absent when the diagnostic has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub counterexample: Option<Counterexample>,
}

/// A span of the source with a message; `primary` marks where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LabelEntry {
    pub message: String,
    pub primary: bool,
    #[schema(minimum = 1)]
    pub line: usize,
    #[schema(minimum = 1)]
    pub column: usize,
    #[schema(minimum = 1)]
    pub end_line: usize,
    #[schema(minimum = 1)]
    pub end_column: usize,
}

impl DiagnosticEntry {
    /// The entry of `d`, a diagnostic about `file` whose text is `source`.
    pub fn new(d: &Diagnostic, file: &str, source: &str) -> DiagnosticEntry {
        let (line, column) = d
            .primary_span()
            .map(|s| line_col(source, s.start))
            .unwrap_or((1, 1));
        DiagnosticEntry {
            code: d.code.to_string(),
            severity: d.severity,
            message: d.message.clone(),
            file: file.to_string(),
            line,
            column,
            labels: d
                .labels
                .iter()
                .map(|l| {
                    let (line, column) = line_col(source, l.span.start);
                    let (end_line, end_column) = line_col(source, l.span.end);
                    LabelEntry {
                        message: l.message.clone(),
                        primary: l.primary,
                        line,
                        column,
                        end_line,
                        end_column,
                    }
                })
                .collect(),
            help: d.help.clone(),
            notes: d.notes.clone(),
            counterexample: d.counterexample.clone(),
        }
    }
}

impl DiagnosticsReport {
    /// A report over `files` checked files: the summary counts the entries.
    pub fn new(diagnostics: Vec<DiagnosticEntry>, files: usize) -> DiagnosticsReport {
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        DiagnosticsReport {
            schema_version: SchemaVersion,
            summary: Summary {
                files,
                errors,
                warnings: diagnostics.len() - errors,
            },
            diagnostics,
        }
    }
}
