//! The policies a server answers with: one entry per `.pol` file of the folder.
//!
//! A scan reads every file, compiles the ones whose content changed (off the request
//! path), and builds a new [`Registry`] that [`super::State`] swaps in at once. A file
//! that fails `check` never replaces the version being served: its entry keeps the
//! last good compiled policy and records the failure.

use crate::cache::{Cache, Hit};
use crate::contract::{DiagnosticEntry, LoadStatus};
use crate::{analysis, Diagnostic, Engine};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One compiled version of a policy file.
#[derive(Debug)]
pub struct Version {
    /// The checked policy, ready to evaluate.
    pub engine: Engine,
    /// `sha256:` and the hex digest of the file's bytes.
    pub content_hash: String,
    /// When this version was loaded (seconds since the epoch).
    pub loaded_at: i64,
}

/// One policy file and the version served for it.
#[derive(Debug)]
pub struct Entry {
    /// The file name without `.pol`: the id in the URLs.
    pub id: String,
    pub file: PathBuf,
    pub status: LoadStatus,
    /// Hash of the file as last read (the failed one when `status` is `Failed`).
    pub file_hash: String,
    /// The diagnostics of the last load, as `pol check --format json` writes them.
    pub diagnostics: Vec<DiagnosticEntry>,
    /// The version answering requests; `None` when the file never checked.
    pub serving: Option<Arc<Version>>,
}

/// Every policy of the folder, by id.
#[derive(Debug, Default)]
pub struct Registry {
    pub entries: BTreeMap<String, Arc<Entry>>,
}

/// What changed in a scan, for logs and metrics.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    pub loaded: Vec<String>,
    pub failed: Vec<String>,
    pub removed: Vec<String>,
}

impl ScanReport {
    pub fn is_empty(&self) -> bool {
        self.loaded.is_empty() && self.failed.is_empty() && self.removed.is_empty()
    }
}

/// `sha256:` and the hex digest of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `.pol` files under `dir`, sorted, with their ids. Symbolic links to folders
/// are not followed, so a link loop cannot make the scan run forever.
pub fn policy_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    walk(dir, &mut out, 0)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<(String, PathBuf)>, depth: usize) -> std::io::Result<()> {
    if depth > 16 {
        return Ok(());
    }
    for e in std::fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        let name = e.file_name();
        let name = name.to_string_lossy();
        // Kubernetes mounts a ConfigMap's files through `..data`-style links: skip hidden names.
        if name.starts_with('.') {
            continue;
        }
        if kind.is_dir() {
            walk(&path, out, depth + 1)?;
        } else if path.extension().is_some_and(|x| x == "pol") {
            if let Some(stem) = path.file_stem() {
                out.push((stem.to_string_lossy().into_owned(), path));
            }
        }
    }
    Ok(())
}

fn diagnostics_json(diags: &[Diagnostic], name: &str, source: &str) -> Vec<DiagnosticEntry> {
    diags
        .iter()
        .map(|d| DiagnosticEntry::new(d, name, source))
        .collect()
}

/// A file that could not be read at all: one E0014 diagnostic with the reason.
fn unreadable(message: String, name: &str) -> Vec<DiagnosticEntry> {
    let d = Diagnostic::error("E0014", message);
    vec![DiagnosticEntry::new(&d, name, "")]
}

/// Builds the registry for the folder's current files, reusing `old`'s versions of
/// files whose content did not change. Compiling happens here: call it off the
/// request path. A policy found in `cache` is not checked again.
pub fn scan(dir: &Path, old: &Registry, cache: Option<&Cache>) -> (Registry, ScanReport) {
    let mut next = Registry::default();
    let mut report = ScanReport::default();
    let files = match policy_files(dir) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(folder = %dir.display(), error = %e, "cannot read the policy folder; keeping the policies served");
            return (
                Registry {
                    entries: old.entries.clone(),
                },
                report,
            );
        }
    };
    for (id, path) in files {
        if next.entries.contains_key(&id) {
            tracing::warn!(id, file = %path.display(), "two policy files share this id; the first one (in path order) is served");
            continue;
        }
        let previous = old.entries.get(&id);
        let name = path.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                // Often a file caught half-written or just deleted: keep what is served.
                let entry = Entry {
                    id: id.clone(),
                    file: path.clone(),
                    status: LoadStatus::Failed,
                    file_hash: String::new(),
                    diagnostics: unreadable(format!("cannot read `{name}`: {e}"), &name),
                    serving: previous.and_then(|p| p.serving.clone()),
                };
                report.failed.push(id.clone());
                next.entries.insert(id, Arc::new(entry));
                continue;
            }
        };
        let hash = content_hash(&bytes);
        if let Some(p) = previous {
            if p.file_hash == hash && p.file == path {
                next.entries.insert(id, p.clone());
                continue;
            }
        }
        let entry = match crate::policy_text(bytes) {
            Err(bad) => Entry {
                id: id.clone(),
                file: path.clone(),
                status: LoadStatus::Failed,
                file_hash: hash,
                diagnostics: diagnostics_json(&[bad.diagnostic], &name, &bad.shown),
                serving: previous.and_then(|p| p.serving.clone()),
            },
            Ok(source) => compile_entry(&id, &path, &name, &source, hash, previous, cache),
        };
        match entry.status {
            LoadStatus::Loaded => report.loaded.push(id.clone()),
            LoadStatus::Failed => report.failed.push(id.clone()),
        }
        next.entries.insert(id, Arc::new(entry));
    }
    for id in old.entries.keys() {
        if !next.entries.contains_key(id) {
            report.removed.push(id.clone());
        }
    }
    (next, report)
}

