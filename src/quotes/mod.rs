//! The quote check of `pol check`: every `quote` of a rule or a table must be in
//! the SOP text that the header names with `source file "…"` (E0702), and that
//! file must be readable (E0701). A policy without `source file` is not checked.
//!
//! Only `pol check` runs it. Evaluating never needs the SOP text (a Decision shows
//! a quote as the policy writes it), and the cache of checked policies is keyed by
//! the policy's own text: a result that depended on a second file could be served
//! from the cache after that file changed. Keeping the check out of compiling keeps
//! both `pol eval` and the cache independent of the SOP text.

pub mod matcher;
mod own_words;

use crate::diagnostic::Diagnostic;
use crate::span::line_col;
use crate::syntax::ast::{self, HeaderField, Item, Text};
use matcher::{Difference, Folded, Sym};
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An SOP text larger than this is refused (E0701): SOP pages are tens of kilobytes.
pub const MAX_SOP_BYTES: usize = 8 * 1024 * 1024;

/// The quote check of one parsed policy, read from `policy_path` (the SOP text's
/// path is relative to the policy file's folder).
pub fn check_quotes(file: &ast::File, policy_path: &Path) -> Vec<Diagnostic> {
    // A second `source file` is E0504; the first one is the one checked.
    let Some(named) = file.header.fields.iter().find_map(|f| match f {
        HeaderField::SourceFile { path, .. } => Some(path),
        _ => None,
    }) else {
        return Vec::new();
    };
    let path = sop_path(policy_path, &named.value);
    let shown = path.display().to_string();
    let text = match read_sop(&path) {
        Ok(text) => text,
        Err(reason) => return vec![unreadable(named, &shown, &reason)],
    };
    let sop = matcher::fold(&text);
    let sop = Sop {
        text: &text,
        folded: &sop,
        shown: &shown,
    };
    let mut out = Vec::new();
    for quote in quotes(file) {
        // `…` leaves words out (and joins several `quote` lines): each piece
        // between them must be in the SOP text.
        let pieces: Vec<&str> = quote
            .value
            .split('…')
            .filter(|p| !p.trim().is_empty())
            .collect();
        for piece in &pieces {
            let folded = matcher::fold(piece);
            if matcher::find(&sop.folded.syms, &folded.syms).is_none() {
                out.push(not_found(quote, piece, pieces.len() > 1, &folded, &sop));
            }
        }
    }
    out.extend(own_words::check(file, &sop));
    out
}

/// Where `source file "…"` points: relative to the policy file's folder.
pub fn sop_path(policy_path: &Path, named: &str) -> PathBuf {
    policy_path
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(named)
}

fn quotes(file: &ast::File) -> impl Iterator<Item = &Text> {
    file.items.iter().filter_map(|item| match item {
        Item::Rule(r) => r.quote.as_ref(),
        Item::Table(t) => t.quote.as_ref(),
        _ => None,
    })
}

fn read_sop(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("it is a folder, not a file".into());
    }
    if !meta.is_file() {
        // Opening a pipe would wait for a writer.
        return Err("it is not a regular file (a pipe or a device)".into());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SOP_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() > MAX_SOP_BYTES {
        return Err(format!(
            "it is larger than {} MiB",
            MAX_SOP_BYTES / (1024 * 1024)
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "it is not UTF-8 text (byte {} is not part of a UTF-8 character)",
            e.utf8_error().valid_up_to()
        )
    })
}

/// E0701.
fn unreadable(named: &Text, shown: &str, reason: &str) -> Diagnostic {
    Diagnostic::error(
        "E0701",
        format!("cannot read the SOP text `{shown}`: {reason}"),
    )
    .primary(named.span, "the quotes are checked against this file")
    .help(
        "the path is read from the policy file's folder: `source file \"sources/callback.txt\"` \
             in `policies/callback.pol` is `policies/sources/callback.txt`; put the SOP's text \
             there (as UTF-8 text) or correct the path",
    )
}

struct Sop<'a> {
    text: &'a str,
    folded: &'a Folded,
    shown: &'a str,
}

/// How many differences a message lists.
const MAX_LISTED: usize = 3;

