//! Finding a quote in an SOP text, and the closest passage when it is not there.
//!
//! Both texts are first folded into what a quote must match word for word: the
//! characters that carry the words, and nothing of the layout. The SOP texts are
//! extracted from PDFs and web pages, so line breaks fall anywhere, words are
//! sometimes split or joined by the extraction, and bold text is marked with `**`:
//! all whitespace and every `**` is left out. Typographic variants (curly quotes,
//! dashes, the ellipsis, the multiplication sign) are written as the plain
//! characters a keyboard gives. Capital letters are kept: a quote is the SOP's
//! words as written. A `[…]` span (a part of the SOP hidden because it is a phone
//! number, a name or a credential) becomes one placeholder, equal to any other.

use std::ops::Range;

/// One unit of a folded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sym {
    Char(char),
    /// A `[…]` span.
    Hidden,
}

/// A text folded for matching, with where each unit came from.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub syms: Vec<Sym>,
    /// The bytes of the original text each unit stands for.
    pub from: Vec<Range<usize>>,
}

/// A `[…]` longer than this, or running past the end of its line, is text, not a
/// hidden part: a stray bracket must not swallow a paragraph.
const MAX_HIDDEN_BYTES: usize = 120;

pub fn fold(text: &str) -> Folded {
    let mut out = Folded::default();
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let push = |out: &mut Folded, s: Sym, end: usize| {
            out.syms.push(s);
            out.from.push(i..end);
        };
        let end = i + c.len_utf8();
        match c {
            c if c.is_whitespace() || is_invisible(c) => {}
            '*' if it.peek().is_some_and(|&(_, n)| n == '*') => {
                it.next();
            }
            '[' => match hidden_end(text, end) {
                Some(close) => {
                    push(&mut out, Sym::Hidden, close);
                    while it.peek().is_some_and(|&(j, _)| j < close) {
                        it.next();
                    }
                }
                None => push(&mut out, Sym::Char('['), end),
            },
            '…' => {
                for _ in 0..3 {
                    push(&mut out, Sym::Char('.'), end);
                }
            }
            c => push(&mut out, Sym::Char(plain(c)), end),
        }
    }
    out
}

/// Characters that take no room on the page: the PDF extraction leaves them in.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// The keyboard character for a typographic variant.
fn plain(c: char) -> char {
    match c {
        '‘' | '’' | '‚' | '‛' | '′' => '\'',
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => '"',
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => '-',
        '×' => 'x',
        c => c,
    }
}

/// The byte just after the `]` closing a hidden part that starts before `from`.
fn hidden_end(text: &str, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let len = rest.find([']', '[', '\n'])?;
    (len <= MAX_HIDDEN_BYTES && rest[len..].starts_with(']')).then_some(from + len + 1)
}

