//! No input within the limits overflows the stack: expressions as deep as
//! `MAX_EXPR_DEPTH` (long `and`/`or`/`+` chains, nested brackets, `not` runs,
//! long tables) are compiled, analysed and evaluated inside a thread with a
//! 2 MiB stack; deeper ones are refused with E0015 before any stage recurses.

use pol::syntax::ast::{Item, TableDecl};
use pol::syntax::MAX_EXPR_DEPTH;
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL_STACK: usize = 2 * 1024 * 1024;

const HEADER: &str = "policy deep {\n  title \"t\"\n}\n\ncase {\n  a: int \"A\"\n  x: bool \"X\"\n}\n\naction q \"Q\"\n\n";

/// The cases each generated policy is evaluated on: all known (the plain
/// boolean path), nothing known (the three-valued path and refinement), mixed.
const CASES: &[&str] = &[r#"{"a": 1, "x": true}"#, "{}", r#"{"x": false}"#];

fn chain(term: &str, op: &str, n: usize) -> String {
    vec![term; n].join(&format!(" {op} "))
}

fn rule(cond: &str) -> String {
    format!("{HEADER}rule r\n  when {cond}\n  then require q\n")
}

/// `n` levels in a rule condition (`and` and `or` chains) or a `let`.
fn and_chain(n: usize) -> String {
    rule(&chain("x", "and", n))
}
fn or_chain(n: usize) -> String {
    rule(&chain("x", "or", n))
}
/// `a + … + a > 0`: n - 1 sums and the comparison.
fn sum_in_rule(n: usize) -> String {
    rule(&format!("{} > 0", chain("a", "+", n - 1)))
}
fn sum_in_let(n: usize) -> String {
    format!(
        "{HEADER}let s \"S\" = {} > 0\n\nrule r\n  when s\n  then require q\n",
        chain("a", "+", n - 1)
    )
}
/// 48 `not` around an `and` chain: the prefix run and the chain add up.
fn nots_around_chain(n: usize) -> String {
    rule(&format!(
        "{}({})",
        "not ".repeat(47),
        chain("x", "and", n - 47)
    ))
}
/// `((x and x) and x and x) and x and x`: 36 bracket levels, each adding
/// a chain of `and`s to the one inside it.
fn nested_chains(n: usize) -> String {
    let levels = 36;
    let per = (n - 1) / levels;
    let mut cond = chain("x", "and", n - per * levels);
    for _ in 0..levels {
        cond = format!("({cond}) and {}", chain("x", "and", per));
    }
    rule(&cond)
}
/// A table whose row condition is `when`, then one `and` per column, each
/// cell an `or` of its tests.
fn table(columns: usize, tests: usize) -> String {
    let cell = (0..tests)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{HEADER}table t\n  when x\n  | {} => q |\n  | {} => required |\n",
        vec!["a"; columns].join(" | "),
        vec![cell.as_str(); columns].join(" | ")
    )
}

/// Each hostile shape, as a generator of a policy with a given depth.
type Shape = fn(usize) -> String;

const SHAPES: &[(&str, Shape)] = &[
    ("and", and_chain),
    ("or", or_chain),
    ("sum in a rule", sum_in_rule),
    ("sum in a let", sum_in_let),
    ("not run around a chain", nots_around_chain),
    ("nested chains", nested_chains),
];

/// Runs `f` in a thread with a 2 MiB stack: a stack overflow aborts the test.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// What every stage made of a source: the diagnostic codes, and how many
/// cases were evaluated.
#[derive(Debug)]
struct Outcome {
    codes: Vec<&'static str>,
    decisions: usize,
}

/// Compiles, analyses, renders and evaluates `source` on the cases.
fn every_stage(source: String, cases: Vec<String>) -> Outcome {
    on_small_stack(move || {
        let checked = pol::analysis::check_source(&source, "deep.pol", None, &Default::default());
        let _ = pol::render::human(&checked.diagnostics, "deep.pol", &source, false);
        let _ = pol::render::json(&checked.diagnostics, "deep.pol", &source);
        let mut decisions = 0;
        if let Some(compiled) = &checked.compiled {
            let policy = &pol::Engine::new(compiled.policy.clone());
            for case in &cases {
                if policy.evaluate_json(case, None).is_ok() {
                    decisions += 1;
                }
                let mut out = Vec::new();
                let _ = policy.evaluate_json_into(case, None, &mut out);
            }
            let _ = pol::testing::run_examples(policy);
        }
        Outcome {
            codes: checked.diagnostics.iter().map(|d| d.code).collect(),
            decisions,
        }
    })
}

fn generated(source: String) -> Outcome {
    every_stage(source, CASES.iter().map(|c| c.to_string()).collect())
}

