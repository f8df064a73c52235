//! A cache of checked policies on disk, so that `pol eval` and `pol serve` do not
//! parse and check a policy again when nothing changed.
//!
//! An entry is named by a hash of (pol's build, the file name as diagnostics show it,
//! the source bytes), and holds all three in full: it is used only when all three match
//! exactly, so neither a hash collision nor an entry left by another build of pol can
//! give the wrong policy. The body ends with a checksum of its bytes: the policy's
//! indices are trusted as the checker's (`check::ids`), so a damaged body must not
//! decode into a policy. Entries are written whole (a temporary file, then a rename).
//! An entry that cannot be read, does not decode or does not match is ignored and
//! replaced; a folder that cannot be written means no cache. The cache never makes a
//! command fail.
//!
//! Only a policy that passed the full check (examples included) is stored, with the
//! checker's warnings, and, once `pol serve` has run it, the analysis' diagnostics.

use crate::check::ir::Policy;
use crate::diagnostic::{Counterexample, Diagnostic, Label, Severity};
use crate::span::Span;
use crate::Compiled;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The build of pol an entry belongs to: its version and a fingerprint of the
/// source it was built from (build.rs), because the stored form and the checker's
/// output can change between two builds of one version.
pub const BUILD: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "+",
    env!("POL_BUILD_FINGERPRINT")
);

/// First bytes of every entry, so a foreign file is refused before decoding.
const MAGIC: &[u8; 8] = b"polcache";

/// Length of the checksum that ends an entry.
const CHECKSUM_LEN: usize = 16;

/// A folder of cache entries.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// A checked policy read from the cache.
#[derive(Debug)]
pub struct Hit {
    /// The policy and the checker's warnings, as [`crate::compile`] gave them.
    pub compiled: Compiled,
    /// The checker's and the analysis' diagnostics, sorted, as
    /// [`crate::analysis::check_source`] gave them; `None` until the analysis was stored.
    pub analysis: Option<Vec<Diagnostic>>,
}

/// What identifies an entry; read first, and compared before the body is decoded.
#[derive(Serialize, Deserialize)]
struct Header<'a> {
    build: &'a str,
    file: &'a str,
    source: &'a str,
}

#[derive(Serialize, Deserialize)]
struct Body {
    policy: Policy,
    warnings: Vec<StoredDiagnostic>,
    analysis: Option<Vec<StoredDiagnostic>>,
}

#[derive(Serialize, Deserialize)]
struct StoredDiagnostic {
    code: String,
    error: bool,
    message: String,
    labels: Vec<(Span, String, bool)>,
    help: Option<String>,
    notes: Vec<String>,
    /// The case as JSON text, the time, the command.
    counterexample: Option<(String, Option<String>, String)>,
}

impl Cache {
    /// The cache folder of this environment: `$POL_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/pol`, else `$HOME/.cache/pol`. `None` when `POL_NO_CACHE` is
    /// set (to anything but empty or `0`), or no folder can be named.
    pub fn from_env() -> Option<Cache> {
        let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if set("POL_NO_CACHE").is_some_and(|v| v != "0") {
            return None;
        }
        let dir = if let Some(d) = set("POL_CACHE_DIR") {
            PathBuf::from(d)
        } else if let Some(d) = set("XDG_CACHE_HOME") {
            PathBuf::from(d).join("pol")
        } else {
            PathBuf::from(set("HOME")?).join(".cache").join("pol")
        };
        Some(Cache::at(dir))
    }

    /// A cache in `dir` (created when the first entry is written).
    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry of this file name and source lives. The name needs no
    /// cryptographic hash: the entry holds what it was made from and is compared in
    /// full, so a collision only costs a miss.
    pub fn entry_path(&self, file: &str, source: &str) -> PathBuf {
        let mut h = NameHash::default();
        for part in [BUILD, file, source] {
            h.feed(&(part.len() as u64).to_le_bytes());
            h.feed(part.as_bytes());
        }
        let (a, b) = h.finish();
        self.dir.join(format!("{a:016x}{b:016x}.polc"))
    }