/// E0702 for `piece` of `quote` (all of it unless `part`), with the closest passage
/// of the SOP text and what differs from it.
fn not_found(quote: &Text, piece: &str, part: bool, folded: &Folded, sop: &Sop) -> Diagnostic {
    let what = if part {
        "a part of the quote"
    } else {
        "the quote"
    };
    let d = Diagnostic::error(
        "E0702",
        format!("{what} is not in the SOP text `{}`", sop.shown),
    )
    .primary(quote.span, "not found word for word in the SOP text");
    let d = if part {
        d.note(format!("the part not found: \"{}\"", shown(piece)))
    } else {
        d
    };
    let near = nearest(piece, folded, sop, "quote");
    let d = near.notes.into_iter().fold(d, Diagnostic::note);
    match near.kind {
        Nearness::Far => d.help(
            "copy the sentence from the SOP text as it is written; if the quote comes from \
             another document, this policy's `source file` names the wrong one",
        ),
        Nearness::OnlyCapitals => d.help(
            "only capital letters differ: a quote keeps the SOP's capitals, write them as the SOP does",
        ),
        Nearness::Close => d.help(HELP),
    }
}

/// How close the nearest passage of the SOP text is to a text not found in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nearness {
    /// Most of the text would have to change: the passage is no guide.
    Far,
    /// Only capital letters differ.
    OnlyCapitals,
    Close,
}

/// The notes that show the SOP passage nearest to a text not found in it.
struct Nearest {
    notes: Vec<String>,
    kind: Nearness,
}

/// The closest passage of the SOP text to `piece` (`folded` is it folded), with
/// its line numbers and the words that differ; `noun` names the text in the notes
/// ("quote", "text").
fn nearest(piece: &str, folded: &Folded, sop: &Sop, noun: &str) -> Nearest {
    let closest = matcher::closest(&sop.folded.syms, &folded.syms);
    let bytes = original(sop.folded, &closest.passage);
    let (first, last) = (
        line_col(sop.text, offset(bytes.start)).0,
        line_col(
            sop.text,
            offset(bytes.end.saturating_sub(1).max(bytes.start)),
        )
        .0,
    );
    let lines = if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}–{last}")
    };
    let passage = shown(&sop.text.get(bytes.clone()).unwrap_or("").replace("**", ""));
    // Most of the text would have to change: the nearest passage is no guide.
    if closest.distance * 2 > folded.syms.len() {
        return Nearest {
            notes: vec![format!(
                "nothing in {} is close to this {noun}; the nearest passage, {lines}: \"{passage}\"",
                sop.shown
            )],
            kind: Nearness::Far,
        };
    }
    let mut notes = vec![format!(
        "the closest passage, {} {lines}: \"{passage}\"",
        sop.shown
    )];
    let passage_syms = &sop.folded.syms[closest.passage.clone()];
    let Some(diffs) = matcher::differences(&folded.syms, passage_syms) else {
        return Nearest {
            notes,
            kind: Nearness::Close,
        };
    };
    let only_capitals = diffs.iter().all(|x| {
        x.quote.len() == x.passage.len()
            && folded.syms[x.quote.clone()]
                .iter()
                .zip(&passage_syms[x.passage.clone()])
                .all(|(a, b)| same_but_capitals(*a, *b))
    });
    let words = words_that_differ(piece, folded, sop, closest.passage.start, &diffs);
    let mut listed: Vec<String> = words
        .iter()
        .take(MAX_LISTED)
        .map(|(q, s)| describe(noun, q, s))
        .collect();
    if words.len() > MAX_LISTED {
        listed.push(format!("{} more", words.len() - MAX_LISTED));
    }
    notes.push(format!("what differs: {}", listed.join("; ")));
    Nearest {
        notes,
        kind: if only_capitals {
            Nearness::OnlyCapitals
        } else {
            Nearness::Close
        },
    }
}

const HELP: &str = "copy the SOP's words into the quote as they are written, typing errors and \
                    punctuation included; spaces, line breaks and `**` bold marks do not matter, \
                    and `[…]` stands for a part of the SOP text hidden in brackets";

