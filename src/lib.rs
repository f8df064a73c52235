//! `pol`: a policy language for call-center Standard Operating Procedures.
//!
//! ```text
//! source ─► syntax::parse ─► AST ─► check::check ─► Policy ─► Engine (case JSON) ─► Decision
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
// Declarations are registered inside `if`s with side effects; a match guard would hide them.
#![allow(clippy::collapsible_match)]

// The parser pest derives without its `std` feature names `::alloc`.
extern crate alloc;

pub mod analysis;
pub mod builtins;
pub mod cache;
pub mod check;
pub mod contract;
pub mod diagnostic;
pub mod eval;
mod mask;
pub mod quotes;
pub mod render;
pub mod schema;
pub mod serve;
pub mod span;
pub mod syntax;
pub mod testing;
pub mod time;
pub mod types;
pub mod value;

pub use check::ids::{
    ActionId, DeadlineId, EnumId, FactId, FieldId, IdVec, LetId, OutcomeId, QuestionId, RuleId,
    ScriptId, VariantId,
};
pub use check::ir::Policy;
pub use diagnostic::{Diagnostic, Severity};
pub use eval::decision::Decision;
pub use eval::{decode_case, Case, CaseError, Engine, Evaluator};

/// A policy that passed the checker, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub policy: Policy,
    pub warnings: Vec<Diagnostic>,
}

/// A policy file that is not UTF-8 text: its E0014 diagnostic, and the file's text as
/// far as it can be read (bad bytes replaced), for rendering the label.
#[derive(Debug, Clone)]
pub struct NotUtf8 {
    pub diagnostic: Diagnostic,
    pub shown: String,
}

/// The text of a policy file: `Err` is E0014, located at the first byte that is not
/// UTF-8.
pub fn policy_text(bytes: Vec<u8>) -> Result<String, Box<NotUtf8>> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let diagnostic = Diagnostic::error("E0014", "the policy file is not UTF-8 text")
            .primary(
                span::Span::new(at, at + 1),
                format!("byte {at} is not part of a UTF-8 character"),
            )
            .help("save the file as UTF-8 (\"Save with encoding → UTF-8\" in most editors)");
        Box::new(NotUtf8 { diagnostic, shown })
    })
}

/// Parses and checks a policy. `Err` holds every diagnostic (errors and warnings).
pub fn compile(source: &str, file_name: &str) -> Result<Compiled, Vec<Diagnostic>> {
    compile_at(source, file_name, None)
}

/// Like [`compile`]; `today` (days since 1970-01-01) enables the "expired" warning.
pub fn compile_at(
    source: &str,
    file_name: &str,
    today: Option<i32>,
) -> Result<Compiled, Vec<Diagnostic>> {
    let file = syntax::parse(source)
        .map_err(|errs| errs.iter().map(|e| e.to_diagnostic()).collect::<Vec<_>>())?;
    compile_parsed(&file, source, file_name, today)
}

/// Like [`compile_at`], for a policy already parsed from `source` (`pol check` also
/// reads the parsed file's quotes: [`quotes::check_quotes`]).
pub fn compile_parsed(
    file: &syntax::ast::File,
    source: &str,
    file_name: &str,
    today: Option<i32>,
) -> Result<Compiled, Vec<Diagnostic>> {
    let (policy, findings) = check::check_at(file, file_name, source, today);
    let mut diags: Vec<Diagnostic> = findings.iter().map(|f| f.to_diagnostic()).collect();
    diags.sort_by_key(|d| (d.primary_span().map(|s| s.start).unwrap_or(0), d.severity));
    match policy {
        Some(policy) => Ok(Compiled {
            policy,
            warnings: diags,
        }),
        None => Err(diags),
    }
}

impl Policy {
    /// Reads an evaluation time: RFC 3339, a date-time without offset (in the
    /// policy's calendar zone), or a date (its start).
    pub fn parse_at(&self, text: &str) -> Option<i64> {
        if time::parse_datetime(text).is_some() {
            return time::read_instant(text, &self.calendar.zone);
        }
        let d = time::parse_date(text)?;
        let instant = self
            .calendar
            .zone
            .instant_of_local(i64::from(d) * time::SECONDS_PER_DAY);
        (time::MIN_INSTANT..=time::MAX_INSTANT)
            .contains(&instant)
            .then_some(instant)
    }
}
pub mod cli;
