//! Source text → typed AST. The pest layer stays in here: [`parse`] is the only entry.

pub mod ast;
mod error;
mod grammar;
mod lower;
mod lower_expr;
mod translate;

pub use error::SyntaxError;

use crate::span::Span;
use grammar::{PolParser, Rule};
use pest::Parser;

/// Larger files are refused before parsing.
pub const MAX_SOURCE_BYTES: usize = 2 * 1024 * 1024;
/// Brackets and prefix operators may nest this deep.
pub const MAX_NESTING: usize = 48;
/// An expression may be this many levels deep, counted on the tree the
/// parser builds (`a + b + c` is 3 levels: a chain is as deep as it is long).
/// Checking, evaluation and analysis walk expressions recursively; at this
/// depth each of them fits in a 2 MiB thread stack with room to spare.
pub const MAX_EXPR_DEPTH: usize = 256;

/// Parses a whole policy file. On failure returns every syntax error found:
/// after the first one, each top-level declaration is parsed on its own so
/// that one mistake does not hide the others.
pub fn parse(source: &str) -> Result<ast::File, Vec<SyntaxError>> {
    let scan = prescan(source)?;
    match PolParser::parse(Rule::file, source) {
        Ok(mut pairs) => {
            let Some(file) = pairs.next() else {
                return Err(vec![SyntaxError::Internal {
                    span: Span::new(0, 0),
                    what: "the file",
                }]);
            };
            let mut lowerer = lower::Lowerer::new(source);
            let file = lowerer.file(file);
            match file {
                Ok(f) if lowerer.errors.is_empty() => Ok(f),
                Ok(_) => Err(lowerer.errors),
                Err(e) => {
                    let mut errors = lowerer.errors;
                    errors.push(e);
                    Err(errors)
                }
            }
        }
        Err(first) => {
            let first = translate::translate(source, 0, &first);
            let mut errors = Vec::new();
            for (start, end) in item_chunks(source, &scan.string_ranges) {
                let Some(chunk) = source.get(start..end) else {
                    continue;
                };
                if let Err(e) = PolParser::parse(Rule::item_only, chunk) {
                    errors.push(translate::translate(source, start, &e));
                }
            }
            if errors.is_empty() {
                errors.push(first);
            }
            Err(errors)
        }
    }
}

struct Scan {
    string_ranges: Vec<(usize, usize)>,
}

/// Finds what pest reports badly: unterminated texts, curly quotes, nesting
/// that would exhaust the stack.
fn prescan(source: &str) -> Result<Scan, Vec<SyntaxError>> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(vec![SyntaxError::TooLarge {
            limit: MAX_SOURCE_BYTES,
        }]);
    }
    let mut errors = Vec::new();
    let mut strings = Vec::new();
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut chars = source.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                while let Some(&(_, c)) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            '"' => {
                let mut closed = None;
                while let Some((j, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            closed = Some(j + 1);
                            break;
                        }
                        _ => {}
                    }
                }
                match closed {
                    Some(end) => strings.push((i, end)),
                    None => {
                        // A quote lost earlier makes every later text start at a closing quote: blame the
                        // first text that runs over a line starting a declaration.
                        let culprit = strings
                            .iter()
                            .find(|(s, e)| source.get(*s..*e).is_some_and(runs_into_declaration))
                            .map_or(i, |(s, _)| *s);
                        errors.push(SyntaxError::UnterminatedText {
                            span: Span::new(culprit, culprit + 1),
                        });
                        break;
                    }
                }
                prefix_run = 0;
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => {
                errors.push(SyntaxError::CurlyQuote {
                    span: Span::new(i, i + c.len_utf8()),
                });
            }
            '(' | '[' | '{' => {
                depth += 1;
                prefix_run += 1;
                if depth > MAX_NESTING || prefix_run > MAX_NESTING {
                    errors.push(SyntaxError::TooDeep {
                        span: Span::new(i, i + 1),
                        limit: MAX_NESTING,
                    });
                    break;
                }
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                prefix_run = 0;
            }
            '-' | '!' => {
                prefix_run += 1;
                if prefix_run > MAX_NESTING {
                    errors.push(SyntaxError::TooDeep {
                        span: Span::new(i, i + 1),
                        limit: MAX_NESTING,
                    });
                    break;
                }
            }
            c if c.is_whitespace() => {}
            c if c.is_alphanumeric() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, c)) = chars.peek() {
                    if c.is_alphanumeric() || c == '_' {
                        end = j + c.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                if source.get(i..end) == Some("not") {
                    prefix_run += 1;
                    if prefix_run > MAX_NESTING {
                        errors.push(SyntaxError::TooDeep {
                            span: Span::new(i, end),
                            limit: MAX_NESTING,
                        });
                        break;
                    }
                } else {
                    prefix_run = 0;
                }
            }
            _ => prefix_run = 0,
        }
    }
    if errors.is_empty() {
        Ok(Scan {
            string_ranges: strings,
        })
    } else {
        Err(errors)
    }
}

/// Whether a text spans a line that starts with a declaration keyword.
fn runs_into_declaration(text: &str) -> bool {
    text.lines().skip(1).any(|l| {
        let w: String = l
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        ITEM_WORDS.contains(&w.as_str()) && l.trim_start().len() > w.len()
    })
}

const ITEM_WORDS: &[&str] = &[
    "policy", "enum", "case", "let", "question", "action", "field", "script", "outcome",
    "deadline", "calendar", "rule", "table", "example",
];

/// Byte ranges of the top-level declarations: each starts on a line whose
/// first word is a declaration keyword (outside any text).
fn item_chunks(source: &str, strings: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut starts = vec![0usize];
    let mut offset = 0usize;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let word_start = offset + (line.len() - trimmed.len());
        let word: String = trimmed
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let in_string = strings
            .iter()
            .any(|&(s, e)| s < word_start && word_start < e);
        if ITEM_WORDS.contains(&word.as_str()) && !in_string && word_start > 0 {
            starts.push(word_start);
        }
        offset += line.len();
    }
    let mut chunks = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(source.len());
        let has_content = source.get(s..e).is_some_and(|t| {
            t.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        });
        if has_content {
            chunks.push((s, e));
        }
    }
    chunks
}