fn describe(noun: &str, quote: &str, sop: &str) -> String {
    match (quote.is_empty(), sop.is_empty()) {
        (false, false) => format!("the {noun} has `{quote}` where the SOP has `{sop}`"),
        (false, true) => format!("the {noun} has `{quote}`, which the SOP does not"),
        (true, false) => format!("the SOP has `{sop}`, which the {noun} leaves out"),
        (true, true) => "spacing only".to_string(),
    }
}

fn same_but_capitals(a: Sym, b: Sym) -> bool {
    match (a, b) {
        (Sym::Char(a), Sym::Char(b)) => a.to_lowercase().eq(b.to_lowercase()),
        _ => a == b,
    }
}

fn offset(byte: usize) -> u32 {
    u32::try_from(byte).unwrap_or(u32::MAX)
}

/// The bytes of the original text that units `units` of `folded` stand for; an
/// empty range of units is the point where the next unit starts.
fn original(folded: &Folded, units: &Range<usize>) -> Range<usize> {
    let point = |i: usize| {
        folded
            .from
            .get(i)
            .map(|r| r.start)
            .or_else(|| folded.from.last().map(|r| r.end))
            .unwrap_or(0)
    };
    if units.is_empty() {
        let p = point(units.start);
        return p..p;
    }
    let end = folded
        .from
        .get(units.end - 1)
        .map_or_else(|| point(units.end), |r| r.end);
    point(units.start)..end
}