fn compile_entry(
    id: &str,
    path: &Path,
    name: &str,
    source: &str,
    hash: String,
    previous: Option<&Arc<Entry>>,
    cache: Option<&Cache>,
) -> Entry {
    // The same verdict as `pol check`: the analysis runs too, and any error refuses the file.
    let checked = checked_source(source, name, cache);
    let diagnostics = diagnostics_json(&checked.diagnostics, name, source);
    let compiled = if checked.errors() == 0 {
        checked.compiled
    } else {
        None
    };
    match compiled {
        Some(compiled) => Entry {
            id: id.to_string(),
            file: path.to_path_buf(),
            status: LoadStatus::Loaded,
            serving: Some(Arc::new(Version {
                engine: Engine::new(compiled.policy),
                content_hash: hash.clone(),
                loaded_at: now_secs(),
            })),
            file_hash: hash,
            diagnostics,
        },
        None => Entry {
            id: id.to_string(),
            file: path.to_path_buf(),
            status: LoadStatus::Failed,
            file_hash: hash,
            diagnostics,
            serving: previous.and_then(|p| p.serving.clone()),
        },
    }
}

/// [`analysis::check_source`] of the file, through the cache of checked policies: a
/// policy stored there is neither parsed nor checked again, and its analysis is run
/// once and stored beside it.
fn checked_source(source: &str, name: &str, cache: Option<&Cache>) -> analysis::Checked {
    let opts = analysis::Options::default();
    let Some(cache) = cache else {
        return analysis::check_source(source, name, None, &opts);
    };
    let checked = match cache.get(name, source) {
        Some(Hit {
            compiled,
            analysis: Some(diagnostics),
        }) => {
            return analysis::Checked {
                compiled: Some(compiled),
                diagnostics,
                stats: Default::default(),
            }
        }
        Some(Hit {
            compiled,
            analysis: None,
        }) => analysis::check_compiled(compiled, &opts),
        None => analysis::check_source(source, name, None, &opts),
    };
    if let Some(compiled) = &checked.compiled {
        cache.put(name, source, compiled, Some(&checked.diagnostics));
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_sha256_of_the_bytes() {
        assert_eq!(
            content_hash(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_failed_edit_keeps_serving_the_last_good_version() {
        let dir = std::env::temp_dir().join(format!("pol-registry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let good = "policy p {\n  title \"P\"\n}\ncase {\n  a: bool\n}\naction x \"X\"\nrule r\n  quote \"q\"\n  when a\n  then require x\n";
        std::fs::write(dir.join("p.pol"), good).unwrap();
        let (first, report) = scan(&dir, &Registry::default(), None);
        assert_eq!(report.loaded, vec!["p".to_string()]);
        let served = first.entries["p"].serving.clone().unwrap();
        std::fs::write(dir.join("p.pol"), "policy p {").unwrap();
        let (second, report) = scan(&dir, &first, None);
        assert_eq!(report.failed, vec!["p".to_string()]);
        let e = &second.entries["p"];
        assert_eq!(e.status, LoadStatus::Failed);
        assert!(!e.diagnostics.is_empty());
        assert!(Arc::ptr_eq(e.serving.as_ref().unwrap(), &served));
        std::fs::remove_file(dir.join("p.pol")).unwrap();
        let (third, report) = scan(&dir, &second, None);
        assert_eq!(report.removed, vec!["p".to_string()]);
        assert!(third.entries.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_scan_uses_the_cache_it_is_given_and_no_other() {
        let root = std::env::temp_dir().join(format!("pol-registry-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (dir, cached, unused) = (root.join("p"), root.join("c1"), root.join("c2"));
        std::fs::create_dir_all(&dir).unwrap();
        let good = "policy p {\n  title \"P\"\n}\ncase {\n  a: bool\n}\naction x \"X\"\nrule r\n  quote \"q\"\n  when a\n  then require x\n";
        std::fs::write(dir.join("p.pol"), good).unwrap();
        let entries = |d: &Path| std::fs::read_dir(d).map_or(0, |r| r.count());
        // `pol serve --no-cache`: no cache folder is made or read.
        let (_, report) = scan(&dir, &Registry::default(), None);
        assert_eq!(report.loaded, vec!["p".to_string()]);
        assert_eq!(entries(&cached) + entries(&unused), 0);
        // With a cache: the first scan stores the checked policy, the next reads it
        // back with the same diagnostics.
        let cache = Cache::at(&cached);
        let (first, _) = scan(&dir, &Registry::default(), Some(&cache));
        assert_eq!(entries(&cached), 1);
        let (second, report) = scan(&dir, &Registry::default(), Some(&cache));
        assert_eq!(report.loaded, vec!["p".to_string()]);
        assert_eq!(
            serde_json::to_string(&first.entries["p"].diagnostics).unwrap(),
            serde_json::to_string(&second.entries["p"].diagnostics).unwrap()
        );
        assert_eq!(entries(&unused), 0);
        let _ = std::fs::remove_dir_all(&root);
    }
}
