//! Diagnostics rendered for people (codespan-reporting) and for programs (JSON).

use crate::contract::DiagnosticEntry;
use crate::diagnostic::{Diagnostic, Severity};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

mod window;

/// Renders diagnostics as text against the source, with underlined spans.
/// Most diagnostics shown for one file; the rest are counted in a closing line (a
/// file with thousands of errors is usually not a policy at all).
pub const MAX_SHOWN: usize = 200;

pub fn human(diags: &[Diagnostic], file: &str, source: &str, color: bool) -> String {
    // Nothing to show: not even the line index of the file is needed (`pol eval` of a
    // clean policy from the cache would spend a sixth of its time making it).
    if diags.is_empty() {
        return String::new();
    }
    let files = SimpleFile::new(file, source);
    let mut buf = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let config = term::Config::default();
    // Line starts, for cutting long lines: only when the file has one.
    let long = source
        .split('\n')
        .any(|line| line.len() > window::MAX_LINE)
        .then(|| window::line_starts(source));
    for d in diags.iter().take(MAX_SHOWN) {
        let sev = match d.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let ranges: Vec<std::ops::Range<usize>> = d
            .labels
            .iter()
            .map(|l| clamp(l.span.range(), source))
            .collect();
        let points: Vec<usize> = ranges.iter().flat_map(|r| [r.start, r.end]).collect();
        let cut = long
            .as_ref()
            .and_then(|starts| window::Windowed::new(file, source, starts, &points));
        let labels = d
            .labels
            .iter()
            .zip(&ranges)
            .map(|(l, range)| {
                let range = match &cut {
                    Some(w) => w.map(range.start)..w.map(range.end),
                    None => range.clone(),
                };
                let label = if l.primary {
                    cs::Label::primary((), range)
                } else {
                    cs::Label::secondary((), range)
                };
                label.with_message(l.message.clone())
            })
            .collect();
        let mut notes = d.notes_for_people();
        if let Some(h) = &d.help {
            notes.push(format!("help: {h}"));
        }
        let diag = cs::Diagnostic::new(sev)
            .with_code(d.code)
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(notes);
        let emitted = match &cut {
            Some(w) => term::emit(&mut buf, &config, w, &diag),
            None => term::emit(&mut buf, &config, &files, &diag),
        };
        if emitted.is_err() {
            buf_fallback(&mut buf, d);
        }
    }
    let mut out = String::from_utf8_lossy(buf.as_slice()).into_owned();
    if let Some(more) = diags.len().checked_sub(MAX_SHOWN).filter(|n| *n > 0) {
        out.push_str(&format!(
            "… and {more} more in {file} (`pol check --format json` lists them all)\n"
        ));
    }
    out
}

fn buf_fallback(buf: &mut termcolor::Buffer, d: &Diagnostic) {
    use std::io::Write;
    let _ = writeln!(buf, "{}[{}]: {}", d.severity.word(), d.code, d.message);
}

/// Keeps a range on character boundaries inside the source.
fn clamp(r: std::ops::Range<usize>, source: &str) -> std::ops::Range<usize> {
    let fix = |mut i: usize| {
        i = i.min(source.len());
        while i > 0 && !source.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (s, e) = (fix(r.start), fix(r.end));
    s..e.max(s)
}

/// The entries of `pol check --format json` for one file.
pub fn json(diags: &[Diagnostic], file: &str, source: &str) -> Vec<DiagnosticEntry> {
    diags
        .iter()
        .map(|d| DiagnosticEntry::new(d, file, source))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_very_many_diagnostics_shows_the_first_ones_and_counts_the_rest() {
        let source = "x\n".repeat(500);
        let diags: Vec<Diagnostic> = (0..500)
            .map(|i| {
                Diagnostic::error("E0101", format!("problem {i}"))
                    .primary(crate::span::Span::new(2 * i, 2 * i + 1), "here")
            })
            .collect();
        let out = human(&diags, "many.pol", &source, false);
        assert_eq!(out.matches("error[E0101]").count(), MAX_SHOWN);
        assert!(out.contains("problem 199") && !out.contains("problem 200"));
        assert!(out
            .ends_with("… and 300 more in many.pol (`pol check --format json` lists them all)\n"));
        let few = human(&diags[..3], "many.pol", &source, false);
        assert!(!few.contains("more in"));
    }
}
