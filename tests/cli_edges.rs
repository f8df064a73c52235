//! The command line's edges: closed pipes, absurd `--threads`, endless inputs,
//! unreadable files and link loops. Each runs the real `pol` binary.
#![cfg(unix)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const SKETCH: &str = "tests/fixtures/sketch.pol";
const BROKEN: &str = "tests/fixtures/broken.pol";
/// Exit code of a Rust program that panicked.
const PANIC: i32 = 101;

fn pol() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pol"))
}

fn run(args: &[&str]) -> Output {
    pol().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pol_cli_edges_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn case_file(dir: &Path) -> String {
    let p = dir.join("case.json");
    std::fs::write(&p, "{}\n").unwrap();
    p.to_string_lossy().into_owned()
}

/// Runs `pol args` with standard output a pipe whose reader reads `first` bytes and
/// goes away; returns the exit code and the error output.
fn with_stdout_closed(args: &[&str], first: usize) -> (Option<i32>, String) {
    let mut child = pol()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0u8; first];
    if first > 0 {
        stdout.read_exact(&mut buf).unwrap();
    }
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stderr))
}

fn assert_quiet_exit(args: &[&str], expected: i32) {
    for first in [0, 10] {
        let (code, stderr) = with_stdout_closed(args, first);
        assert_ne!(code, Some(PANIC), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("failed printing"), "{args:?}: {stderr}");
        assert_eq!(
            code,
            Some(expected),
            "{args:?} after {first} bytes: {stderr}"
        );
    }
}

#[test]
fn a_closed_standard_output_ends_check_json_quietly() {
    assert_quiet_exit(&["check", "--format", "json", "policies/"], 0);
    // The code of what was done: the policy has errors.
    assert_quiet_exit(&["check", "--format", "json", BROKEN], 1);
    assert_quiet_exit(&["check", "--format", "sarif", BROKEN], 1);
}

#[test]
fn a_closed_standard_output_ends_schema_quietly() {
    assert_quiet_exit(&["schema", "policies/dm_verification.pol"], 0);
    assert_quiet_exit(&["schema", "--decision"], 0);
    assert_quiet_exit(&["schema", "--diagnostics"], 0);
}

#[test]
fn a_closed_standard_output_ends_test_quietly() {
    assert_quiet_exit(&["test", "policies/"], 0);
}