/// Where `needle` first occurs in `hay` (Knuth–Morris–Pratt: linear in both).
pub fn find(hay: &[Sym], needle: &[Sym]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    let mut fail = vec![0usize; needle.len()];
    let mut k = 0;
    for i in 1..needle.len() {
        while k > 0 && needle[i] != needle[k] {
            k = fail[k - 1];
        }
        if needle[i] == needle[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for (i, s) in hay.iter().enumerate() {
        while k > 0 && *s != needle[k] {
            k = fail[k - 1];
        }
        if *s == needle[k] {
            k += 1;
        }
        if k == needle.len() {
            return Some(i + 1 - k);
        }
    }
    None
}

/// The passage of a text closest to a quote that is not in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closest {
    /// Units of the folded text.
    pub passage: Range<usize>,
    /// How many units must be changed, added or removed to make one the other.
    pub distance: usize,
}

/// Above this many cells the exhaustive search would take more than a moment; the
/// search then starts from where the quote's longest opening or ending lies.
const MAX_CELLS: usize = 64 * 1024 * 1024;

/// The passage of `hay` with the fewest edits to `quote` (Sellers' approximate
/// search: an edit distance in which the passage may start and end anywhere).
pub fn closest(hay: &[Sym], quote: &[Sym]) -> Closest {
    if hay.len().saturating_mul(quote.len()) <= MAX_CELLS {
        return sellers(hay, quote, 0);
    }
    // A huge text: search a window around the longest part of the quote found.
    let anchor = longest_end_found(hay, quote);
    let from = anchor.saturating_sub(quote.len());
    let to = (anchor + 2 * quote.len()).min(hay.len());
    sellers(&hay[from..to], quote, from)
}

fn sellers(hay: &[Sym], quote: &[Sym], offset: usize) -> Closest {
    let m = quote.len();
    // Column j of the table: cost[i] is the fewest edits turning quote[..i] into a
    // passage ending at hay[j], start[i] where that passage begins.
    let mut cost: Vec<usize> = (0..=m).collect();
    let mut start: Vec<usize> = vec![0; m + 1];
    let mut best = Closest {
        passage: 0..0,
        distance: m,
    };
    for (j, s) in hay.iter().enumerate() {
        let (mut diag_cost, mut diag_start) = (cost[0], start[0]);
        cost[0] = 0;
        start[0] = j + 1;
        for i in 1..=m {
            let (up_cost, up_start) = (cost[i], start[i]);
            let sub = diag_cost + usize::from(quote[i - 1] != *s);
            let (mut c, mut st) = (sub, diag_start);
            if up_cost + 1 < c {
                (c, st) = (up_cost + 1, up_start);
            }
            if cost[i - 1] + 1 < c {
                (c, st) = (cost[i - 1] + 1, start[i - 1]);
            }
            (diag_cost, diag_start) = (up_cost, up_start);
            cost[i] = c;
            start[i] = st;
        }
        if cost[m] < best.distance {
            best = Closest {
                passage: offset + start[m]..offset + j + 1,
                distance: cost[m],
            };
        }
    }
    best
}

/// Where in `hay` the longest found opening or ending of `quote` lies.
fn longest_end_found(hay: &[Sym], quote: &[Sym]) -> usize {
    // The longest opening found, by halving: a longer opening is found only where
    // a shorter one is.
    let (mut lo, mut hi, mut at) = (0, quote.len(), 0);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        match find(hay, &quote[..mid]) {
            Some(p) => (lo, at) = (mid, p),
            None => hi = mid - 1,
        }
    }
    let (opening, opening_at) = (lo, at);
    let (mut lo, mut hi, mut at) = (0, quote.len(), 0);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        match find(hay, &quote[quote.len() - mid..]) {
            Some(p) => (lo, at) = (mid, p),
            None => hi = mid - 1,
        }
    }
    if lo > opening {
        // Where the quote would start if its ending is where it was found.
        (at + lo).saturating_sub(quote.len())
    } else {
        opening_at
    }
}

/// One place where a quote and a passage differ: units of each (either may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub quote: Range<usize>,
    pub passage: Range<usize>,
}

/// Above this many cells the differences are not listed, only the passage shown.
const MAX_DIFF_CELLS: usize = 4 * 1024 * 1024;

