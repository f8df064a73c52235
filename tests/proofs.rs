//! The analysis never misses silently: comparisons of the same times at several
//! offsets are decided exactly, and whatever it cannot decide or finish is a
//! finding of its own (A0011, W0011) in every output format, an error under
//! `pol check --strict`.

mod common;

use pol::analysis::{self, codes, Options};
use std::process::Command;

const HEAD: &str = "policy p {\n  title \"T\"\n}\n";

fn pol() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pol"))
}

/// A policy over one date-time fact `t` (and `s`) with the given rules.
fn timed(rules: &str) -> String {
    format!(
        "{HEAD}case {{\n  t: datetime \"t\" ask \"t?\"\n  s: datetime \"s\" ask \"s?\"\n}}\naction a \"A\"\n{rules}"
    )
}

fn rule(name: &str, when: &str, then: &str) -> String {
    format!("rule {name}\n  quote \"q\"\n  when {when}\n  then {then}\n")
}

fn findings(src: &str) -> (Vec<analysis::Finding>, analysis::Stats, pol::Compiled) {
    let c = pol::compile(src, "p.pol").unwrap_or_else(|d| panic!("{src}\n{d:?}"));
    let (f, s) = analysis::analyse_with_stats(&c.policy, &Options::default());
    (f, s, c)
}

fn codes_of(f: &[analysis::Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.diagnostic.code).collect()
}

/// Every counterexample reproduces its finding: `pol eval` on it says the
/// action is in conflict.
fn assert_conflict_reproduces(f: &[analysis::Finding], c: &pol::Compiled) {
    let conflict = f
        .iter()
        .find(|f| f.diagnostic.code == codes::CONFLICT)
        .expect("a conflict");
    let w = conflict.witness.as_ref().expect("with a counterexample");
    let d = pol::Engine::new(c.policy.clone())
        .evaluate_json(&w.case_json(), w.at)
        .expect("a valid case");
    let a = d.actions.iter().find(|a| a.id == "a").expect("action a");
    assert_eq!(
        a.reason,
        Some(pol::eval::decision::UndecidedReason::Conflict),
        "{a:?}"
    );
}

#[test]
fn one_time_compared_at_two_offsets_is_a_conflict() {
    // "1x24 jam" and "2x24 jam" after the same moment.
    let src = timed(
        &(rule("late", "now > t + 24 hours", "require a")
            + &rule("very_late", "now > t + 48 hours", "forbid a")),
    );
    let (f, stats, c) = findings(&src);
    assert!(
        codes_of(&f).contains(&codes::CONFLICT),
        "{:?}",
        codes_of(&f)
    );
    assert_eq!(stats.inexact, 0, "{stats:?}");
    assert_conflict_reproduces(&f, &c);
}

#[test]
fn a_third_offset_does_not_hide_a_reported_conflict() {
    let two = rule("late", "now > t + 24 hours", "require a")
        + &rule("very_late", "now > t + 48 hours", "forbid a");
    let (f, _, _) = findings(&timed(&two));
    assert!(codes_of(&f).contains(&codes::CONFLICT));
    let three = two + &rule("early", "now < t + 2 hours", "allow a");
    let (f, stats, c) = findings(&timed(&three));
    assert!(
        codes_of(&f).contains(&codes::CONFLICT),
        "{:?}",
        codes_of(&f)
    );
    assert_eq!(stats.inexact, 0);
    assert_conflict_reproduces(&f, &c);
}

#[test]
fn offsets_that_exclude_each_other_are_proved_apart() {
    // t - s < 2 h and now - t > 24 h give now - s > 22 h: never within 20 h of s.
    let src = timed(
        &(rule(
            "late",
            "now > t + 24 hours and s < t + 2 hours",
            "require a",
        ) + &rule(
            "soon",
            "now < s + 20 hours and now > s + 1 hours",
            "forbid a",
        )),
    );
    let (f, stats, _) = findings(&src);
    assert_eq!(codes_of(&f), Vec::<&str>::new());
    assert_eq!((stats.inexact, stats.skipped), (0, 0), "{stats:?}");
}

#[test]
fn a_rule_implied_at_a_larger_offset_is_redundant() {
    let src = timed(
        &(rule("after_a_day", "now > t + 24 hours", "require a")
            + &rule("after_two_days", "now > t + 48 hours", "require a")),
    );
    let (f, _, _) = findings(&src);
    let redundant: Vec<&str> = f
        .iter()
        .filter(|f| f.diagnostic.code == codes::REDUNDANT)
        .map(|f| f.diagnostic.message.as_str())
        .collect();
    assert!(
        redundant.iter().any(|m| m.contains("after_two_days")),
        "{redundant:?}"
    );
    assert!(
        !redundant
            .iter()
            .any(|m| m.starts_with("rule `after_a_day`")),
        "{redundant:?}"
    );
}

