//! The texts agents read as the SOP's words, checked against the SOP text: a
//! question, a fact's `ask` text or a script that is not in it word for word must
//! be marked `own words` (W0012), and one marked so must not be in it (W0013).
//!
//! The same matcher as for quotes decides "word for word", so that a text and a
//! quote are held to one standard: spacing, line breaks, `**` and typographic
//! variants do not count, capitals and abbreviations do. A script's `{name}`
//! placeholder stands where the SOP text hides a part in brackets (`[nama]`).

use super::matcher::Sym;
use super::{matcher, nearest, Nearness, Sop};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::syntax::ast::{File, Item, Text};

/// One text of the policy that agents read as the SOP's words.
struct Shown<'a> {
    /// What the text is, as the message names it: "the question `pj`".
    what: String,
    text: &'a Text,
    own_words: Option<Span>,
    /// A script: `{name}` is a placeholder.
    script: bool,
}

/// W0012 and W0013 for every text that agents read as the SOP's words.
pub(super) fn check(file: &File, sop: &Sop) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for t in shown(file) {
        let value = if t.script {
            placeholders_as_hidden(&t.text.value)
        } else {
            t.text.value.clone()
        };
        let folded = matcher::fold(&value);
        if folded.syms.is_empty() {
            continue;
        }
        let found = matcher::find(&sop.folded.syms, &folded.syms).is_some()
            || without_full_stop(&folded.syms)
                .is_some_and(|syms| matcher::find(&sop.folded.syms, syms).is_some());
        match (found, t.own_words) {
            (false, None) => out.push(not_in_sop(&t, &value, &folded, sop)),
            (true, Some(mark)) => out.push(in_sop_after_all(&t, mark, sop)),
            _ => {}
        }
    }
    out
}

/// The texts the check compares, in the order the policy declares them.
fn shown(file: &File) -> Vec<Shown<'_>> {
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Case(c) => {
                for f in &c.facts {
                    if let Some(ask) = &f.ask {
                        out.push(Shown {
                            what: format!("the question that asks for `{}`", f.name.name),
                            text: ask,
                            own_words: f.ask_own_words,
                            script: false,
                        });
                    }
                }
            }
            Item::Question(q) => out.push(Shown {
                what: format!("the question `{}`", q.name.name),
                text: &q.text,
                own_words: q.own_words,
                script: false,
            }),
            Item::Script(s) => out.push(Shown {
                what: format!("the script `{}`", s.name.name),
                text: &s.text,
                own_words: s.own_words,
                script: true,
            }),
            _ => {}
        }
    }
    out
}

/// The text without its closing full stop: the SOP often closes the quotation
/// marks around a script before the stop (`…informasinya".`).
fn without_full_stop(syms: &[Sym]) -> Option<&[Sym]> {
    match syms.split_last() {
        Some((Sym::Char('.'), rest)) if !rest.is_empty() => Some(rest),
        _ => None,
    }
}

/// `{name}` written as `[name]`, which the matcher folds into a hidden part.
fn placeholders_as_hidden(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find(['}', '{', '\n']) {
            Some(close) if after[close..].starts_with('}') => {
                out.push_str(&rest[..open]);
                out.push('[');
                out.push_str(&after[..close]);
                out.push(']');
                rest = &after[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// W0012.
fn not_in_sop(t: &Shown, value: &str, folded: &matcher::Folded, sop: &Sop) -> Diagnostic {
    let d = Diagnostic::warning(
        "W0012",
        format!(
            "the text of {} is not in the SOP text `{}`, and it is not marked `own words`",
            t.what, sop.shown
        ),
    )
    .primary(t.text.span, "not found word for word in the SOP text");
    let near = nearest(value, folded, sop, "text");
    let d = near.notes.into_iter().fold(d, Diagnostic::note);
    let fix = match near.kind {
        Nearness::Far => "",
        Nearness::OnlyCapitals => " (only capital letters differ)",
        Nearness::Close => " (the closest passage above shows what differs)",
    };
    d.help(format!(
        "agents read this text as the SOP's words: if it is the SOP's wording, fix it to \
         match{fix}; if it is your own wording, mark it `own words` after the text, so that \
         agents see it is not the SOP's"
    ))
}

/// W0013.
fn in_sop_after_all(t: &Shown, mark: Span, sop: &Sop) -> Diagnostic {
    Diagnostic::warning(
        "W0013",
        format!(
            "{} is marked `own words`, but the SOP text `{}` has it word for word",
            t.what, sop.shown
        ),
    )
    .primary(mark, "this mark says the SOP does not have the text")
    .secondary(t.text.span, "found word for word in the SOP text")
    .help(
        "the text is the SOP's wording: remove `own words`, so that agents see it as the \
         SOP's text",
    )
}

#[cfg(test)]
mod tests {
    use super::placeholders_as_hidden;

    #[test]
    fn placeholders_become_hidden_parts() {
        assert_eq!(
            placeholders_as_hidden("Yth. {nama}, kami {x"),
            "Yth. [nama], kami {x"
        );
        assert_eq!(placeholders_as_hidden("{a}{b}"), "[a][b]");
    }
}