/// The places where `quote` and `passage` differ, in order, from the alignment with
/// the fewest edits. `None` when they are too long to align.
pub fn differences(quote: &[Sym], passage: &[Sym]) -> Option<Vec<Difference>> {
    let (m, n) = (quote.len(), passage.len());
    if (m + 1).saturating_mul(n + 1) > MAX_DIFF_CELLS {
        return None;
    }
    let w = n + 1;
    let mut d = vec![0usize; (m + 1) * w];
    for i in 0..=m {
        for j in 0..=n {
            d[i * w + j] = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                let sub = d[(i - 1) * w + j - 1] + usize::from(quote[i - 1] != passage[j - 1]);
                sub.min(d[(i - 1) * w + j] + 1).min(d[i * w + j - 1] + 1)
            };
        }
    }
    // Walk back from the end, collecting the runs of edits.
    let (mut i, mut j) = (m, n);
    let mut diffs: Vec<Difference> = Vec::new();
    let mut open: Option<Difference> = None;
    while i > 0 || j > 0 {
        let same = i > 0 && j > 0 && quote[i - 1] == passage[j - 1];
        let step = if same && d[i * w + j] == d[(i - 1) * w + j - 1] {
            (1, 1, false)
        } else if i > 0 && j > 0 && d[i * w + j] == d[(i - 1) * w + j - 1] + 1 {
            (1, 1, true)
        } else if i > 0 && d[i * w + j] == d[(i - 1) * w + j] + 1 {
            (1, 0, true)
        } else {
            (0, 1, true)
        };
        let (di, dj, edit) = step;
        i -= di;
        j -= dj;
        if edit {
            let run = open.get_or_insert(Difference {
                quote: i + di..i + di,
                passage: j + dj..j + dj,
            });
            run.quote.start = i;
            run.passage.start = j;
        } else if let Some(run) = open.take() {
            diffs.push(run);
        }
    }
    diffs.extend(open);
    diffs.reverse();
    Some(diffs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(source: &str, quote: &str) -> bool {
        find(&fold(source).syms, &fold(quote).syms).is_some()
    }

    #[test]
    fn whitespace_and_line_breaks_do_not_matter() {
        let source = "Pelanggan mau konfirmasi\npihak lain   lbh dr 2 kali\r\n maka";
        assert!(found(
            source,
            "Pelanggan mau konfirmasi pihak lain lbh dr 2 kali maka"
        ));
        assert!(found(source, "mau  konfirmasi pihak\nlain"));
        // Extraction joins and splits words: spaces are left out altogether.
        assert!(found("bersama- sama", "bersama-sama"));
        assert!(found("Jika\u{a0}tidak", "Jika tidak"));
    }

    #[test]
    fn bold_markers_do_not_matter() {
        let source =
            "Apabila **penerima sama dg nama pemilik fastel, tidak perlu verifikasi perihal PJ**";
        assert!(found(
            source,
            "Apabila penerima sama dg nama pemilik fastel, tidak perlu verifikasi perihal PJ"
        ));
        assert!(found(
            "**konfirmasi** pihak lain **1 kali**",
            "konfirmasi pihak lain 1 kali"
        ));
        // A single star is text.
        assert!(!found("*Khusus CTP", "Khusus CTP E"));
        assert!(found("*Khusus CTP E-Care", "*Khusus CTP"));
    }

    #[test]
    fn capitals_matter() {
        assert!(!found(
            "Pelanggan mau konfirmasi",
            "pelanggan mau konfirmasi"
        ));
    }

    #[test]
    fn typographic_variants_are_the_keyboard_characters() {
        assert!(found("tunggu 1×24 jam", "tunggu 1x24 jam"));
        assert!(found("Lesson 01 — PJ", "Lesson 01 - PJ"));
        assert!(found("“Архив предложений”", "\"Архив предложений\""));
        assert!(found("nomor (…)", "nomor (...)"));
    }

    #[test]
    fn a_placeholder_matches_a_hidden_part() {
        let source = "Call ke nomor [nomor CP verified] penerima [nama CP verified], tidak perlu";
        assert!(found(
            source,
            "Call ke nomor [CP verified] penerima [nama], tidak perlu"
        ));
        assert!(found(
            "Username: {\\textbf{[nama pengguna]}}",
            "Username: {\\textbf{[…]}}"
        ));
        // A placeholder stands for a hidden part, not for any text.
        assert!(!found(
            "Call ke nomor 0811 penerima",
            "Call ke nomor [nomor] penerima"
        ));
        // A bracket that is not closed on its line is text, not a hidden part.
        assert!(!found("a [b\nc] d", "a [x] d"));
        assert!(found("a [b\nc] d", "a [b"));
    }

    #[test]
    fn the_closest_passage_is_the_one_with_fewest_edits() {
        let source = fold("Pelanggan mau konfirmasi pihak lain 2 kali maka konfirmasi PJ.\nPelanggan mau konfirmasi pihak lain lbh dr 2 kali maka penawaran tdk bs dilanjut");
        let quote = fold(
            "Pelanggan mau konfirmasi pihak lain lebih dari 2 kali maka penawaran tdk bs dilanjut",
        );
        let c = closest(&source.syms, &quote.syms);
        assert_eq!(c.distance, 4);
        let text: String = source.syms[c.passage.clone()]
            .iter()
            .map(|s| match s {
                Sym::Char(c) => *c,
                Sym::Hidden => '?',
            })
            .collect();
        assert!(
            text.starts_with("Pelangganmaukonfirmasipihaklainlbhdr"),
            "{text}"
        );
        assert!(text.ends_with("dilanjut"), "{text}");
        let diffs = differences(&quote.syms, &source.syms[c.passage]).unwrap();
        // Every difference lies in "lebihdari" (units 31..40 of the folded quote).
        assert!(!diffs.is_empty());
        assert!(
            diffs
                .iter()
                .all(|d| d.quote.start >= 31 && d.quote.end <= 40),
            "{diffs:?}"
        );
    }

    #[test]
    fn a_huge_text_is_searched_around_the_longest_part_found() {
        let mut big = "lorem ipsum dolor sit amet ".repeat(100_000);
        big.push_str("the quote is almost here, only one word changed");
        let hay = fold(&big);
        let mut quote = fold("the quote is almost here, only one word differs").syms;
        quote.extend(fold(&"x".repeat(100)).syms);
        assert!(hay.syms.len() * quote.len() > MAX_CELLS);
        let c = closest(&hay.syms, &quote);
        assert!(c.passage.start >= hay.syms.len() - 60, "{c:?}");
    }

    #[test]
    fn differences_of_equal_texts_are_none() {
        let q = fold("abc").syms;
        assert_eq!(differences(&q, &q), Some(vec![]));
        let d = differences(&fold("abXc").syms, &q).unwrap();
        assert_eq!(
            d,
            vec![Difference {
                quote: 2..3,
                passage: 2..2
            }]
        );
    }
}