/// The differences as whole words of the quote and of the SOP text: an edit inside
/// a word shows the word, edits in the same words are one difference.
fn words_that_differ(
    quote: &str,
    folded: &Folded,
    sop: &Sop,
    passage_start: usize,
    diffs: &[Difference],
) -> Vec<(String, String)> {
    let mut spans: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for x in diffs {
        let passage = passage_start + x.passage.start..passage_start + x.passage.end;
        let mut q = whole_words(quote, original(folded, &x.quote));
        let mut s = whole_words(sop.text, original(sop.folded, &passage));
        // Something added between words: show the word before it on both sides.
        if q.is_empty() || s.is_empty() {
            q = word_before(quote, q);
            s = word_before(sop.text, s);
        }
        match spans.last_mut() {
            Some((lq, ls)) if q.start <= lq.end || s.start <= ls.end => {
                lq.end = lq.end.max(q.end);
                ls.end = ls.end.max(s.end);
            }
            _ => spans.push((q, s)),
        }
    }
    spans
        .into_iter()
        .map(|(q, s)| {
            (
                shown(&quote.get(q).unwrap_or("").replace("**", "")),
                shown(&sop.text.get(s).unwrap_or("").replace("**", "")),
            )
        })
        .collect()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `r` widened to whole words. An empty `r` (something the other side adds) stays
/// empty unless it lies inside a word.
fn whole_words(text: &str, r: Range<usize>) -> Range<usize> {
    let before = text.get(..r.start).unwrap_or("");
    let after = text.get(r.end..).unwrap_or("");
    let inside = before.chars().next_back().is_some_and(is_word)
        && after.chars().next().is_some_and(is_word);
    if r.is_empty() && !inside {
        return r;
    }
    let start = r.start
        - before
            .chars()
            .rev()
            .take_while(|c| is_word(*c))
            .map(char::len_utf8)
            .sum::<usize>();
    let end = r.end
        + after
            .chars()
            .take_while(|c| is_word(*c))
            .map(char::len_utf8)
            .sum::<usize>();
    start..end
}

/// `r` widened to the left over the word before it (and what separates them).
fn word_before(text: &str, r: Range<usize>) -> Range<usize> {
    let before = text.get(..r.start).unwrap_or("");
    let gap: usize = before
        .chars()
        .rev()
        .take_while(|c| !is_word(*c))
        .map(char::len_utf8)
        .sum();
    let word: usize = before[..before.len() - gap]
        .chars()
        .rev()
        .take_while(|c| is_word(*c))
        .map(char::len_utf8)
        .sum();
    r.start - gap - word..r.end
}

/// How many characters of a passage a message shows.
const MAX_SHOWN: usize = 240;

/// A piece of text for a message: on one line, spaces collapsed, long ones cut in
/// the middle.
fn shown(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let line = words.join(" ");
    let count = line.chars().count();
    if count <= MAX_SHOWN {
        return line;
    }
    let half = MAX_SHOWN / 2;
    let head: String = line.chars().take(half).collect();
    let tail: String = line.chars().skip(count - half).collect();
    format!("{head} … {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(policy: &str, sop: &str) -> Vec<Diagnostic> {
        // Tests run in parallel: each gets a folder of its own.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pol-quotes-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join("sources")).unwrap();
        std::fs::write(dir.join("sources/sop.txt"), sop).unwrap();
        let file = crate::syntax::parse(policy).unwrap();
        let out = check_quotes(&file, &dir.join("p.pol"));
        std::fs::remove_dir_all(&dir).unwrap();
        out
    }

    fn policy(quote: &str) -> String {
        format!(
            "policy p {{\n  title \"t\"\n  source file \"sources/sop.txt\"\n}}\n\
             action a \"A\"\nrule r\n  quote \"{quote}\"\n  then allow a\n"
        )
    }

    const SOP: &str = "- Pelanggan mau **konfirmasi** pihak lain **lbh dr 2 kali** maka\n**penawaran tdk bs dilanjut**\n";

    #[test]
    fn a_quote_in_the_sop_passes() {
        let d = check(
            &policy(
                "Pelanggan mau konfirmasi pihak lain lbh dr 2 kali maka penawaran tdk bs dilanjut",
            ),
            SOP,
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn a_near_miss_shows_the_passage_and_the_words_that_differ() {
        let d = check(
            &policy("Pelanggan mau konfirmasi pihak lain lebih dari 2 kali maka penawaran tdk bs dilanjut"),
            SOP,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "E0702");
        let notes = d[0].notes.join("\n");
        assert!(notes.contains("lines 1–2"), "{notes}");
        assert!(
            notes.contains(
                "\"Pelanggan mau konfirmasi pihak lain lbh dr 2 kali maka penawaran tdk bs dilanjut\""
            ),
            "{notes}"
        );
        assert!(
            notes.contains(
                "what differs: the quote has `lebih` where the SOP has `lbh`; \
                 the quote has `dari` where the SOP has `dr`"
            ),
            "{notes}"
        );
    }

    #[test]
    fn each_piece_between_ellipses_is_looked_for() {
        let d = check(
            &policy("Pelanggan mau konfirmasi … penawaran tdk bs dilanjut"),
            SOP,
        );
        assert!(d.is_empty(), "{d:?}");
        let d = check(
            &policy("Pelanggan mau konfirmasi … penawaran tidak bisa dilanjut"),
            SOP,
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.starts_with("a part of the quote"),
            "{}",
            d[0].message
        );
        assert!(
            d[0].notes[0].contains("\"penawaran tidak bisa dilanjut\""),
            "{:?}",
            d[0].notes
        );
    }

    #[test]
    fn capitals_are_named() {
        let d = check(
            &policy("pelanggan mau konfirmasi pihak lain lbh dr 2 kali"),
            SOP,
        );
        assert_eq!(d.len(), 1);
        assert!(
            d[0].help.as_deref().unwrap_or("").contains("capital"),
            "{d:?}"
        );
    }

    #[test]
    fn a_word_left_out_is_shown_with_the_word_before_it() {
        let d = check(&policy("Pelanggan mau konfirmasi pihak lbh dr 2 kali"), SOP);
        let notes = d[0].notes.join("\n");
        assert!(
            notes.contains("the quote has `pihak` where the SOP has `pihak lain`"),
            "{notes}"
        );
    }

    #[test]
    fn a_missing_sop_text_is_reported_on_the_path() {
        let file = crate::syntax::parse(&policy("x")).unwrap();
        let d = check_quotes(&file, Path::new("/nonexistent/p.pol"));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "E0701");
        assert!(
            d[0].message.contains("/nonexistent/sources/sop.txt"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn without_source_file_nothing_is_checked() {
        let src =
            "policy p {\n  title \"t\"\n}\naction a \"A\"\nrule r\n  quote \"x\"\n  then allow a\n";
        let file = crate::syntax::parse(src).unwrap();
        assert!(check_quotes(&file, Path::new("/nonexistent/p.pol")).is_empty());
    }
}