#[test]
fn a_window_between_two_offsets_can_apply_and_an_empty_one_cannot() {
    let src = timed(
        &(rule(
            "between",
            "now > t + 24 hours and now < t + 48 hours",
            "require a",
        ) + &rule(
            "never",
            "now > t + 48 hours and now < t + 24 hours",
            "forbid a",
        )),
    );
    let (f, stats, _) = findings(&src);
    let dead: Vec<&str> = f
        .iter()
        .filter(|f| f.diagnostic.code == codes::DEAD)
        .map(|f| f.diagnostic.message.as_str())
        .collect();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].contains("`never`"), "{dead:?}");
    assert_eq!(stats.inexact, 0);
}

#[test]
fn validity_dates_and_offsets_are_decided_together() {
    // The rule is valid only in January 2025; t is fixed in December 2024, so
    // "48 hours after t" is always inside the window or past it.
    let src = format!(
        "{HEAD}case {{\n  t: datetime \"t\" ask \"t?\"\n}}\naction a \"A\"\n{}{}",
        "rule jan\n  quote \"q\"\n  valid from 2025-01-01 until 2025-01-31\n  when now > t + 48 hours and t < 2024-12-01T00:00:00Z\n  then require a\n",
        rule("old", "now > t + 24 hours", "forbid a"),
    );
    let (f, stats, c) = findings(&src);
    assert!(
        codes_of(&f).contains(&codes::CONFLICT),
        "{:?}",
        codes_of(&f)
    );
    assert_eq!(stats.inexact, 0);
    assert_conflict_reproduces(&f, &c);
}

#[test]
fn a_difference_written_with_the_subtracted_fact_first_keeps_its_offset() {
    // `0 - x + y > 2` is `y - x > 2`: it never meets `y - x == 1`.
    let src = format!(
        "{HEAD}case {{\n  x: int \"x\" ask \"x?\"\n  y: int \"y\" ask \"y?\"\n}}\naction a \"A\"\n{}{}",
        rule("wide", "0 - x + y > 2", "require a"),
        rule("close", "y - x == 1", "forbid a"),
    );
    let (f, stats, _) = findings(&src);
    assert_eq!(codes_of(&f), Vec::<&str>::new());
    assert_eq!((stats.inexact, stats.unconfirmed), (0, 0), "{stats:?}");
    // And where they do meet, the conflict is found.
    let src = src.replace("y - x == 1", "y - x == 3");
    let (f, _, c) = findings(&src);
    assert!(
        codes_of(&f).contains(&codes::CONFLICT),
        "{:?}",
        codes_of(&f)
    );
    assert_conflict_reproduces(&f, &c);
}

// ---------------------------------------------------------------- never silent

/// A check the analysis can only sample: lengths of texts.
const SAMPLED: &str = "policy p {\n  title \"T\"\n}\ncase {\n  phone: text \"n\" ask \"n?\"\n}\naction a \"A\"\nrule long\n  quote \"q\"\n  when length(phone) >= 10 and length(phone) <= 13\n  then require a\nrule short\n  quote \"q\"\n  when length(phone) < 9\n  then forbid a\n";

fn write(name: &str, src: &str) -> std::path::PathBuf {
    let dir = common::server::temp_dir(name);
    let path = dir.join("p.pol");
    std::fs::write(&path, src).unwrap();
    path
}

#[test]
fn a_check_that_is_not_a_proof_says_so_in_every_format() {
    let path = write("proofs-sampled", SAMPLED);
    let p = path.to_str().unwrap();
    let human = pol().args(["check", p]).output().unwrap();
    let text = String::from_utf8_lossy(&human.stderr);
    assert!(text.contains("warning[A0011]"), "{text}");
    assert!(
        text.contains("not proved: whether `a` can be required and forbidden at once"),
        "{text}"
    );
    assert!(text.contains("fact `phone`"), "{text}");
    assert_eq!(human.status.code(), Some(0), "a warning without --strict");
    let json = pol()
        .args(["check", p, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v.to_string().contains("\"A0011\""), "{v}");
    let sarif = pol()
        .args(["check", p, "--format", "sarif"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "A0011"), "{v}");
    let strict = pol().args(["check", "--strict", p]).output().unwrap();
    let text = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(1), "{text}");
    assert!(text.contains("error[A0011]"), "{text}");
}