    /// The checked policy of this source, if an entry for exactly this build, file
    /// name and source is there and reads back whole.
    pub fn get(&self, file: &str, source: &str) -> Option<Hit> {
        let bytes = std::fs::read(self.entry_path(file, source)).ok()?;
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let (header, rest) = postcard::take_from_bytes::<Header<'_>>(rest).ok()?;
        if header.build != BUILD || header.file != file || header.source != source {
            return None;
        }
        let (body, sum) = rest.split_at_checked(rest.len().checked_sub(CHECKSUM_LEN)?)?;
        if sum != checksum(body) {
            return None;
        }
        let (body, rest) = postcard::take_from_bytes::<Body>(body).ok()?;
        if !rest.is_empty() {
            return None;
        }
        let warnings = body
            .warnings
            .into_iter()
            .map(restore)
            .collect::<Option<_>>()?;
        let analysis = match body.analysis {
            Some(a) => Some(a.into_iter().map(restore).collect::<Option<_>>()?),
            None => None,
        };
        Some(Hit {
            compiled: Compiled {
                policy: body.policy,
                warnings,
            },
            analysis,
        })
    }

    /// Stores a policy that passed the full check, with its warnings and, when known,
    /// every diagnostic of [`crate::analysis::check_source`]. Failures are ignored: the
    /// next run checks the policy again.
    pub fn put(
        &self,
        file: &str,
        source: &str,
        compiled: &Compiled,
        analysis: Option<&[Diagnostic]>,
    ) {
        let _ = self.try_put(file, source, compiled, analysis);
    }

    fn try_put(
        &self,
        file: &str,
        source: &str,
        compiled: &Compiled,
        analysis: Option<&[Diagnostic]>,
    ) -> Option<()> {
        let header = Header {
            build: BUILD,
            file,
            source,
        };
        let body = BodyRef {
            policy: &compiled.policy,
            warnings: compiled.warnings.iter().map(store).collect(),
            analysis: analysis.map(|a| a.iter().map(store).collect()),
        };
        let mut bytes = MAGIC.to_vec();
        bytes = postcard::to_extend(&header, bytes).ok()?;
        let start = bytes.len();
        bytes = postcard::to_extend(&body, bytes).ok()?;
        let sum = checksum(bytes.get(start..)?);
        bytes.extend_from_slice(&sum);
        std::fs::create_dir_all(&self.dir).ok()?;
        let path = self.entry_path(file, source);
        let tmp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            path.file_name()?.to_string_lossy(),
            std::process::id(),
            unique()
        ));
        let written = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
            return None;
        }
        Some(())
    }
}

/// [`Body`] for writing, without cloning the policy.
#[derive(Serialize)]
struct BodyRef<'a> {
    policy: &'a Policy,
    warnings: Vec<StoredDiagnostic>,
    analysis: Option<Vec<StoredDiagnostic>>,
}

/// Two 64-bit multiply-rotate lanes over 8-byte words (about a byte per
/// instruction, where SHA-256 in software costs some fifty): names cache entries.
#[derive(Default)]
struct NameHash {
    lanes: (u64, u64),
}

impl NameHash {
    fn feed(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.word(u64::from_le_bytes(word));
        }
        let mut last = [0u8; 8];
        let rest = words.remainder();
        if let Some(l) = last.get_mut(..rest.len()) {
            l.copy_from_slice(rest);
        }
        self.word(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
    }

    fn word(&mut self, w: u64) {
        let (a, b) = self.lanes;
        self.lanes = (
            (a.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95),
            (b.rotate_left(23) ^ w).wrapping_mul(0x9e_37_79_b9_7f_4a_7c_15),
        );
    }

