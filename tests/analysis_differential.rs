//! Differential test of the soundness analysis: on generated small policies
//! (written as source, so the parser and the checker run too), the findings
//! A0001–A0007, A0009 and A0010 must be exactly those that brute force over
//! every case finds with the evaluator, and every counterexample the analysis
//! gives must show its finding when evaluated.
//!
//! What a finding claims, as `src/analysis` defines it (and brute force checks):
//! - A0001 `a`: some case has a rule requiring `a` and another forbidding it both
//!   effective (fired, not overridden), not two rows of one table, and no rule
//!   that opens `a` effective;
//! - A0002 `o`/`d`: the same for two rules setting an outcome or a ticket field
//!   to different values;
//! - A0003 `a`/`o` (`must decide`, no default): some case has every rule that
//!   decides it (require, allow, forbid, set, open) definitely not effective;
//! - A0004 `r`: no case makes the rule fire; A0005 `r`: some case makes it fire
//!   but none makes it effective;
//! - A0006 `r1`: `r1` overrides nothing, has effects, is effective in some case,
//!   and some `r2` not reported itself gives every effect of `r1` and is
//!   effective whenever `r1` is (of two rules with the same effects that are
//!   effective in the same cases, the later one is reported);
//! - A0007 `t` (`hit unique`): some case makes two rows fire; A0009/A0010 `t`:
//!   some case makes the table's `when` hold and no row fire.
//!
//! "Some case" includes partial ones; a rule is effective or fires when the
//! evaluator says so for sure (three-valued: true, not unknown). Brute force
//! reads that from two instrumented copies of the policy, in which every rule
//! and table row also asks a question of its own (one copy without `overrides`,
//! so the question shows that the rule fires; one with, so it shows that the
//! rule is effective).

#[path = "differential/brute.rs"]
mod brute;
#[path = "differential/generate.rs"]
mod generate;

use brute::{asked, Engines, Tri, Truth, T0};
use generate::{Kind, Policy, Rng, Shape};
use pol::analysis::{self, Finding, Options};
use pol::eval::decision::{OutcomeStatus, UndecidedReason};
use std::collections::{BTreeMap, BTreeSet};