#[test]
fn a_work_limit_that_is_hit_fails_strict_checks() {
    // 14 facts combined through `or`: more cases than the limit lets it look at.
    let mut src = format!("{HEAD}case {{\n");
    for i in 0..14 {
        src += &format!("  f{i}: int \"f\" ask \"f?\"\n");
    }
    src += "}\naction a \"A\"\n";
    let alt: Vec<String> = (0..14).map(|i| format!("f{i} == {i}")).collect();
    src += &rule("any", &alt.join(" or "), "require a");
    let all: Vec<String> = (0..14).map(|i| format!("f{i} != {i}")).collect();
    src += &rule("none", &all.join(" and "), "forbid a");
    let c = pol::compile(&src, "p.pol").unwrap();
    let opts = Options {
        max_nodes: 50,
        max_total: 100,
        ..Options::default()
    };
    let (f, stats) = analysis::analyse_with_stats(&c.policy, &opts);
    assert!(stats.skipped > 0, "{stats:?}");
    assert!(
        codes_of(&f).contains(&codes::NOT_CHECKED),
        "{:?}",
        codes_of(&f)
    );
    let mut diagnostics: Vec<_> = f.into_iter().map(|f| f.diagnostic).collect();
    analysis::strict(&mut diagnostics);
    let w = diagnostics
        .iter()
        .find(|d| d.code == codes::NOT_CHECKED)
        .unwrap();
    assert!(w.is_error());
}

#[test]
fn the_time_limit_is_kept_and_said() {
    // `or` over many facts at a time limit of zero: stopped on the first clock
    // reading, and the warning says it was the time.
    let mut src = format!("{HEAD}case {{\n");
    for i in 0..16 {
        src += &format!("  f{i}: int \"f\" ask \"f?\"\n");
    }
    src += "}\naction a \"A\"\n";
    for r in 0..4 {
        let alt: Vec<String> = (0..16).map(|i| format!("f{i} == {}", i + r)).collect();
        src += &rule(&format!("any{r}"), &alt.join(" or "), "require a");
    }
    let all: Vec<String> = (0..16).map(|i| format!("f{i} > 40")).collect();
    src += &rule("none", &all.join(" and "), "forbid a");
    let c = pol::compile(&src, "p.pol").unwrap();
    let opts = Options {
        max_time: Some(std::time::Duration::ZERO),
        ..Options::default()
    };
    let (f, _) = analysis::analyse_with_stats(&c.policy, &opts);
    let w = f
        .iter()
        .find(|f| f.diagnostic.code == codes::NOT_CHECKED)
        .map(|f| f.diagnostic.message.clone())
        .unwrap_or_default();
    assert!(w.contains("time limit"), "{:?}", codes_of(&f));
}

#[test]
fn the_shipped_policies_are_proved_completely() {
    let out = pol()
        .args(["check", "--strict", "policies/"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for entry in std::fs::read_dir("policies").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pol") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let (f, stats, _) = findings(&src);
        assert_eq!(
            (stats.inexact, stats.skipped, stats.unconfirmed),
            (0, 0, 0),
            "{}: {stats:?} {:?}",
            path.display(),
            codes_of(&f)
        );
    }
}

// ---------------------------------------------------------------- mended by the differential test

#[test]
fn working_time_and_clock_time_from_one_fact_are_decided_together() {
    // "2x24 jam kerja" beside "1x24 jam": a case where both apply is built
    // back through the calendar (a start whose working-time end is the moment).
    let src = format!(
        "{HEAD}calendar {{\n  zone \"Asia/Jakarta\"\n  open monday .. friday 08:00 .. 17:00\n}}\ncase {{\n  t: datetime \"t\" ask \"t?\"\n}}\naction a \"A\"\n{}{}",
        rule("chase", "now >= t + 2 working days", "require a"),
        rule("day", "now > t + 24 hours", "forbid a"),
    );
    let (f, stats, c) = findings(&src);
    assert_eq!((stats.inexact, stats.unconfirmed), (0, 0), "{stats:?}");
    assert_conflict_reproduces(&f, &c);
}

#[test]
fn a_rule_over_a_null_answer_is_not_redundant() {
    // For {"n": null} only `r0` applies: `r1` stays unknown for good.
    let src = format!(
        "{HEAD}case {{\n  n: int \"n\" ask \"n?\"\n}}\naction a \"A\"\n{}{}",
        rule("r0", "n is unanswered", "require a"),
        rule("r1", "n > 2 or n <= 2", "require a"),
    );
    let (f, _, _) = findings(&src);
    assert!(
        !f.iter().any(|f| f.diagnostic.code == codes::REDUNDANT
            && f.diagnostic.message.starts_with("rule `r0`")),
        "{:?}",
        f.iter().map(|f| &f.diagnostic.message).collect::<Vec<_>>()
    );
}

#[test]
fn a_complete_table_with_a_when_has_no_gap_outside_it() {
    let src = format!(
        "{HEAD}case {{\n  x: bool \"x\" ask \"x?\"\n}}\naction a \"A\"\ntable t\n  quote \"q\"\n  hit unique complete\n  when x\n  | x => a |\n  | true => allowed |\n"
    );
    let (f, _, _) = findings(&src);
    assert!(
        !codes_of(&f).contains(&codes::TABLE_INCOMPLETE),
        "{:?}",
        codes_of(&f)
    );
    // Without the `when`, the case x = false has no row.
    let (f, _, _) = findings(&src.replace("  when x\n", ""));
    assert!(
        codes_of(&f).contains(&codes::TABLE_INCOMPLETE),
        "{:?}",
        codes_of(&f)
    );
}
