//! The soundness analysis (`src/analysis`): every finding has a policy in
//! `tests/analysis/CODE_what.pol` that triggers it, a snapshot of its
//! diagnostic, and a check that its counterexample, evaluated with
//! `Policy::evaluate_json`, shows the problem. A randomised cross-check
//! compares the analysis with brute force over dense grids of cases.

use pol::analysis::{self, codes, Finding, Options};
use pol::eval::decision::{
    DeadlineStatus, FieldStatus, OutcomeStatus, QuestionStatus, ScriptStatus, UndecidedReason,
    Verdict,
};
use pol::Decision;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The date the "expired" lint compares with, fixed so snapshots are stable.
const TODAY: &str = "2026-01-01";

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("tests/analysis")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    v.sort();
    v
}

fn code_of(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem.split('_').next().unwrap_or("").to_string()
}

fn options_for(code: &str) -> Options {
    Options {
        require_coverage: code == codes::UNCOVERED,
        ..Options::default()
    }
}

fn name_of(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn compile(path: &Path) -> pol::Compiled {
    let source = std::fs::read_to_string(path).unwrap();
    pol::compile(&source, &name_of(path))
        .unwrap_or_else(|d| panic!("{} does not compile: {d:?}", path.display()))
}

/// The names between backticks in a message, in order.
fn quoted(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Whether the Decision cites the rule for a decided output (not one still pending).
fn cites(d: &Decision, rule: &str) -> bool {
    let hit = |b: &[pol::eval::decision::Because]| b.iter().any(|x| x.rule == rule);
    d.questions
        .iter()
        .any(|x| x.status == QuestionStatus::Ask && hit(&x.because))
        || d.actions.iter().any(|x| {
            (x.verdict != Verdict::Undecided || x.reason == Some(UndecidedReason::Conflict))
                && hit(&x.because)
        })
        || d.ticket_fields
            .iter()
            .any(|x| x.status == FieldStatus::Required && hit(&x.because))
        || d.scripts
            .iter()
            .any(|x| x.status == ScriptStatus::Say && hit(&x.because))
        || d.outcome_details.iter().any(|x| {
            (x.status == OutcomeStatus::Set || x.reason == Some(UndecidedReason::Conflict))
                && hit(&x.because)
        })
        || d.deadlines
            .iter()
            .any(|x| x.status == DeadlineStatus::Set && hit(&x.because))
}

#[test]
fn every_analysis_code_is_documented() {
    let docs = std::fs::read_to_string("docs/diagnostics.md").unwrap();
    for (code, _) in codes::ALL {
        assert!(
            docs.contains(&format!("## {code}: ")),
            "{code} has no `## {code}: …` entry in docs/diagnostics.md"
        );
    }
}

#[test]
fn each_analysis_case_reports_its_code() {
    let today = pol::time::parse_date(TODAY);
    let files = cases();
    let mut codes_seen: Vec<String> = files.iter().map(|p| code_of(p)).collect();
    codes_seen.dedup();
    for (code, _) in codes::ALL {
        assert!(
            codes_seen.iter().any(|c| c == code),
            "no policy in tests/analysis triggers {code}"
        );
    }
    for path in files {
        let name = name_of(&path);
        let source = std::fs::read_to_string(&path).unwrap();
        let code = code_of(&path);
        let checked = analysis::check_source(&source, &name, today, &options_for(&code));
        assert!(
            checked.compiled.is_some(),
            "{name} should pass the checker: {:?}",
            checked.diagnostics
        );
        assert!(
            checked.diagnostics.iter().any(|d| d.code == code),
            "{name} should report {code}, but reported {:?}",
            checked
                .diagnostics
                .iter()
                .map(|d| d.code)
                .collect::<Vec<_>>()
        );
        assert_eq!(
            checked.stats.unconfirmed, 0,
            "{name}: a witness the evaluator does not confirm"
        );
        let rendered = pol::render::human(&checked.diagnostics, &name, &source, false);
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("case")
            .to_string();
        insta::assert_snapshot!(format!("analysis_{stem}"), rendered);
    }
}

/// Evaluates a finding's counterexample as `pol eval` would.
fn reproduce(policy: &pol::Policy, f: &Finding) -> Decision {
    let w = f
        .witness
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no counterexample", f.diagnostic.message));
    // The diagnostic carries the same case record and evaluation time, and the
    // command that reproduces it; people see both as notes.
    let json = w.case_json();
    let c = f
        .diagnostic
        .counterexample
        .as_ref()
        .unwrap_or_else(|| panic!("{} carries no counterexample", f.diagnostic.message));
    assert_eq!(c.case_json(), json);
    assert_eq!(c.at, w.at_text(policy));
    if let Some(at) = &c.at {
        assert!(
            c.reproduce.ends_with(&format!("--at {at}")),
            "{}",
            c.reproduce
        );
        assert_eq!(policy.parse_at(at), w.at, "the printed time reads back");
    }
    assert!(c.reproduce.starts_with("echo '"));
    let notes = f.diagnostic.notes_for_people();
    assert!(
        notes[0].starts_with(&format!("counterexample: {json}")),
        "first note `{}` should show the case {json}",
        notes[0]
    );
    assert_eq!(notes[1], format!("reproduce: {}", c.reproduce));
    assert!(
        !f.diagnostic
            .notes
            .iter()
            .any(|n| n.starts_with("counterexample")),
        "the counterexample is a field, not a note"
    );
    pol::Engine::new(policy.clone())
        .evaluate_json(&json, w.at)
        .unwrap_or_else(|e| panic!("the counterexample {json} is not a valid case: {e}"))
}

#[test]
fn counterexamples_show_the_problem() {
    for path in cases() {
        let code = code_of(&path);
        let compiled = compile(&path);
        let policy = &compiled.policy;
        let findings: Vec<Finding> = analysis::analyse(policy, &options_for(&code))
            .into_iter()
            .filter(|f| f.diagnostic.code == code)
            .collect();
        assert!(!findings.is_empty(), "{}: no {code}", path.display());
        for f in &findings {
            let names = quoted(&f.diagnostic.message);
            match code.as_str() {
                "A0001" => {
                    let d = reproduce(policy, f);
                    let action = &names[0];
                    let out = d.actions.iter().find(|a| a.id == *action).unwrap();
                    assert_eq!(out.verdict, Verdict::Undecided);
                    assert_eq!(out.reason, Some(UndecidedReason::Conflict));
                    for rule in &names[1..3] {
                        assert!(
                            out.because.iter().any(|b| b.rule == *rule),
                            "{rule} in {:?}",
                            out.because
                        );
                    }
                }
                "A0002" => {
                    let d = reproduce(policy, f);
                    let target = &names[0];
                    let (r1, r2) = (&names[1], &names[2]);
                    if let Some(o) = d.outcome_details.iter().find(|o| o.id == *target) {
                        assert_eq!(
                            (o.status, o.reason),
                            (OutcomeStatus::Undecided, Some(UndecidedReason::Conflict))
                        );
                        assert!(o.because.iter().any(|b| b.rule == *r1));
                        assert!(o.because.iter().any(|b| b.rule == *r2));
                        assert!(d.warnings.iter().any(|w| w.code == "W0103"));
                    } else {
                        let field = d.ticket_fields.iter().find(|x| x.id == *target).unwrap();
                        assert_eq!(field.value, None, "no value wins");
                        assert!(field.because.iter().any(|b| b.rule == *r1));
                        assert!(field.because.iter().any(|b| b.rule == *r2));
                    }
                }
                "A0003" => {
                    let d = reproduce(policy, f);
                    let target = &names[0];
                    match d.actions.iter().find(|a| a.id == *target) {
                        Some(a) => {
                            assert_eq!(
                                (a.verdict, a.reason),
                                (Verdict::Undecided, Some(UndecidedReason::NoRule))
                            )
                        }
                        None => {
                            let o = d.outcome_details.iter().find(|o| o.id == *target).unwrap();
                            assert_eq!(o.status, OutcomeStatus::Unset);
                        }
                    }
                }
                "A0005" => {
                    // The rule applies, yet the Decision never cites it: an overriding rule does.
                    let d = reproduce(policy, f);
                    let rule = &names[0];
                    assert!(!cites(&d, rule), "{rule} should be overridden");
                    let r = policy.rules.iter().find(|r| r.name == *rule).unwrap();
                    assert!(r
                        .overridden_by
                        .iter()
                        .any(|o| cites(&d, &policy.rules[*o].name)));
                }
                "A0006" => {
                    let d = reproduce(policy, f);
                    assert!(cites(&d, &names[0]) && cites(&d, &names[1]));
                }
                "A0007" => {
                    let d = reproduce(policy, f);
                    let table = &names[0];
                    let rows: Vec<String> = f
                        .diagnostic
                        .message
                        .split_whitespace()
                        .filter_map(|w| w.parse::<usize>().ok())
                        .map(|n| format!("{table}[{n}]"))
                        .collect();
                    assert_eq!(rows.len(), 2);
                    for row in rows {
                        assert!(cites(&d, &row), "{row} applies to the counterexample");
                    }
                }
                // The work limit stopped a check: no case to show.
                "W0011" | "A0011" => assert!(f.witness.is_none()),
                "A0009" | "A0010" => {
                    // No row of the table applies to the case, when there is one
                    // (the columns are facts).
                    if f.witness.is_some() {
                        let d = reproduce(policy, f);
                        let table = &names[0];
                        let rows = policy.tables.iter().find(|t| &t.name == table).unwrap();
                        for r in &rows.rows {
                            let name = &policy.rules[*r].name;
                            assert!(!cites(&d, name), "{name} applies to the counterexample");
                        }
                    }
                }
                "A0008" => {
                    // The note shows a case the rule applies to: an example to add.
                    let w = f.witness.as_ref().unwrap();
                    let engine = pol::Engine::new(policy.clone());
                    let d = engine.evaluate_json(&w.case_json(), w.at).unwrap();
                    assert!(cites(&d, &names[0]));
                    assert!(policy.examples.iter().all(|ex| !cites(
                        &engine.evaluate(&pol::testing::example_case(policy, ex), ex.at),
                        &names[0]
                    )));
                }
                "A0004" => {
                    assert!(f.witness.is_none());
                    dead_by_brute_force(policy, &names[0]);
                }
                other => panic!("no check for {other}"),
            }
        }
    }
}

/// A rule reported as never applying is never cited on a dense grid of cases.
fn dead_by_brute_force(policy: &pol::Policy, rule: &str) {
    let count = policy
        .facts
        .iter_enumerated()
        .find(|(_, f)| f.name == "confirm_count")
        .unwrap()
        .0;
    let called = policy
        .facts
        .iter_enumerated()
        .find(|(_, f)| f.name == "called_at")
        .unwrap()
        .0;
    let zone = &policy.calendar.zone;
    let engine = pol::Engine::new(policy.clone());
    let mut evaluator = engine.evaluator();
    let mut checked = 0;
    for day in ["2024-12-31", "2025-01-01", "2025-06-30"] {
        let d = pol::time::parse_date(day).unwrap() as i64;
        for n in -3..8 {
            for minute in (0..1440).step_by(1) {
                let local = d * 86_400 + minute * 60;
                let t = zone.instant_of_local(local);
                let mut case = pol::Case::empty(policy);
                case.slots[count] = pol::eval::FactValue::Known(pol::value::Value::Int(n));
                case.slots[called] = pol::eval::FactValue::Known(pol::value::Value::DateTime(t));
                let at = zone.instant_of_local(local + 59);
                let dec = evaluator.evaluate(&case, Some(at));
                assert!(
                    !cites(&dec, rule),
                    "{rule} applies at {day} minute {minute}, count {n}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 40_000);
}

#[test]
fn reproduce_command_runs_with_pol_eval() {
    let path = Path::new("tests/analysis/A0001_require_forbid.pol");
    let compiled = compile(path);
    let f = analysis::analyse(&compiled.policy, &Options::default())
        .into_iter()
        .find(|f| f.diagnostic.code == codes::CONFLICT)
        .unwrap();
    let w = f.witness.unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pol"));
    cmd.args([
        "eval",
        "tests/analysis/A0001_require_forbid.pol",
        "--case",
        "-",
    ]);
    if let Some(at) = w.at_text(&compiled.policy) {
        cmd.args(["--at", &at]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(w.case_json().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let offer = d["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "offer")
        .unwrap();
    assert_eq!(offer["verdict"], "undecided");
    assert_eq!(offer["reason"], "conflict");
}

#[test]
fn pol_check_reports_analysis_findings_and_exit_codes() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pol"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // An error finding fails the check.
    let (code, _, err) = run(&[
        "check",
        "--today",
        TODAY,
        "tests/analysis/A0001_require_forbid.pol",
    ]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[A0001]"), "{err}");
    assert!(
        err.contains("checked 1 policy: 1 error, 0 warnings"),
        "{err}"
    );
    // Warnings only: exit 0.
    let (code, _, err) = run(&[
        "check",
        "--today",
        TODAY,
        "tests/analysis/A0006_redundant.pol",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("warning[A0006]"));
    // Coverage is only required on request.
    let (code, _, _) = run(&[
        "check",
        "--today",
        TODAY,
        "tests/analysis/A0008_uncovered.pol",
    ]);
    assert_eq!(code, Some(0));
    let (code, _, err) = run(&[
        "check",
        "--today",
        TODAY,
        "--require-coverage",
        "tests/analysis/A0008_uncovered.pol",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("error[A0008]: rule `too_many_confirmations` is not exercised by any example"),
        "{err}"
    );
    // JSON output carries the counterexample as an object.
    let (code, out, _) = run(&[
        "check",
        "--format",
        "json",
        "--today",
        TODAY,
        "tests/analysis/A0001_require_forbid.pol",
    ]);
    assert_eq!(code, Some(1));
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &j["diagnostics"][0];
    assert_eq!(d["code"], "A0001");
    assert!(d["counterexample"]["case"].is_object(), "{d}");
    assert!(d["counterexample"]["reproduce"]
        .as_str()
        .unwrap()
        .starts_with("echo '"));
    assert!(!d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().starts_with("counterexample")));
}

#[test]
fn sarif_output_is_sarif_2_1_0() {
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args([
            "check",
            "--format",
            "sarif",
            "--today",
            TODAY,
            "tests/analysis/A0001_require_forbid.pol",
            "tests/analysis/A0006_redundant.pol",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(s["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "pol");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(rules[index]["shortDescription"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("tests/analysis/"));
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("counterexample: {"));
    }
    let conflict = results.iter().find(|r| r["ruleId"] == "A0001").unwrap();
    assert_eq!(conflict["level"], "error");
    // The primary location is the later rule; the other one is related.
    assert_eq!(
        conflict["locations"][0]["physicalLocation"]["region"]["startLine"],
        22
    );
    assert_eq!(
        conflict["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        17
    );
    let redundant = results.iter().find(|r| r["ruleId"] == "A0006").unwrap();
    assert_eq!(redundant["level"], "warning");
    assert_eq!(run["artifacts"].as_array().unwrap().len(), 2);
}

#[test]
fn pol_test_coverage_lists_unexercised_rules() {
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["test", "--coverage", "tests/analysis/A0008_uncovered.pol"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("coverage tests/analysis/A0008_uncovered.pol: 1 of 2 rules and table rows exercised by examples (50%)"),
        "{text}"
    );
    assert!(
        text.contains(
            "  not exercised: too_many_confirmations (tests/analysis/A0008_uncovered.pol:"
        ),
        "{text}"
    );
    assert!(!text.contains("not exercised: few_confirmations"));
}

#[test]
fn coverage_counts_table_rows() {
    let compiled = compile(Path::new("tests/analysis/A0007_table_overlap.pol"));
    let cov = analysis::coverage::coverage(&compiled.policy);
    let names: Vec<&str> = cov.uncovered().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["review_level[1]", "review_level[2]"]);
    assert_eq!(cov.exercised(), 1);
}

#[test]
fn must_decide_with_a_default_is_always_decided() {
    let src = r#"
policy p { title "t" }
enum R { a, b }
case { r: R "r" }
action offer "o" default allowed must decide
outcome status: R "s" default a must decide
rule one quote "q" when r == a then forbid offer
example "e" { given { r: a } expect { offer forbidden } }
"#;
    let c = pol::compile(src, "p.pol").unwrap();
    assert!(c.policy.actions.as_slice()[0].must_decide.is_some());
    assert!(c.policy.outcomes.as_slice()[0].must_decide.is_some());
    let findings = analysis::analyse(&c.policy, &Options::default());
    assert!(findings.iter().all(|f| f.diagnostic.code != codes::GAP));
    // Named from the options instead of the policy, the same check runs.
    let src2 = src.replace(" default allowed must decide", "");
    let c2 = pol::compile(&src2, "p.pol").unwrap();
    let opts = Options {
        must_decide: vec!["offer".into()],
        ..Options::default()
    };
    let f = analysis::analyse(&c2.policy, &opts);
    let gap = f.iter().find(|f| f.diagnostic.code == codes::GAP).unwrap();
    assert_eq!(gap.witness.as_ref().unwrap().case_json(), r#"{"r":"b"}"#);
}

#[test]
fn shipped_policies_are_analysed_quickly_and_every_witness_is_confirmed() {
    let mut files: Vec<PathBuf> = std::fs::read_dir("policies")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let start = std::time::Instant::now();
    for path in files {
        let compiled = compile(&path);
        let (findings, stats) = analysis::analyse_with_stats(&compiled.policy, &Options::default());
        assert_eq!(stats.unconfirmed, 0, "{}", path.display());
        assert_eq!(stats.skipped, 0, "{}: questions given up", path.display());
        for f in findings.iter().filter(|f| f.witness.is_some()) {
            let w = f.witness.as_ref().unwrap();
            pol::Engine::new(compiled.policy.clone())
                .evaluate_json(&w.case_json(), w.at)
                .expect("a counterexample is a valid case record");
        }
    }
    assert!(
        start.elapsed().as_secs() < 20,
        "analysis took {:?}",
        start.elapsed()
    );
}

// ---------------------------------------------------------------- cross-check with brute force

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

fn int_atom(r: &mut Rng) -> String {
    let v = ["x", "y", "z"];
    let a = r.pick(&v);
    match r.below(6) {
        0 | 1 => format!("{a} {} {}", r.pick(&OPS), r.below(7)),
        2 => {
            let b = r.pick(&v);
            let c = r.below(5) as i64 - 2;
            let rhs = match c {
                0 => b.to_string(),
                c if c > 0 => format!("{b} + {c}"),
                c => format!("{b} - {}", -c),
            };
            format!("{a} {} {rhs}", r.pick(&OPS))
        }
        3 => {
            let lo = r.below(6);
            format!("{a} in {lo} .. {}", lo + r.below(4))
        }
        4 => format!("{a} in [{}, {}]", r.below(7), r.below(7)),
        _ => format!("{a} not in [{}, {}]", r.below(7), r.below(7)),
    }
}

fn time_atom(r: &mut Rng) -> String {
    let h = |r: &mut Rng| format!("{:02}:00", r.below(4) * 6);
    match r.below(7) {
        0 => format!("time_of(d) in {} .. {}", h(r), h(r)),
        1 => format!("time_of(d) {} {}", r.pick(&OPS), h(r)),
        2 => format!("date_of(d) {} 2025-01-0{}", r.pick(&OPS), 1 + r.below(3)),
        3 => format!("now > d + {} hours", r.below(3) * 6),
        4 => format!("now {} d", r.pick(&OPS)),
        5 => format!("today {} 2025-01-02", r.pick(&OPS)),
        _ => format!("d + 6 hours {} now", r.pick(&["<", ">=", "=="])),
    }
}

fn formula(r: &mut Rng, depth: u32, atom: &dyn Fn(&mut Rng) -> String) -> String {
    if depth == 0 || r.below(3) == 0 {
        return atom(r);
    }
    match r.below(3) {
        0 => format!(
            "({} and {})",
            formula(r, depth - 1, atom),
            formula(r, depth - 1, atom)
        ),
        1 => format!(
            "({} or {})",
            formula(r, depth - 1, atom),
            formula(r, depth - 1, atom)
        ),
        _ => format!("not ({})", formula(r, depth - 1, atom)),
    }
}

/// What brute force says: whether r1 can apply, r2 can apply, and both at once.
struct Truth {
    r1: bool,
    r2: bool,
    both: bool,
}

fn check_against(policy_src: &str, truth: Truth, label: &str) {
    let c =
        pol::compile(policy_src, "random.pol").unwrap_or_else(|d| panic!("{policy_src}\n{d:?}"));
    let (findings, stats) = analysis::analyse_with_stats(&c.policy, &Options::default());
    let has = |code: &str, rule: &str| {
        findings.iter().any(|f| {
            f.diagnostic.code == code && quoted(&f.diagnostic.message).iter().any(|n| n == rule)
        })
    };
    let exact = stats.inexact == 0 && stats.skipped == 0;
    assert_eq!(stats.unconfirmed, 0, "{label}\n{policy_src}");
    // Never a false claim.
    assert!(
        !(truth.r1 && has(codes::DEAD, "r1")),
        "{label}: r1 reported dead\n{policy_src}"
    );
    assert!(
        !(truth.r2 && has(codes::DEAD, "r2")),
        "{label}: r2 reported dead\n{policy_src}"
    );
    assert!(
        truth.both || !has(codes::CONFLICT, "a"),
        "{label}: false conflict\n{policy_src}"
    );
    // And, with exact candidates, nothing missed.
    if exact {
        assert_eq!(
            has(codes::CONFLICT, "a"),
            truth.both,
            "{label}: conflict missed\n{policy_src}"
        );
        assert_eq!(
            has(codes::DEAD, "r1"),
            !truth.r1,
            "{label}: r1 dead missed\n{policy_src}"
        );
        assert_eq!(
            has(codes::DEAD, "r2"),
            !truth.r2,
            "{label}: r2 dead missed\n{policy_src}"
        );
    }
}

/// Each rule also asks its own question: whether the rule applies shows apart from the verdict.
fn two_rules(header: &str, c1: &str, c2: &str) -> String {
    format!(
        "{header}\naction a \"a\"\nquestion q1 \"q1?\"\nquestion q2 \"q2?\"\n\
         rule r1 quote \"q\" when {c1} then require a ask q1\n\
         rule r2 quote \"q\" when {c2} then forbid a ask q2\n"
    )
}

impl Truth {
    /// Adds what one brute-force Decision shows: whether each rule's question is
    /// asked, and whether the two rules conflict on the action.
    fn observe(&mut self, d: &Decision) {
        let asked = |q: &str| {
            d.questions
                .iter()
                .any(|x| x.id == q && x.status == QuestionStatus::Ask)
        };
        self.r1 |= asked("q1");
        self.r2 |= asked("q2");
        self.both |= d.actions[0].reason == Some(UndecidedReason::Conflict);
    }
}

#[test]
fn integer_conditions_agree_with_brute_force() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let header = "policy random { title \"r\" }\ncase { x: int \"x\"  y: int \"y\"  z: int \"z\" }";
    for i in 0..200 {
        // Conjunctions make rules that never apply, and pairs that never meet, common.
        let c1 = format!(
            "{} and {}",
            formula(&mut rng, 3, &int_atom),
            int_atom(&mut rng)
        );
        let c2 = format!(
            "{} and {}",
            formula(&mut rng, 2, &int_atom),
            formula(&mut rng, 1, &int_atom)
        );
        let src = two_rules(header, &c1, &c2);
        let policy = pol::Engine::new(pol::compile(&src, "random.pol").unwrap().policy);
        let mut truth = Truth {
            r1: false,
            r2: false,
            both: false,
        };
        for x in -4..12 {
            for y in -4..12 {
                for z in -4..12 {
                    let json = format!(r#"{{"x":{x},"y":{y},"z":{z}}}"#);
                    truth.observe(&policy.evaluate_json(&json, None).unwrap());
                }
            }
        }
        check_against(&src, truth, &format!("case {i}"));
    }
}

#[test]
fn time_conditions_agree_with_brute_force() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let header = "policy random {\n title \"r\"\n valid from 2025-01-01 until 2025-01-02\n}\n\
                  calendar { zone \"Asia/Jakarta\" }\ncase { d: datetime \"d\" }";
    // Every 6 hours, and just around each of those instants, over five days.
    let zone = pol::time::Zone::parse("Asia/Jakarta").unwrap();
    let base = pol::time::parse_date("2024-12-31").unwrap() as i64 * 86_400;
    let mut grid: Vec<i64> = Vec::new();
    for day in 0..5 {
        for h in [0, 6, 12, 18] {
            let t = base + day * 86_400 + h * 3600;
            for off in [-1, 0, 1, 59, 60, 3 * 3600] {
                grid.push(zone.instant_of_local(t + off));
            }
        }
    }
    for i in 0..40 {
        let c1 = format!(
            "{} and {}",
            formula(&mut rng, 2, &time_atom),
            time_atom(&mut rng)
        );
        let c2 = formula(&mut rng, 2, &time_atom);
        let src = two_rules(header, &c1, &c2);
        let policy = pol::Engine::new(pol::compile(&src, "random.pol").unwrap().policy);
        let mut truth = Truth {
            r1: false,
            r2: false,
            both: false,
        };
        for d in &grid {
            let text = pol::time::format_instant(*d, zone.offset_at(*d));
            let json = format!(r#"{{"d":"{text}"}}"#);
            for at in &grid {
                truth.observe(&policy.evaluate_json(&json, Some(*at)).unwrap());
            }
        }
        check_against(&src, truth, &format!("case {i}"));
    }
}

#[test]
fn large_policies_stay_within_the_work_limit() {
    // 30 facts, 150 rules that all speak about one action and one outcome: many pairs.
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut src = String::from("policy big { title \"big\" valid from 2025-01-01 }\ncase {\n");
    for i in 0..30 {
        src.push_str(&format!("  f{i}: int \"f{i}\"\n"));
    }
    src.push_str("}\naction a \"a\"\noutcome o: int \"o\"\n");
    for r in 0..150 {
        let atom = |rng: &mut Rng| {
            format!(
                "f{} {} {}",
                rng.below(30),
                OPS[rng.below(6) as usize],
                rng.below(10)
            )
        };
        let cond = format!(
            "{} and ({} or {}) and {}",
            atom(&mut rng),
            atom(&mut rng),
            atom(&mut rng),
            atom(&mut rng)
        );
        let effect = match r % 3 {
            0 => "require a".to_string(),
            1 => "forbid a".to_string(),
            _ => format!("set o = {}", rng.below(4)),
        };
        src.push_str(&format!(
            "rule r{r} quote \"q\" when {cond} then {effect}\n"
        ));
    }
    let c = pol::compile(&src, "big.pol").unwrap();
    let start = std::time::Instant::now();
    let (findings, stats) = analysis::analyse_with_stats(&c.policy, &Options::default());
    let took = start.elapsed();
    assert!(stats.nodes <= Options::default().max_total + Options::default().max_nodes);
    assert!(took.as_secs() < 30, "{took:?} {stats:?}");
    assert!(findings
        .iter()
        .any(|f| f.diagnostic.code == codes::CONFLICT));
    assert_eq!(stats.unconfirmed, 0);
    eprintln!(
        "large policy: {took:?}, {} questions, {} nodes, {} skipped",
        stats.questions, stats.nodes, stats.skipped
    );
}

fn finite_atom(r: &mut Rng) -> String {
    let k = r.pick(&["a", "b", "c", "d"]);
    let texts = ["\"x\"", "\"y\""];
    match r.below(9) {
        0 => format!("e == {k}"),
        1 => format!("e in [{k}, {}]", r.pick(&["a", "b", "c", "d"])),
        2 => format!("{k} in s"),
        3 => "e in s".to_string(),
        4 => format!("t == {}", r.pick(&texts)),
        5 => format!("t {} u", r.pick(&["==", "!="])),
        6 => format!("u != {}", r.pick(&texts)),
        7 => "flag".to_string(),
        _ => format!("t is {}", r.pick(&["unanswered", "answered"])),
    }
}

#[test]
fn enum_set_and_text_conditions_agree_with_brute_force() {
    let mut rng = Rng(0x6A09_E667_F3BC_C909);
    let header = "policy random { title \"r\" }\nenum E { a, b, c, d }\n\
                  case { e: E \"e\"  s: set of E \"s\"  t: text \"t\"  u: text \"u\"  flag: bool \"f\" }";
    let es = ["a", "b", "c", "d"];
    let texts = ["\"x\"", "\"y\"", "\"w\"", "\"v\"", "null"];
    for i in 0..150 {
        let c1 = format!(
            "{} and {}",
            formula(&mut rng, 3, &finite_atom),
            finite_atom(&mut rng)
        );
        let c2 = formula(&mut rng, 2, &finite_atom);
        let src = two_rules(header, &c1, &c2);
        let policy = pol::Engine::new(pol::compile(&src, "random.pol").unwrap().policy);
        let mut truth = Truth {
            r1: false,
            r2: false,
            both: false,
        };
        for e in es {
            for mask in 0..16u32 {
                let set: Vec<String> = es
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| mask & (1 << j) != 0)
                    .map(|(_, x)| format!("\"{x}\""))
                    .collect();
                for t in texts {
                    for u in &texts[..4] {
                        for flag in [false, true] {
                            let json = format!(
                                r#"{{"e":"{e}","s":[{}],"t":{t},"u":{u},"flag":{flag}}}"#,
                                set.join(",")
                            );
                            truth.observe(&policy.evaluate_json(&json, None).unwrap());
                        }
                    }
                }
            }
        }
        check_against(&src, truth, &format!("case {i}"));
    }
}

#[test]
fn decimals_and_durations_are_split_between_constants() {
    let src = r#"
policy p { title "t" }
case { amount: decimal "a"  waited: duration "w"  count: int "c" }
action a "a"
rule narrow quote "q" when amount > 12.50 and amount < 12.51 then allow a
rule tight quote "q" when waited > 30 minutes and waited < 31 minutes then allow a
rule between_ints quote "q" when count > 2.5 and count < 3.5 then allow a
rule empty quote "q" when count > 2 and count < 3 then forbid a
rule also_empty quote "q" when waited >= 2 hours and waited < 120 minutes then forbid a
example "e" { given { amount: 12.505, waited: 30 minutes, count: 3 } expect { a allowed } }
"#;
    let c = pol::compile(src, "p.pol").unwrap();
    let findings = analysis::analyse(&c.policy, &Options::default());
    let dead: Vec<String> = findings
        .iter()
        .filter(|f| f.diagnostic.code == codes::DEAD)
        .map(|f| quoted(&f.diagnostic.message)[0].clone())
        .collect();
    assert_eq!(dead, ["empty", "also_empty"]);
}
