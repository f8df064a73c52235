//! Long source lines shown as a window around the labels on them.
//!
//! codespan-reporting prints every line a label touches in full. A policy
//! written on one very long line would then be printed whole under each
//! diagnostic, so a line longer than [`MAX_LINE`] bytes is cut to a window of
//! about [`WINDOW`] bytes around the labels on it, with `…` where text is left
//! out. Line and column numbers stay those of the real file.

use codespan_reporting::files::{Error, Files};
use std::ops::Range;

/// Lines up to this length (in bytes) are shown whole: SOP texts quoted on one
/// line stay readable.
pub const MAX_LINE: usize = 400;
/// The length (in bytes, about) of the window shown of a longer line.
const WINDOW: usize = 160;
/// How much of the window comes before the first label on the line.
const BEFORE: usize = 60;
const ELLIPSIS: &str = "\u{2026}";

/// One windowed line: where the shown text comes from and where it is put.
struct Cut {
    /// The line's start in the real source.
    line_start: usize,
    /// The shown part of the real source.
    shown: Range<usize>,
    /// Where the shown part starts in the text given to the renderer.
    at: usize,
}

/// The source as the renderer sees it: long lines replaced by windows.
pub struct Windowed<'s> {
    name: &'s str,
    source: &'s str,
    text: String,
    /// Line starts in the real source and in `text`.
    real_starts: Vec<usize>,
    starts: Vec<usize>,
    /// Per line, the window, if the line is cut.
    cuts: Vec<Option<Cut>>,
}

/// The start of every line of `source`.
pub fn line_starts(source: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn line_of(starts: &[usize], offset: usize) -> usize {
    starts
        .binary_search(&offset)
        .unwrap_or_else(|next| next.saturating_sub(1))
}

fn floor_boundary(source: &str, mut i: usize) -> usize {
    i = i.min(source.len());
    while i > 0 && !source.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl<'s> Windowed<'s> {
    /// The view for labels at `points` (offsets in the real source), or `None`
    /// when none of them is on a long line.
    pub fn new(
        name: &'s str,
        source: &'s str,
        starts: &[usize],
        points: &[usize],
    ) -> Option<Windowed<'s>> {
        let line_end = |l: usize| {
            starts
                .get(l + 1)
                .copied()
                .unwrap_or(source.len())
                .min(source.len())
        };
        // The first label offset on each long line.
        let mut firsts: Vec<(usize, usize)> = Vec::new();
        for p in points {
            let l = line_of(starts, *p);
            let start = starts.get(l).copied().unwrap_or(0);
            if line_end(l).saturating_sub(start) <= MAX_LINE {
                continue;
            }
            match firsts.iter_mut().find(|(line, _)| *line == l) {
                Some((_, first)) => *first = (*first).min(*p),
                None => firsts.push((l, *p)),
            }
        }
        if firsts.is_empty() {
            return None;
        }
        let mut text = String::new();
        let mut new_starts = Vec::with_capacity(starts.len());
        let mut cuts = Vec::with_capacity(starts.len());
        for (l, start) in starts.iter().enumerate() {
            let start = (*start).min(source.len());
            let end = line_end(l);
            new_starts.push(text.len());
            match firsts.iter().find(|(line, _)| *line == l) {
                Some((_, first)) => {
                    let from = floor_boundary(source, first.saturating_sub(BEFORE).max(start));
                    let to = floor_boundary(source, from.saturating_add(WINDOW).min(end));
                    if from > start {
                        text.push_str(ELLIPSIS);
                    }
                    let at = text.len();
                    text.push_str(source.get(from..to).unwrap_or(""));
                    let rest = source.get(to..end).unwrap_or("");
                    if !rest.trim_end_matches(['\n', '\r']).is_empty() {
                        text.push_str(ELLIPSIS);
                    }
                    if rest.ends_with('\n') {
                        text.push('\n');
                    }
                    cuts.push(Some(Cut {
                        line_start: start,
                        shown: from..to,
                        at,
                    }));
                }
                None => {
                    text.push_str(source.get(start..end).unwrap_or(""));
                    cuts.push(None);
                }
            }
        }
        Some(Windowed {
            name,
            source,
            text,
            real_starts: starts.to_vec(),
            starts: new_starts,
            cuts,
        })
    }

    /// Where a real offset is shown (clamped into the window of a cut line).
    pub fn map(&self, offset: usize) -> usize {
        let l = line_of(&self.real_starts, offset);
        let real_start = self.real_starts.get(l).copied().unwrap_or(0);
        match self.cuts.get(l).and_then(Option::as_ref) {
            Some(cut) => {
                let o = offset.clamp(cut.shown.start, cut.shown.end);
                cut.at + (o - cut.shown.start)
            }
            None => {
                let start = self.starts.get(l).copied().unwrap_or(0);
                (start + offset.saturating_sub(real_start)).min(self.text.len())
            }
        }
    }
}

impl<'a> Files<'a> for Windowed<'_> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, Error> {
        Ok(self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, Error> {
        Ok(&self.text)
    }

    fn line_index(&'a self, (): (), byte_index: usize) -> Result<usize, Error> {
        Ok(line_of(&self.starts, byte_index))
    }

    fn column_number(
        &'a self,
        (): (),
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, Error> {
        // The column in the real line.
        let (line_start, real) = match self.cuts.get(line_index).and_then(Option::as_ref) {
            Some(cut) => (
                cut.line_start,
                cut.shown.start + byte_index.saturating_sub(cut.at),
            ),
            None => {
                let start = self.starts.get(line_index).copied().unwrap_or(0);
                let real_start = self.real_starts.get(line_index).copied().unwrap_or(0);
                (real_start, real_start + byte_index.saturating_sub(start))
            }
        };
        let real = floor_boundary(self.source, real);
        Ok(self
            .source
            .get(line_start..real)
            .map_or(0, |s| s.chars().count())
            + 1)
    }

    fn line_range(&'a self, (): (), line_index: usize) -> Result<Range<usize>, Error> {
        let start = self
            .starts
            .get(line_index)
            .copied()
            .ok_or(Error::LineTooLarge {
                given: line_index,
                max: self.starts.len().saturating_sub(1),
            })?;
        let end = self
            .starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(self.text.len());
        Ok(start..end)
    }
}
