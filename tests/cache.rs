//! The cache of checked policies, through the real `pol` binary: a hit prints exactly
//! what a miss prints, a damaged entry is ignored and replaced, an edited policy is
//! checked again, and `--no-cache` / `POL_NO_CACHE` leave the cache alone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A policy with two warnings, so a hit must print the stored warnings too.
const POLICY: &str = "policy w {\n  title \"W\"\n  owner \"o\"\n  version \"1\"\n}\ncase {\n  a: bool\n  unused_fact: int\n}\naction x \"X\"\nrule r\n  quote \"q\"\n  when a\n  then require x\n";

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("pol-cache-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cache")).unwrap();
        std::fs::write(dir.join("w.pol"), POLICY).unwrap();
        std::fs::write(dir.join("case.json"), r#"{"a": true, "unused_fact": 3}"#).unwrap();
        Scratch { dir }
    }

    fn cache(&self) -> PathBuf {
        self.dir.join("cache")
    }

    fn policy(&self) -> String {
        self.dir.join("w.pol").display().to_string()
    }

    fn pol(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pol"));
        cmd.args(args)
            .env("POL_CACHE_DIR", self.cache())
            .env_remove("POL_NO_CACHE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn eval(&self, extra: &[&str]) -> Output {
        let case = self.dir.join("case.json").display().to_string();
        let policy = self.policy();
        let mut args = vec![
            "eval",
            policy.as_str(),
            "--case",
            case.as_str(),
            "--at",
            "2025-05-02T10:00Z",
        ];
        args.extend_from_slice(extra);
        self.pol(&args, &[])
    }

    /// The cache's entries (temporary files excluded).
    fn entries(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.cache())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn inode(p: &Path) -> (u64, std::time::SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).unwrap();
    (m.ino(), m.modified().unwrap())
}

fn same(a: &Output, b: &Output) {
    assert_eq!(a.status.code(), b.status.code(), "{a:?}\n{b:?}");
    assert_eq!(
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&b.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
}

#[test]
fn a_hit_prints_what_the_miss_printed() {
    let s = Scratch::new("hit");
    let miss = s.eval(&[]);
    assert_eq!(miss.status.code(), Some(0), "{miss:?}");
    let stderr = String::from_utf8_lossy(&miss.stderr);
    assert!(stderr.contains("W0001"), "{stderr}");
    let entries = s.entries();
    assert_eq!(entries.len(), 1, "the miss stores one entry");
    let before = inode(&entries[0]);
    let hit = s.eval(&[]);
    same(&miss, &hit);
    // A miss writes a new file (a rename): the same file means the hit read it.
    assert_eq!(inode(&entries[0]), before);
    same(&miss, &s.eval(&["--no-cache"]));
    same(
        &s.eval(&["--format", "human"]),
        &s.eval(&["--format", "human", "--no-cache"]),
    );
}

#[test]
fn batch_uses_the_cache_too() {
    let s = Scratch::new("batch");
    let lines = "{\"a\": true}\n{\"a\": false}\n{\"a\": 3}\n";
    let run = |extra: &[&str]| {
        let policy = s.policy();
        let mut args = vec![
            "eval",
            policy.as_str(),
            "--batch",
            "-",
            "--at",
            "2025-05-02T10:00Z",
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_pol"))
            .args(&args)
            .env("POL_CACHE_DIR", s.cache())
            .env_remove("POL_NO_CACHE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let miss = run(&[]);
    assert_eq!(s.entries().len(), 1);
    let before = inode(&s.entries()[0]);
    let hit = run(&[]);
    same(&miss, &hit);
    assert_eq!(inode(&s.entries()[0]), before);
    same(&miss, &run(&["--no-cache"]));
}

#[test]
fn a_damaged_entry_is_ignored_and_replaced() {
    let s = Scratch::new("damaged");
    let miss = s.eval(&[]);
    let entry = s.entries().pop().unwrap();
    let good = std::fs::read(&entry).unwrap();
    for bad in [
        b"garbage".to_vec(),
        Vec::new(),
        good[..good.len() / 2].to_vec(),
        good.iter().map(|b| b ^ 0x20).collect::<Vec<u8>>(),
    ] {
        std::fs::write(&entry, &bad).unwrap();
        same(&miss, &s.eval(&[]));
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            good,
            "the entry is written again"
        );
    }
}

#[test]
fn an_edited_policy_is_checked_again() {
    let s = Scratch::new("edited");
    let first = s.eval(&[]);
    assert!(String::from_utf8_lossy(&first.stdout).contains("\"verdict\": \"required\""));
    // Same length, another meaning: the rule now forbids.
    let forbids = POLICY.replace("then require x", "then forbid  x");
    std::fs::write(s.dir.join("w.pol"), &forbids).unwrap();
    let second = s.eval(&[]);
    assert_eq!(second.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&second.stdout).contains("\"verdict\": \"forbidden\""));
    same(&second, &s.eval(&["--no-cache"]));
    // An edit that breaks the policy is reported, never answered from the cache.
    std::fs::write(s.dir.join("w.pol"), POLICY.replace("when a", "when b")).unwrap();
    let broken = s.eval(&[]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(broken.stdout.is_empty());
    // Back to the first text: served again, as the first time.
    std::fs::write(s.dir.join("w.pol"), POLICY).unwrap();
    same(&first, &s.eval(&[]));
}

#[test]
fn no_cache_leaves_the_cache_alone() {
    let s = Scratch::new("off");
    let out = s.eval(&["--no-cache"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(s.entries().is_empty());
    let case = s.dir.join("case.json").display().to_string();
    let out = s.pol(
        &["eval", &s.policy(), "--case", &case],
        &[("POL_NO_CACHE", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(s.entries().is_empty());
}

#[test]
fn a_cache_folder_that_cannot_be_written_is_no_error() {
    let s = Scratch::new("unwritable");
    // A file where the folder should be: nothing can be stored under it.
    let blocked = s.dir.join("blocked");
    std::fs::write(&blocked, "not a folder").unwrap();
    let case = s.dir.join("case.json").display().to_string();
    let run = || {
        s.pol(
            &["eval", &s.policy(), "--case", &case],
            &[("POL_CACHE_DIR", blocked.to_str().unwrap())],
        )
    };
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    same(&out, &run());
}
