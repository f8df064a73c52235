//! The real `pol` binary: exit codes, JSON shapes, closing lines.

mod common;

use common::pol_stdin;
use std::process::{Command, Output};

fn pol(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const SKETCH: &str = "tests/fixtures/sketch.pol";

#[test]
fn check_exit_codes() {
    assert_eq!(pol(&["check", SKETCH]).status.code(), Some(0));
    assert_eq!(
        pol(&["check", "tests/fixtures/broken.pol"]).status.code(),
        Some(1)
    );
    assert_eq!(
        pol(&["check", "tests/no/such/file.pol"]).status.code(),
        Some(2)
    );
    assert_eq!(
        pol(&["check", "--today", "not-a-date", SKETCH])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(pol(&["frobnicate"]).status.code(), Some(2));
}

/// A file that is not UTF-8 is an E0014 error located at its first bad byte; `pol check`
/// goes on with the other files, and `pol eval` refuses it as a policy with errors.
#[test]
fn a_file_that_is_not_utf8_is_reported_and_the_others_checked() {
    const LATIN1: &str = "tests/diagnostics/E0014_not_utf8.pol";
    let out = pol(&["check", "--format", "json", LATIN1, SKETCH]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags[0]["code"], "E0014");
    assert_eq!(
        (diags[0]["line"].clone(), diags[0]["column"].clone()),
        (2.into(), 11.into())
    );
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["errors"], 1);
    let out = pol(&["eval", LATIN1, "--case", SKETCH]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0014"), "{}", text(&out.stderr));
}

#[test]
fn check_json_has_the_contracted_keys() {
    let out = pol(&["check", "--format", "json", "tests/fixtures/broken.pol"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], pol::contract::SCHEMA_VERSION);
    let diags = v["diagnostics"].as_array().unwrap();
    let first = &diags[0];
    for key in [
        "code", "severity", "message", "file", "line", "column", "labels", "help", "notes",
    ] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    assert!(diags.iter().any(|d| d["code"] == "E0101"));
    let errors = diags.iter().filter(|d| d["severity"] == "error").count();
    assert!(errors > 0);
    assert_eq!(
        v["summary"],
        serde_json::json!({"files": 1, "errors": errors, "warnings": diags.len() - errors})
    );
}

#[test]
fn eval_prints_a_decision_and_echoes_the_time() {
    let out = pol_stdin(
        &[
            "eval",
            SKETCH,
            "--case",
            "-",
            "--at",
            "2025-05-01T10:00:00+07:00",
        ],
        r#"{"recipient": "someone_else", "confirm_count": 3}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["policy"]["id"], "dm_verification");
    assert_eq!(d["actions"][0]["verdict"], "forbidden");
    assert_eq!(
        d["actions"][0]["because"][0]["rule"],
        "too_many_confirmations"
    );
    assert!(d["actions"][0]["because"][0]["at"]
        .as_str()
        .unwrap()
        .starts_with("tests/fixtures/sketch.pol:"));
    assert!(d["at"].as_str().unwrap().starts_with("2025-05-01T03:00:00"));
    for key in [
        "complete",
        "questions",
        "ticket_fields",
        "scripts",
        "outcomes",
        "deadlines",
        "pending",
        "warnings",
    ] {
        assert!(d.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn eval_rejects_bad_cases_with_exit_2_and_a_path() {
    let out = pol_stdin(&["eval", SKETCH, "--case", "-"], r#"{"recipient": "boss"}"#);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("$.recipient") && err.contains("E0606"),
        "{err}"
    );
    let out = pol_stdin(&["eval", SKETCH, "--case", "-"], "{not json");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("E0601"));
    let out = pol(&["eval", SKETCH, "--case", "tests/fixtures/missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = pol_stdin(&["eval", SKETCH, "--case", "-", "--at", "yesterday"], "{}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn eval_of_a_broken_policy_exits_1() {
    let out = pol_stdin(&["eval", "tests/fixtures/broken.pol", "--case", "-"], "{}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn eval_human_format_reads_like_instructions() {
    let out = pol_stdin(
        &[
            "eval",
            SKETCH,
            "--case",
            "-",
            "--format",
            "human",
            "--at",
            "2025-05-01T10:00+07:00",
        ],
        r#"{"recipient": "someone_else", "confirm_count": 1, "declared_not_pj": false}"#,
    );
    let s = text(&out.stdout);
    assert!(
        s.contains("Apakah bapak/ibu sebagai penanggung jawab"),
        "{s}"
    );
    assert!(s.contains("allowed"), "{s}");
}

#[test]
fn test_prints_the_closing_line_and_fails_on_a_failure() {
    let out = pol(&["test", SKETCH]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).trim_end().ends_with("3 passed, 0 failed"),
        "{}",
        text(&out.stdout)
    );
    let dir = std::env::temp_dir().join(format!("pol-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let failing = dir.join("failing.pol");
    let src = std::fs::read_to_string(SKETCH).unwrap().replace(
        "expect { offer allowed; not ask pj }",
        "expect { offer forbidden }",
    );
    std::fs::write(&failing, src).unwrap();
    let out = pol(&["test", failing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(
        s.contains("expected `offer` to be forbidden, but it is allowed"),
        "{s}"
    );
    assert!(s.trim_end().ends_with("2 passed, 1 failed"), "{s}");
}

#[test]
fn schema_describes_the_case_record() {
    let out = pol(&["schema", SKETCH]);
    assert_eq!(out.status.code(), Some(0));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["additionalProperties"], false);
    let rec = &s["properties"]["recipient"];
    assert_eq!(
        rec["anyOf"][0]["enum"],
        serde_json::json!(["fastel_owner", "payer", "cp_verified_name", "someone_else"])
    );
    assert_eq!(rec["anyOf"][1]["type"], "null");
    assert_eq!(rec["x-question"], "Dengan bapak/ibu siapa saya berbicara?");
}

#[test]
fn shipped_policies_check_clean_and_pass_their_examples() {
    let out = pol(&["check", "policies/"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
    let out = pol(&["test", "policies/"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}");
    let last = s.lines().last().unwrap_or("");
    let passed: usize = last.split(' ').next().unwrap_or("0").parse().unwrap_or(0);
    assert!(passed >= 60, "{last}");
}

#[test]
fn shipped_case_files_evaluate() {
    let mut n = 0;
    for policy in std::fs::read_dir("policies").unwrap().flatten() {
        let p = policy.path();
        if p.extension().is_none_or(|e| e != "pol") {
            continue;
        }
        let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
        let Ok(cases) = std::fs::read_dir(format!("policies/cases/{stem}")) else {
            continue;
        };
        for c in cases.flatten() {
            let out = pol(&[
                "eval",
                p.to_str().unwrap(),
                "--case",
                c.path().to_str().unwrap(),
                "--at",
                "2025-05-02T10:00:00+07:00",
            ]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                c.path().display(),
                text(&out.stderr)
            );
            let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(d["policy"]["id"].as_str().is_some_and(|id| !id.is_empty()));
            assert!(
                d["actions"].as_array().is_some_and(|a| !a.is_empty()),
                "{stem}: no actions"
            );
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} case files");
}

const QUOTED: &str = r#"policy p {
  title       "t"
  source file "sources/sop.txt"
}
case { confirm_count: int }
action offer "Lanjutkan penawaran"
rule too_many
  quote "Pelanggan mau konfirmasi pihak lain lbh dr 2 kali maka penawaran tdk bs dilanjut"
  when confirm_count > 2
  then forbid offer
example "three" {
  given { confirm_count: 3 }
  expect { offer forbidden }
}
"#;

/// The quote check is `pol check`'s: it reads the SOP text on every run (a changed
/// SOP text is seen at once), and `pol eval` and `pol test` never read it.
#[test]
fn check_verifies_quotes_against_the_sop_text_and_eval_does_not_read_it() {
    let dir = std::env::temp_dir().join(format!("pol-cli-quotes-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sources")).unwrap();
    let sop = dir.join("sources/sop.txt");
    std::fs::write(
        &sop,
        "- Pelanggan mau **konfirmasi** pihak lain **lbh dr 2 kali** maka\n**penawaran tdk bs dilanjut**\n",
    )
    .unwrap();
    let policy = dir.join("p.pol");
    std::fs::write(&policy, QUOTED).unwrap();
    let p = policy.to_str().unwrap();
    assert_eq!(pol(&["check", p]).status.code(), Some(0));

    std::fs::write(
        &sop,
        "Pelanggan mau konfirmasi pihak lain lebih dari 2 kali maka penawaran tidak bisa dilanjut\n",
    )
    .unwrap();
    let out = pol(&["check", "--format", "json", p]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["E0702"]);

    std::fs::remove_file(&sop).unwrap();
    let out = pol(&["check", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error[E0701]"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(pol(&["test", p]).status.code(), Some(0));
    let out = pol_stdin(
        &["eval", p, "--no-cache", "--case", "-"],
        r#"{"confirm_count": 3}"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}