/// The depth of the deepest expression a source holds, as the parser built it.
fn deepest(source: &str) -> usize {
    let file = pol::syntax::parse(source).unwrap();
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Rule(r) => r.when.as_ref().map(|e| e.depth()),
            Item::Let(l) => Some(l.value.depth()),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn generators_build_what_they_promise() {
    for (name, shape) in SHAPES {
        for n in [MAX_EXPR_DEPTH - 1, MAX_EXPR_DEPTH] {
            assert_eq!(deepest(&shape(n)), n, "{name} at {n}");
        }
    }
}

#[test]
fn expressions_at_the_limit_pass_every_stage_on_a_small_stack() {
    for (name, shape) in SHAPES {
        for n in [MAX_EXPR_DEPTH - 1, MAX_EXPR_DEPTH] {
            let out = generated(shape(n));
            assert!(
                !out.codes.iter().any(|c| c.starts_with('E')),
                "{name} at {n}: {out:?}"
            );
            assert_eq!(out.decisions, CASES.len(), "{name} at {n}: {out:?}");
        }
    }
}

#[test]
fn expressions_past_the_limit_get_e0015() {
    for (name, shape) in SHAPES {
        for n in [MAX_EXPR_DEPTH + 1, 20_000] {
            let out = generated(shape(n));
            assert_eq!(out.codes, ["E0015"], "{name} at {n}");
            assert_eq!(out.decisions, 0);
        }
    }
}

#[test]
fn e0015_points_at_the_operator_past_the_limit_and_counts_the_whole_chain() {
    let source = and_chain(20_000);
    let diags = pol::compile(&source, "deep.pol").unwrap_err();
    assert_eq!(diags.len(), 1);
    let d = &diags[0];
    assert_eq!(d.code, "E0015");
    assert!(
        d.message.contains("20000 levels, the limit is 256"),
        "{}",
        d.message
    );
    let at = d.primary_span().unwrap();
    assert_eq!(&source[at.start as usize..at.end as usize], "and");
    // The operator joining term MAX_EXPR_DEPTH and the next one.
    let before = &source[source.find("when").unwrap()..at.start as usize];
    assert_eq!(before.matches(" and ").count(), MAX_EXPR_DEPTH - 1);
}

#[test]
fn tables_at_the_limit_pass_and_past_it_get_e0015() {
    // when (1) + columns + the deepest cell (tests + not + comparison + value).
    let cell = |tests: usize| tests + 3;
    let columns = 100;
    let tests = MAX_EXPR_DEPTH - 1 - columns - cell(0);
    let out = generated(table(columns, tests));
    assert!(!out.codes.iter().any(|c| c.starts_with('E')), "{out:?}");
    assert_eq!(out.decisions, CASES.len());
    for (columns, tests) in [(columns, tests + 1), (20_000, 1), (1, 20_000)] {
        let out = generated(table(columns, tests));
        assert_eq!(out.codes, ["E0015"], "{columns} columns, {tests} tests");
    }
}

#[test]
fn a_long_list_is_not_deep() {
    let items: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    let out = generated(rule(&format!("a in [{}]", items.join(", "))));
    assert!(!out.codes.iter().any(|c| c.starts_with('E')), "{out:?}");
    assert_eq!(out.decisions, CASES.len());
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == ext));
    v.sort();
    v
}

#[test]
fn shipped_policies_and_their_cases_pass_every_stage_on_a_small_stack() {
    let policies = files(Path::new("policies"), "pol");
    assert!(policies.len() >= 5);
    for path in policies {
        let source = std::fs::read_to_string(&path).unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let cases: Vec<String> = files(&Path::new("policies/cases").join(&stem), "json")
            .iter()
            .map(|c| std::fs::read_to_string(c).unwrap())
            .collect();
        let n = cases.len();
        let out = every_stage(source.clone(), cases);
        assert_eq!(out.decisions, n, "{}: {out:?}", path.display());
        // The real policies stay far below the limit.
        assert!(deepest(&source) * 4 < MAX_EXPR_DEPTH, "{}", path.display());
        let tables = pol::syntax::parse(&source).unwrap().items.into_iter();
        for t in tables.filter_map(|i| match i {
            Item::Table(t) => Some(t),
            _ => None,
        }) {
            assert!(row_depth(&t) * 4 < MAX_EXPR_DEPTH, "{}", t.name.name);
        }
    }
}

fn row_depth(t: &TableDecl) -> usize {
    let when = t.when.as_ref().map_or(0, |w| w.depth());
    let cells = t.rows.iter().flat_map(|r| &r.inputs);
    when + t.inputs.len() + cells.map(|c| c.tests.len() + 3).max().unwrap_or(0)
}

#[test]
fn batch_workers_evaluate_an_expression_at_the_limit() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deep-batch");
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("deep.pol");
    std::fs::write(&policy, sum_in_rule(MAX_EXPR_DEPTH)).unwrap();
    let input = dir.join("cases.jsonl");
    let lines: Vec<String> = (0..60)
        .map(|i| format!(r#"{{"a": {}, "x": {}}}"#, i % 5, i % 2 == 0))
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["eval", policy.to_str().unwrap(), "--batch"])
        .arg(&input)
        .args(["--threads", "2"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), lines.len());
    // Each line is a Decision, not an error record: `a` > 0 requires `q`.
    let required = stdout
        .lines()
        .filter(|l| l.contains("\"required\""))
        .count();
    assert_eq!(
        required,
        lines.iter().filter(|l| !l.contains("\"a\": 0")).count()
    );
}