#[test]
fn a_closed_standard_output_ends_eval_quietly() {
    let dir = scratch("eval_pipe");
    let case = case_file(&dir);
    assert_quiet_exit(&["eval", SKETCH, "--case", &case], 0);
    assert_quiet_exit(&["eval", SKETCH, "--case", &case, "--format", "human"], 0);
    // A refused case: its error record cannot be written either; the code stays 2.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[1]").unwrap();
    assert_quiet_exit(&["eval", SKETCH, "--case", &bad.to_string_lossy()], 2);
    // A batch of many lines: the same rule.
    let many = dir.join("many.jsonl");
    std::fs::write(&many, "{}\n".repeat(2000)).unwrap();
    assert_quiet_exit(&["eval", SKETCH, "--batch", &many.to_string_lossy()], 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Diagnostics for people go to the error output; a reader that went away does not
/// change the exit code.
#[test]
fn a_closed_error_output_ends_check_quietly() {
    let mut child = pol()
        .args(["check", BROKEN])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn too_many_threads_is_a_usage_error() {
    let dir = scratch("threads");
    let case = case_file(&dir);
    for n in ["18446744073709551615", "1000000", "257"] {
        let out = run(&["eval", SKETCH, "--batch", &case, "--threads", n]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--threads {n}: {stderr}");
        assert!(stderr.contains("at most 256"), "--threads {n}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = run(&["eval", SKETCH, "--batch", &case, "--threads", "256"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An endless policy file is read up to the 2 MiB limit: E0008, located at the file.
#[test]
fn an_endless_policy_file_is_too_large() {
    let out = run(&["check", "--format", "json", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "E0008");
    assert_eq!(v["diagnostics"][0]["file"], "/dev/zero");
    let out = run(&["eval", "/dev/zero", "--case", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0008"), "{}", text(&out.stderr));
}

/// An endless case record is refused at 16 MiB with E0608.
#[test]
fn an_endless_case_record_is_e0608() {
    let out = run(&["eval", SKETCH, "--case", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "E0608", "{v}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error[E0608]") && stderr.contains("larger than 16777216 bytes"),
        "{stderr}"
    );
    insta::assert_snapshot!("E0608_case_too_large", stderr);
    // The same from standard input.
    let out = pol()
        .args(["eval", SKETCH, "--case", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("E0608"));
}

/// Answers from an endless line are refused once over 64 KiB.
#[test]
fn an_endless_answer_stops_ask() {
    let out = pol()
        .args(["ask", SKETCH, "--at", "2025-05-01T10:00+07:00"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("longer than 65536 bytes"), "{stderr}");
}

/// A batch line over 1 MiB gets one E0609 error record; the lines after it are evaluated.
#[test]
fn a_batch_line_too_long_is_e0609_and_the_batch_goes_on() {
    let dir = scratch("long_line");
    let input = dir.join("long.jsonl");
    let long = format!("{{\"x\": \"{}\"}}", "a".repeat(1 << 21));
    std::fs::write(&input, format!("{{}}\n{long}\r\n{{}}\n")).unwrap();
    for threads in ["1", "3"] {
        let out = run(&[
            "eval",
            SKETCH,
            "--batch",
            &input.to_string_lossy(),
            "--threads",
            threads,
        ]);
        assert_eq!(out.status.code(), Some(2));
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{threads} threads");
        let record: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(record["line"], 2);
        assert_eq!(record["error"]["code"], "E0609");
        if threads == "1" {
            insta::assert_snapshot!("E0609_line_too_long", lines[1]);
        }
        for i in [0, 2] {
            let d: serde_json::Value = serde_json::from_str(lines[i]).unwrap();
            assert!(d.get("actions").is_some(), "line {}: {d}", i + 1);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn rss_kb(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// `/dev/zero` is one endless line: the reader drops it as it goes, memory stays flat.
#[test]
fn an_endless_batch_line_keeps_memory_flat() {
    if !Path::new("/proc/self/status").exists() {
        return;
    }
    for threads in ["1", "2"] {
        let mut child = pol()
            .args(["eval", SKETCH, "--batch", "/dev/zero", "--threads", threads])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1000));
        let first = rss_kb(&child);
        std::thread::sleep(std::time::Duration::from_millis(500));
        let second = rss_kb(&child);
        child.kill().unwrap();
        let _ = child.wait();
        assert!(
            first < 100_000 && second < 100_000,
            "{first} kB, {second} kB"
        );
    }
}

/// One unreadable file is one E0016 diagnostic; every other file is still checked.
#[test]
fn an_unreadable_file_is_e0016_and_the_others_are_checked() {
    let dir = scratch("unreadable");
    std::fs::copy(SKETCH, dir.join("a.pol")).unwrap();
    std::fs::copy(BROKEN, dir.join("z.pol")).unwrap();
    std::os::unix::fs::symlink("nowhere.pol", dir.join("gone.pol")).unwrap();
    std::fs::create_dir(dir.join("folder.pol")).unwrap();
    // A pipe: opening it would wait for a writer forever.
    let fifo = Command::new("mkfifo").arg(dir.join("pipe.pol")).status();
    let has_fifo = fifo.is_ok_and(|s| s.success());
    let out = run(&["check", "--format", "json", &dir.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    let gone = dir.join("gone.pol").to_string_lossy().into_owned();
    let e0016: Vec<_> = diags.iter().filter(|d| d["code"] == "E0016").collect();
    assert_eq!(e0016.len(), 1 + usize::from(has_fifo), "{diags:?}");
    assert_eq!(e0016[0]["file"], gone.as_str());
    if has_fifo {
        let pipe = dir.join("pipe.pol").to_string_lossy().into_owned();
        assert_eq!(e0016[1]["file"], pipe.as_str());
        assert!(e0016[1]["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"));
    }
    assert!(e0016[0]["message"]
        .as_str()
        .unwrap()
        .contains("No such file"));
    // The file after it in order was checked too.
    assert!(diags
        .iter()
        .any(|d| d["code"] == "E0101" && d["file"].as_str().unwrap().ends_with("z.pol")));
    assert_eq!(v["summary"]["files"], 3);

    // For people: located at the file, as every diagnostic.
    let out = pol()
        .args(["check", "gone.pol", "a.pol"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("checked 2 policies: 1 error"), "{stderr}");
    insta::assert_snapshot!("E0016_cannot_read", stderr);

    // `pol test` counts it as a failure and runs the other files' examples.
    let out = run(&["test", &dir.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(&format!("FAILED {gone}")), "{stdout}");
    assert!(stdout.contains("ok "), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A link back to a parent folder and a second link to a file: each file is checked once.
#[test]
fn link_loops_are_walked_once() {
    let dir = scratch("loops");
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(SKETCH, dir.join("a.pol")).unwrap();
    std::fs::copy(BROKEN, sub.join("z.pol")).unwrap();
    std::os::unix::fs::symlink("..", sub.join("loop")).unwrap();
    std::os::unix::fs::symlink("../a.pol", sub.join("b.pol")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("self")).unwrap();
    let out = run(&["check", "--format", "json", &dir.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 2, "{v}");
    let diags = v["diagnostics"].as_array().unwrap();
    let e0101 = diags.iter().filter(|d| d["code"] == "E0101").count();
    let once = run(&["check", "--format", "json", BROKEN]);
    let once: serde_json::Value = serde_json::from_slice(&once.stdout).unwrap();
    let expected = once["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "E0101")
        .count();
    assert_eq!(e0101, expected, "z.pol checked more than once");
    // `pol test` runs a.pol's examples once.
    let out = run(&["test", &dir.to_string_lossy()]);
    let alone = run(&["test", SKETCH]);
    let count = |o: &Output| {
        text(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("ok "))
            .count()
    };
    assert_eq!(count(&out), count(&alone));
    let _ = std::fs::remove_dir_all(&dir);
}