    fn finish(&self) -> (u64, u64) {
        let (a, b) = self.lanes;
        let mix = |x: u64| {
            let x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
            let x = (x ^ (x >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            x ^ (x >> 33)
        };
        (mix(a ^ b.rotate_left(32)), mix(b ^ a.rotate_left(17)))
    }
}

/// The checksum of an entry's body (damage, not tampering, is what it guards against).
fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut h = NameHash::default();
    h.feed(body);
    let (a, b) = h.finish();
    let mut out = [0u8; CHECKSUM_LEN];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// A number not handed out before in this process, for temporary file names.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn store(d: &Diagnostic) -> StoredDiagnostic {
    StoredDiagnostic {
        code: d.code.to_string(),
        error: d.is_error(),
        message: d.message.clone(),
        labels: d
            .labels
            .iter()
            .map(|l| (l.span, l.message.clone(), l.primary))
            .collect(),
        help: d.help.clone(),
        notes: d.notes.clone(),
        counterexample: d
            .counterexample
            .as_ref()
            .map(|c| (c.case_json(), c.at.clone(), c.reproduce.clone())),
    }
}

/// A stored diagnostic back; `None` when it cannot be (the entry is then ignored).
fn restore(d: StoredDiagnostic) -> Option<Diagnostic> {
    let counterexample = match d.counterexample {
        Some((case, at, reproduce)) => Some(Counterexample {
            case: serde_json::from_str(&case).ok()?,
            at,
            reproduce,
        }),
        None => None,
    };
    Some(Diagnostic {
        code: static_code(&d.code)?,
        severity: if d.error {
            Severity::Error
        } else {
            Severity::Warning
        },
        message: d.message,
        labels: d
            .labels
            .into_iter()
            .map(|(span, message, primary)| Label {
                span,
                message,
                primary,
            })
            .collect(),
        help: d.help,
        notes: d.notes,
        counterexample,
    })
}

/// A diagnostic code (`E0101`, `W0201`, `A0001`) as the `&'static str` a
/// [`Diagnostic`] holds. Each distinct code is kept once for the life of the
/// process; only the shape `[EWA]` and four digits is accepted, so at most 30,000
/// codes of 5 bytes could ever be kept.
fn static_code(code: &str) -> Option<&'static str> {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let b = code.as_bytes();
    let well_formed = b.len() == 5
        && matches!(b.first(), Some(b'E' | b'W' | b'A'))
        && b.iter().skip(1).all(u8::is_ascii_digit);
    if !well_formed {
        return None;
    }
    let mut codes = CODES.get_or_init(Default::default).lock().ok()?;
    if let Some(c) = codes.get(code) {
        return Some(c);
    }
    let kept: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.insert(kept);
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "policy p {\n  title \"P\"\n  owner \"o\"\n  version \"1\"\n}\ncalendar {\n  zone \"Asia/Jakarta\"\n}\ncase {\n  a: bool\n  n: decimal\n}\naction x \"X\"\nrule r\n  quote \"q\"\n  when a and n > 1.5\n  then require x\n";

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pol-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn an_entry_reads_back_the_same_policy() {
        let cache = Cache::at(dir("roundtrip"));
        let compiled = crate::compile(POLICY, "p.pol").unwrap();
        assert!(cache.get("p.pol", POLICY).is_none());
        cache.put("p.pol", POLICY, &compiled, None);
        let hit = cache.get("p.pol", POLICY).unwrap();
        assert_eq!(format!("{:?}", hit.compiled), format!("{compiled:?}"));
        assert!(hit.analysis.is_none());
        let case = r#"{"a": true, "n": 2}"#;
        let evaluate = |p: &crate::Policy| {
            crate::Engine::new(p.clone())
                .evaluate_json(case, Some(0))
                .unwrap()
                .to_json()
        };
        assert_eq!(evaluate(&hit.compiled.policy), evaluate(&compiled.policy));
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn another_name_or_source_is_a_miss() {
        let cache = Cache::at(dir("miss"));
        let compiled = crate::compile(POLICY, "p.pol").unwrap();
        cache.put("p.pol", POLICY, &compiled, None);
        assert!(cache.get("q.pol", POLICY).is_none());
        let edited = POLICY.replace("1.5", "2.5");
        assert!(cache.get("p.pol", &edited).is_none());
        // Even at the same path, another source does not match the stored one.
        let path = cache.entry_path("p.pol", POLICY);
        std::fs::copy(&path, cache.entry_path("p.pol", &edited)).unwrap();
        assert!(cache.get("p.pol", &edited).is_none());
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn a_damaged_entry_is_ignored() {
        let cache = Cache::at(dir("damaged"));
        let compiled = crate::compile(POLICY, "p.pol").unwrap();
        cache.put("p.pol", POLICY, &compiled, None);
        let path = cache.entry_path("p.pol", POLICY);
        let whole = std::fs::read(&path).unwrap();
        for cut in [0, 4, 8, 20, whole.len() / 2, whole.len() - 1] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            assert!(cache.get("p.pol", POLICY).is_none(), "cut at {cut}");
        }
        let mut longer = whole.clone();
        longer.push(0);
        std::fs::write(&path, &longer).unwrap();
        assert!(cache.get("p.pol", POLICY).is_none());
        std::fs::write(&path, b"not a cache entry at all").unwrap();
        assert!(cache.get("p.pol", POLICY).is_none());
        // Flipping any one byte of the body must never panic.
        for i in (8..whole.len()).step_by(7) {
            let mut bad = whole.clone();
            bad[i] ^= 0x5a;
            std::fs::write(&path, &bad).unwrap();
            let _ = cache.get("p.pol", POLICY);
        }
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn a_byte_flipped_in_the_body_is_a_miss() {
        let cache = Cache::at(dir("flipped"));
        let compiled = crate::compile(POLICY, "p.pol").unwrap();
        cache.put("p.pol", POLICY, &compiled, None);
        let path = cache.entry_path("p.pol", POLICY);
        let whole = std::fs::read(&path).unwrap();
        let header = Header {
            build: BUILD,
            file: "p.pol",
            source: POLICY,
        };
        let start = MAGIC.len() + postcard::to_allocvec(&header).unwrap().len();
        assert!(start < whole.len());
        for i in start..whole.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = whole.clone();
                bad[i] ^= flip;
                std::fs::write(&path, &bad).unwrap();
                assert!(cache.get("p.pol", POLICY).is_none(), "byte {i} ^ {flip:#x}");
            }
        }
        std::fs::write(&path, &whole).unwrap();
        assert!(cache.get("p.pol", POLICY).is_some());
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn a_folder_that_cannot_be_written_means_no_cache() {
        let file = dir("not-a-folder");
        std::fs::write(&file, "a file, not a folder").unwrap();
        let cache = Cache::at(&file);
        let compiled = crate::compile(POLICY, "p.pol").unwrap();
        cache.put("p.pol", POLICY, &compiled, None);
        assert!(cache.get("p.pol", POLICY).is_none());
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn diagnostics_read_back_the_same() {
        let cache = Cache::at(dir("diagnostics"));
        let d = Diagnostic::warning("W0001", "a warning")
            .primary(Span::new(3, 9), "here")
            .secondary(Span::new(1, 2), "and there")
            .help("do this")
            .note("a note");
        let mut with_case = Diagnostic::error("A0002", "a finding");
        with_case.counterexample = Some(Counterexample {
            case: serde_json::from_str(r#"{"b": 1.5, "a": [true, null]}"#).unwrap(),
            at: Some("2025-01-01T00:00:00Z".into()),
            reproduce: "pol eval".into(),
        });
        let compiled = Compiled {
            policy: crate::compile(POLICY, "p.pol").unwrap().policy,
            warnings: vec![d.clone()],
        };
        cache.put(
            "p.pol",
            POLICY,
            &compiled,
            Some(&[d.clone(), with_case.clone()]),
        );
        let hit = cache.get("p.pol", POLICY).unwrap();
        assert_eq!(hit.compiled.warnings, vec![d.clone()]);
        assert_eq!(hit.analysis, Some(vec![d, with_case]));
        let _ = std::fs::remove_dir_all(cache.dir());
    }

    #[test]
    fn only_code_shaped_codes_are_kept() {
        assert_eq!(static_code("E0101"), Some("E0101"));
        assert!(std::ptr::eq(
            static_code("A0001").unwrap(),
            static_code("A0001").unwrap()
        ));
        assert_eq!(static_code("X0001"), None);
        assert_eq!(static_code("E00011"), None);
        assert_eq!(static_code("E0a01"), None);
    }
}
