//! `pol eval POLICY --batch FILE.jsonl` through the real binary: one output line per
//! input line, in order, error records for bad lines, exit codes, flat memory.

mod common;

use common::pol_stdin;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PROBE: &str = "tests/fixtures/batch_probe.pol";
const AT: &str = "2025-05-02T10:00+07:00";

fn pol(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(args)
        .output()
        .unwrap()
}

/// A fresh scratch folder under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a generated line is, and so what its output line must be.
enum Expect {
    Echo(u64),
    Error(&'static str),
}

/// `n` lines: good cases whose id is their line number, with a bad line every 7th.
fn generate(n: u64) -> (Vec<u8>, Vec<Expect>) {
    let mut input = Vec::new();
    let mut expect = Vec::new();
    for line in 1..=n {
        let (text, e): (Vec<u8>, Expect) = match line % 7 {
            0 => match (line / 7) % 6 {
                0 => (b"{not json".to_vec(), Expect::Error("E0601")),
                1 => (b"".to_vec(), Expect::Error("E0601")),
                2 => (b"[1, 2]".to_vec(), Expect::Error("E0602")),
                3 => (
                    format!("{{\"id\": {line}, \"nope\": 1}}").into_bytes(),
                    Expect::Error("E0603"),
                ),
                4 => (
                    format!("{{\"id\": \"{line}\"}}").into_bytes(),
                    Expect::Error("E0604"),
                ),
                _ => (b"{\"id\": \"\xff\xfe\"}".to_vec(), Expect::Error("E0601")),
            },
            k => (
                format!("{{\"id\": {line}, \"n\": {k}}}").into_bytes(),
                Expect::Echo(line),
            ),
        };
        input.extend_from_slice(&text);
        // Mix line endings.
        input.extend_from_slice(if line % 5 == 0 { b"\r\n" } else { b"\n" });
        expect.push(e);
    }
    (input, expect)
}

fn check_output(stdout: &[u8], expect: &[Expect]) {
    let text = std::str::from_utf8(stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expect.len(), "one output line per input line");
    for (i, (line, e)) in lines.iter().zip(expect).enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|err| panic!("output line {} is not JSON: {err}", i + 1));
        match e {
            Expect::Echo(id) => {
                assert_eq!(
                    v["scripts"][0]["text"],
                    format!("kasus {id}"),
                    "line {}",
                    i + 1
                );
                assert_eq!(
                    v["at"], "2025-05-02T03:00:00Z",
                    "--at applies to every line"
                );
                let n = id % 7;
                let verdict = if n > 2 { "forbidden" } else { "undecided" };
                assert_eq!(v["actions"][0]["verdict"], verdict, "line {}", i + 1);
            }
            Expect::Error(code) => {
                assert_eq!(v["line"], (i + 1) as u64, "error record of line {}", i + 1);
                let err = &v["error"];
                assert_eq!(err["code"], *code, "line {}: {line}", i + 1);
                for key in ["path", "expected", "found", "message"] {
                    assert!(err[key].is_string(), "line {}: `{key}` in {line}", i + 1);
                }
            }
        }
    }
}

#[test]
fn order_is_kept_and_every_line_is_answered() {
    let dir = scratch("order");
    let (input, expect) = generate(5000);
    let file = dir.join("cases.jsonl");
    std::fs::write(&file, &input).unwrap();
    for threads in ["1", "2", "3"] {
        let out = pol(&[
            "eval",
            PROBE,
            "--batch",
            file.to_str().unwrap(),
            "--at",
            AT,
            "--threads",
            threads,
        ]);
        assert_eq!(out.status.code(), Some(2), "bad lines: exit 2");
        check_output(&out.stdout, &expect);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("714 of 5000 lines"),
            "a closing count, no progress bar when stderr is not a terminal: {stderr}"
        );
        assert!(!stderr.contains('\r'), "no progress bar: {stderr:?}");
    }
}

#[test]
fn standard_input_and_exit_zero() {
    let mut input = Vec::new();
    for id in 0..3000 {
        writeln!(input, "{{\"id\": {id}, \"n\": {}}}", id % 5).unwrap();
    }
    let out = pol_stdin(&["eval", PROBE, "--batch", "-", "--at", AT], &input);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "silent when all is well");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3000);
    for (id, line) in lines.iter().enumerate() {
        assert!(!line.contains("\n  "), "compact JSON");
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["scripts"][0]["text"], format!("kasus {id}"));
    }
    // The last line may lack its newline; an empty input gives no output.
    let out = pol_stdin(&["eval", PROBE, "--batch", "-"], b"{\"id\": 1}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let out = pol_stdin(&["eval", PROBE, "--batch", "-"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn same_decisions_as_single_eval() {
    let policy = "policies/dm_verification.pol";
    let case = "policies/cases/dm_verification/penerima_lain_di_cp_verified.json";
    let Ok(case_text) = std::fs::read_to_string(case) else {
        return; // the shipped case moved: nothing to compare
    };
    let single = pol(&["eval", policy, "--case", case, "--at", AT]);
    if single.status.code() != Some(0) {
        return; // the shipped policy is being edited
    }
    let single: Value = serde_json::from_slice(&single.stdout).unwrap();
    let compact =
        serde_json::to_string(&serde_json::from_str::<Value>(&case_text).unwrap()).unwrap() + "\n";
    let out = pol_stdin(
        &["eval", policy, "--batch", "-", "--at", AT],
        compact.repeat(50).as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 50);
    for line in text.lines() {
        assert_eq!(serde_json::from_str::<Value>(line).unwrap(), single);
    }
}

#[test]
fn usage_errors() {
    // Neither --case nor --batch, or both.
    assert_eq!(pol(&["eval", PROBE]).status.code(), Some(2));
    assert_eq!(
        pol(&["eval", PROBE, "--case", "x.json", "--batch", "y.jsonl"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        pol(&["eval", PROBE, "--batch", "no/such/file.jsonl"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        pol_stdin(&["eval", PROBE, "--batch", "-", "--at", "soon"], b"{}\n")
            .status
            .code(),
        Some(2)
    );
}

/// Peak resident memory (kB) of a child reading `file`, sampled from /proc while it runs.
fn peak_rss_kb(file: &Path) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["eval", PROBE, "--batch", file.to_str().unwrap(), "--at", AT])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            return peak;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[test]
fn memory_stays_flat_on_a_large_input() {
    if !Path::new("/proc/self/status").exists() {
        return; // no /proc to measure with
    }
    let dir = scratch("memory");
    let write = |name: &str, n: u64| {
        let path = dir.join(name);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for id in 0..n {
            writeln!(f, "{{\"id\": {id}, \"n\": {}}}", id % 5).unwrap();
        }
        f.flush().unwrap();
        path
    };
    let small = write("small.jsonl", 20_000);
    let large = write("large.jsonl", 200_000);
    let small_peak = peak_rss_kb(&small);
    let large_peak = peak_rss_kb(&large);
    // Ten times the lines (about 5 MB in, 100 MB out when buffered): the peak
    // must not grow with the input.
    eprintln!("peak RSS: {small_peak} kB for 20k lines, {large_peak} kB for 200k lines");
    assert!(small_peak > 0 && large_peak > 0, "VmHWM was read");
    assert!(
        large_peak < small_peak + 8 * 1024,
        "peak RSS {large_peak} kB for 200k lines vs {small_peak} kB for 20k lines"
    );
    assert!(large_peak < 64 * 1024, "peak RSS {large_peak} kB");
}