fn quoted(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

const CODES: [&str; 9] = [
    "A0001", "A0002", "A0003", "A0004", "A0005", "A0006", "A0007", "A0009", "A0010",
];

/// One disagreement, with everything needed to read it.
struct Disagreement {
    kind: String,
    report: String,
}

fn describe(f: &Finding) -> String {
    let mut s = format!("{} {}", f.diagnostic.code, f.diagnostic.message);
    if let Some(w) = &f.witness {
        s.push_str(&format!(
            "\n      counterexample {}{}",
            w.case_json(),
            w.at.map(|t| format!(" at {}", pol::time::format_instant(t, 0)))
                .unwrap_or_default()
        ));
    }
    s
}

/// Checks that a counterexample shows what its finding claims; `None` if it does.
fn witness_fails(f: &Finding, p: &Policy, e: &Engines) -> Option<String> {
    let w = f.witness.as_ref()?;
    let json = w.case_json();
    let eval = |engine: &pol::Engine| engine.evaluate_json(&json, w.at).ok();
    let fires_engine = e.fires.as_ref().unwrap_or(&e.effective);
    let (Some(plain), Some(eff), Some(fires)) =
        (eval(&e.plain), eval(&e.effective), eval(fires_engine))
    else {
        return Some("the counterexample is not a valid case".into());
    };
    let names = quoted(&f.diagnostic.message);
    let first = names.first().cloned().unwrap_or_default();
    let units = p.units();
    let unit = |name: &str| units.iter().position(|u| u.name == name);
    let ok = match f.diagnostic.code {
        "A0001" => plain
            .actions
            .iter()
            .any(|a| a.id == first && a.reason == Some(UndecidedReason::Conflict)),
        "A0002" => {
            plain
                .outcome_details
                .iter()
                .any(|o| o.id == first && o.reason == Some(UndecidedReason::Conflict))
                || plain
                    .ticket_fields
                    .iter()
                    .any(|d| d.id == first && d.value_reason == Some(UndecidedReason::Conflict))
        }
        "A0003" => {
            plain
                .actions
                .iter()
                .any(|a| a.id == first && a.reason == Some(UndecidedReason::NoRule))
                || plain
                    .outcome_details
                    .iter()
                    .any(|o| o.id == first && o.status == OutcomeStatus::Unset)
        }
        "A0005" => unit(&first).is_some_and(|u| {
            asked(&fires, &format!("u{u}")) == Tri::T && asked(&eff, &format!("u{u}")) == Tri::F
        }),
        "A0006" => {
            let second = names.get(1).cloned().unwrap_or_default();
            [first.as_str(), second.as_str()]
                .iter()
                .all(|n| unit(n).is_some_and(|u| asked(&eff, &format!("u{u}")) == Tri::T))
        }
        "A0007" | "A0009" | "A0010" => {
            let t: usize = first.trim_start_matches('t').parse().unwrap_or(usize::MAX);
            let rows: Vec<usize> = units
                .iter()
                .enumerate()
                .filter(|(_, u)| u.name.starts_with(&format!("{first}[")))
                .map(|(i, _)| i)
                .collect();
            let firing = rows
                .iter()
                .filter(|u| asked(&fires, &format!("u{u}")) == Tri::T)
                .count();
            if f.diagnostic.code == "A0007" {
                firing >= 2
            } else {
                let when = p.tables().get(t).is_some_and(|table| {
                    table.when.is_none() || asked(&fires, &format!("w{t}")) == Tri::T
                });
                when && rows
                    .iter()
                    .all(|u| asked(&fires, &format!("u{u}")) == Tri::F)
            }
        }
        _ => true,
    };
    (!ok).then(|| format!("the counterexample does not show it: {json}"))
}

/// Runs the analysis and brute force on one policy; the disagreements.
/// `strict`: also a counterexample the analysis could not confirm (and dropped) disagrees.
fn differ(
    p: &Policy,
    cases: Vec<String>,
    at: Option<i64>,
    strict: bool,
) -> (Vec<Disagreement>, usize) {
    let (engines, compiled) = Engines::new(p);
    let units = p.units();
    let names: Vec<&str> = compiled
        .policy
        .rules
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let ours: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        ours,
        "the rules are numbered another way\n{}",
        p.source(generate::Form::AsGenerated)
    );
    let (findings, stats) = analysis::analyse_with_stats(&compiled.policy, &Options::default());
    let mut truth = Truth::default();
    for case in cases {
        let o = brute::observe(&engines, units.len(), p, &case, at);
        brute::record(&mut truth, p, &units, &o, &case, at);
    }
    let expected = brute::expected(&truth, p, &units);
    let mut got: BTreeMap<(String, String), &Finding> = BTreeMap::new();
    let mut out = Vec::new();
    let src = p.source(generate::Form::AsGenerated);
    let all: Vec<String> = findings.iter().map(describe).collect();
    let mut report = |kind: String, what: String| {
        out.push(Disagreement {
            report: format!(
                "{kind}: {what}\n--- policy\n{src}--- the analysis reports\n    {}\n--- brute force expects\n{}",
                all.join("\n    "),
                expected
                    .iter()
                    .map(|((c, n), why)| format!("    {c} `{n}`: {why}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            kind,
        })
    };
    for f in &findings {
        let code = f.diagnostic.code;
        if code == "W0011" {
            report("W0011 not checked".into(), describe(f));
            continue;
        }
        if !CODES.contains(&code) {
            continue;
        }
        let name = quoted(&f.diagnostic.message)
            .into_iter()
            .next()
            .unwrap_or_default();
        got.insert((code.to_string(), name), f);
        if let Some(why) = witness_fails(f, p, &engines) {
            report(
                format!("{code} bad counterexample"),
                format!("{}: {why}", describe(f)),
            );
        }
        let needs_case = matches!(code, "A0001" | "A0002" | "A0003");
        if needs_case && f.witness.is_none() {
            report(format!("{code} without counterexample"), describe(f));
        }
        if code == "A0006" {
            // The named rule must be one brute force accepts as the reason.
            let names = quoted(&f.diagnostic.message);
            let (r1, r2) = (
                names.first().cloned().unwrap_or_default(),
                names.get(1).cloned().unwrap_or_default(),
            );
            let k = |n: &str| {
                units
                    .iter()
                    .find(|u| u.name == n)
                    .map(|u| u.effects.iter().collect::<BTreeSet<_>>())
            };
            let superset = matches!((k(&r1), k(&r2)), (Some(a), Some(b)) if a.is_subset(&b));
            if !superset || truth.has(&format!("eff {r1} not {r2}")) {
                report("A0006 wrong reason".into(), describe(f));
            }
        }
    }
    for (key, why) in &expected {
        if !got.contains_key(key) {
            report(format!("{} missed", key.0), format!("`{}`: {why}", key.1));
        }
    }
    for (key, f) in &got {
        if !expected.contains_key(key) {
            report(format!("{} false", key.0), describe(f));
        }
    }
    for i in truth.inconsistent.iter().take(1) {
        report("evaluator inconsistent".into(), i.clone());
    }
    if stats.unconfirmed > 0 && strict {
        report(
            "counterexample not confirmed by the analysis (dropped)".into(),
            format!("unconfirmed {}", stats.unconfirmed),
        );
    }
    if stats.skipped > 0 || stats.inexact > 0 {
        report(
            "analysis incomplete".into(),
            format!(
                "unconfirmed {} skipped {} inexact {} {:?}",
                stats.unconfirmed, stats.skipped, stats.inexact, stats.inexact_facts
            ),
        );
    }
    (out, truth.cases)
}

/// Most cases enumerated for one policy.
const MOST_CASES: usize = 300;

/// Runs `count` policies; panics with the first disagreements of each kind.
fn run(seed: u64, count: usize, shape: Shape, cap: usize, at: Option<i64>) {
    let start = std::time::Instant::now();
    // Two halves on two threads, each from its own seed.
    let halves: Vec<Half> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2u64)
            .map(|h| {
                s.spawn(move || {
                    half(
                        seed.wrapping_add(h.wrapping_mul(0x9E37_79B9)),
                        count / 2 + (count % 2) * h as usize,
                        shape,
                        cap,
                        at,
                    )
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker panicked"))
            .collect()
    });
    let mut by_kind: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let (mut evaluated, mut failed, mut too_large) = (0, 0, 0);
    for (kinds, e, f, t) in halves {
        evaluated += e;
        failed += f;
        too_large += t;
        for (k, (n, first)) in kinds {
            by_kind.entry(k).or_insert((0, first)).0 += n;
        }
    }
    eprintln!(
        "{count} policies ({too_large} more generated with too many cases), {evaluated} cases evaluated, in {:?}",
        start.elapsed()
    );
    if !by_kind.is_empty() {
        let mut msg = format!("{failed} of {count} policies disagree\n");
        for (kind, (n, first)) in &by_kind {
            msg.push_str(&format!("\n===== {kind}: {n} times; the first:\n{first}\n"));
        }
        panic!("{msg}");
    }
}

type Half = (BTreeMap<String, (usize, String)>, usize, usize, usize);

/// One thread's share: the disagreements by kind, cases evaluated, policies that disagree, policies generated again.
fn half(seed: u64, count: usize, shape: Shape, cap: usize, at: Option<i64>) -> Half {
    let mut rng = Rng(seed);
    let mut by_kind: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut evaluated = 0;
    let mut failed = 0;
    let mut too_large = 0;
    for i in 0..count {
        // Policies with too many cases to enumerate are generated again.
        let (p, cases) = loop {
            let p = generate::generate(&mut rng, shape);
            match brute::cases(&p, cap, MOST_CASES) {
                Some(c) => break (p, c),
                None => too_large += 1,
            }
        };
        let t = std::time::Instant::now();
        let (ds, n) = differ(&p, cases, at, shape.catch_all);
        if std::env::var("DIFF_TRACE").is_ok() {
            eprintln!(
                "policy {i}: {n} cases, {too_large} too large so far, {:?}",
                t.elapsed()
            );
        }
        evaluated += n;
        failed += usize::from(!ds.is_empty());
        for d in ds {
            let e = by_kind
                .entry(d.kind)
                .or_insert((0, format!("seed {seed:#x}, policy {i}: {}", d.report)));
            e.0 += 1;
        }
    }
    (by_kind, evaluated, failed, too_large)
}

/// The constructs the analysis decides exactly and with counterexamples that show the finding.
const EXACT: Shape = Shape {
    max_facts: 12,
    kinds: &[Kind::Bool, Kind::Enum, Kind::Int],
    lets: true,
    tables: true,
    answered: false,
    let_columns: false,
    catch_all: false,
    table_when: false,
};

fn count() -> usize {
    std::env::var("DIFF_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn analysis_equals_brute_force_on_generated_policies() {
    run(0x9E37_79B9_7F4A_7C15, count(), EXACT, 60, None);
}

/// Every construct. The analysis disagrees with brute force here; minimal cases:
/// - a table's `when` is ignored when the cells compare with constants:
///   `table t hit unique complete when x | x => a | true => allowed |` gets A0009,
///   though every case where `x` holds has a row (no counterexample);
/// - `let` columns are read as free: with `let big = n > 2`, the table
///   `hit first | big | n => a | true | - => allowed | - | <= 2 => forbidden |`
///   gets A0010 for `big = false, n = 3`, which no case gives;
/// - `rule r0 when n is unanswered then require a` beside
///   `rule r1 when n > 2 or n <= 2 then require a` is called redundant (A0006),
///   but for `{"n": null}` only `r0` applies (`r1` waits for good); the
///   counterexample is dropped (`Stats::unconfirmed`);
/// - a rule or row that applies to the empty case (`hit first | x => a | true =>
///   allowed | - => forbidden |` with a rule overriding the table when `not x`)
///   is rightly always overridden (A0005), but its counterexample is the empty
///   case, where no overriding rule applies: dropped, or printed without showing it.
#[test]
#[ignore = "the analysis still disagrees with brute force on some policies with `is answered`, `let` table columns, a table's `when` and catch-all rows (about 7 in 100; see the doc)"]
fn analysis_equals_brute_force_with_every_construct() {
    run(
        0x6A09_E667_F3BC_C909,
        count(),
        Shape {
            answered: true,
            let_columns: true,
            catch_all: true,
            table_when: true,
            ..EXACT
        },
        150,
        None,
    );
}

/// Date-times compared with `now` and each other at several offsets:
/// `rule r24 when now > t + 24 hours then require a` and
/// `rule r48 when now > t + 48 hours then forbid a` conflict when `t` is 49
/// hours before `now` (the analysis reads such comparisons through atoms).
#[test]
fn analysis_equals_brute_force_on_time_offsets() {
    run(
        0x2545_F491_4F6C_DD1D,
        300,
        Shape {
            max_facts: 3,
            kinds: &[Kind::DateTime, Kind::DateTime, Kind::Bool],
            lets: false,
            tables: false,
            answered: false,
            let_columns: false,
            catch_all: false,
            table_when: false,
        },
        400,
        Some(T0),
    );
}
