//! What the command line reads: the policy files of a folder, a policy file, a case
//! record. Every read is bounded, and every folder walk is safe from link loops.

use crate::eval::CaseError;
use crate::span::Span;
use crate::syntax::{SyntaxError, MAX_SOURCE_BYTES};
use crate::Diagnostic;
use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A case record (`--case FILE`, `--case -`) larger than this is refused (E0608).
pub const MAX_CASE_BYTES: usize = 16 * 1024 * 1024;

/// A policy file found by [`policy_files`], or a folder that could not be read.
pub(super) enum Found {
    File(PathBuf),
    /// A folder that could not be listed, or a `.pol` entry of a folder that is not
    /// a file (a pipe, a device), and why.
    Unreadable(PathBuf, String),
}

/// The .pol files named by the paths (folders searched recursively, sorted). Each
/// folder is entered once and each file listed once, however many links lead to
/// them. `Err` names a path that does not exist.
pub(super) fn policy_files(paths: Vec<PathBuf>) -> Result<Vec<Found>, String> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("policies")]
    } else {
        paths
    };
    let mut walk = Walk::default();
    for p in paths {
        if p.is_dir() {
            walk.folder(p);
        } else if p.symlink_metadata().is_ok() {
            // A file, or anything else that exists (a device, a pipe, a broken
            // link): reading it reports what is wrong with it.
            walk.file(p);
        } else {
            return Err(format!("`{}` does not exist", p.display()));
        }
    }
    Ok(walk.found)
}

#[derive(Default)]
struct Walk {
    found: Vec<Found>,
    folders: HashSet<PathBuf>,
    files: HashSet<PathBuf>,
}

impl Walk {
    fn file(&mut self, path: PathBuf) {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if self.files.insert(key) {
            self.found.push(Found::File(path));
        }
    }

    /// Depth first, in sorted order, without recursion.
    fn folder(&mut self, root: PathBuf) {
        let mut stack: Vec<std::vec::IntoIter<PathBuf>> = Vec::new();
        if let Some(entries) = self.enter(&root) {
            stack.push(entries);
        }
        while let Some(top) = stack.last_mut() {
            let Some(p) = top.next() else {
                stack.pop();
                continue;
            };
            if p.is_dir() {
                if let Some(entries) = self.enter(&p) {
                    stack.push(entries);
                }
            } else if p.extension().is_some_and(|e| e == "pol") {
                match std::fs::metadata(&p) {
                    // Opening a pipe would wait for a writer: refuse what is not a file.
                    Ok(m) if !m.is_file() => self.found.push(Found::Unreadable(
                        p,
                        "it is not a regular file (a pipe or a device)".into(),
                    )),
                    // A broken link: reading it reports why (E0016).
                    _ => self.file(p),
                }
            }
        }
    }

    /// The sorted entries of a folder not seen before.
    fn enter(&mut self, dir: &Path) -> Option<std::vec::IntoIter<PathBuf>> {
        let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.folders.insert(key) {
            return None;
        }
        match std::fs::read_dir(dir) {
            Ok(rd) => {
                let mut entries: Vec<PathBuf> =
                    rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                entries.sort();
                Some(entries.into_iter())
            }
            Err(e) => {
                self.found
                    .push(Found::Unreadable(dir.to_path_buf(), e.to_string()));
                None
            }
        }
    }
}

/// E0016: a policy file (or folder) that cannot be read, with the system's reason.
pub(super) fn unreadable(reason: &str, path: &Path) -> Diagnostic {
    let what = if path.is_dir() {
        "folder"
    } else {
        "policy file"
    };
    Diagnostic::error("E0016", format!("cannot read the {what}: {reason}"))
        .primary(Span::new(0, 0), format!("this {what}"))
        .help("check that the file exists, is a file and not a folder, and that pol may read it")
}

/// A policy file that could not become text: its one diagnostic, and the text to show it with.
pub(super) struct BadSource {
    pub diagnostic: Diagnostic,
    pub shown: String,
}

/// A policy file's text, read at most [`MAX_SOURCE_BYTES`] + 1 bytes: unreadable is
/// E0016, too large is E0008, not UTF-8 is E0014.
pub(super) fn policy_source(path: &Path) -> Result<String, Box<BadSource>> {
    let bad = |diagnostic| {
        Box::new(BadSource {
            diagnostic,
            shown: String::new(),
        })
    };
    let bytes = match read_at_most(path, MAX_SOURCE_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => {
            let d = SyntaxError::TooLarge {
                limit: MAX_SOURCE_BYTES,
            }
            .to_diagnostic()
            .primary(Span::new(0, 0), "this file");
            return Err(bad(d));
        }
        Err(e) => return Err(bad(unreadable(&e.to_string(), path))),
    };
    crate::policy_text(bytes).map_err(|b| {
        Box::new(BadSource {
            diagnostic: b.diagnostic,
            shown: b.shown,
        })
    })
}

/// The whole of `path`, or `None` when it holds more than `limit` bytes (only
/// `limit` + 1 bytes are ever read).
fn read_at_most(path: &Path, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    take_at_most(file, limit)
}

fn take_at_most(input: impl Read, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    input
        .take(limit.saturating_add(1) as u64)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// Why a case record could not be read.
pub(super) enum CaseReadError {
    /// The file cannot be opened or read, or is not UTF-8: a usage error.
    Usage(String),
    /// Over [`MAX_CASE_BYTES`]: E0608.
    TooLarge(CaseError),
}

/// E0608: a case record over [`MAX_CASE_BYTES`].
pub fn case_too_large() -> CaseError {
    CaseError {
        code: "E0608",
        path: "$".into(),
        expected: format!("a case record of at most {MAX_CASE_BYTES} bytes"),
        found: format!("more than {MAX_CASE_BYTES} bytes"),
        message: format!("the case record is larger than {MAX_CASE_BYTES} bytes"),
    }
}

/// A case record from a file, or from standard input when `case` is `-`.
pub(super) fn case_text(case: &str) -> Result<String, CaseReadError> {
    let (read, name) = if case == "-" {
        (
            take_at_most(io::stdin().lock(), MAX_CASE_BYTES),
            "standard input".to_string(),
        )
    } else {
        (
            read_at_most(Path::new(case), MAX_CASE_BYTES),
            format!("`{case}`"),
        )
    };
    match read {
        Ok(Some(bytes)) => String::from_utf8(bytes)
            .map_err(|_| CaseReadError::Usage(format!("{name} is not UTF-8 text"))),
        Ok(None) => Err(CaseReadError::TooLarge(case_too_large())),
        Err(e) => Err(CaseReadError::Usage(format!("cannot read {name}: {e}"))),
    }
}
