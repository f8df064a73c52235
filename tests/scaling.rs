//! Large but legal policies: the work of `pol check` grows with the size of the
//! policy, not exponentially or quadratically, and where the analysis is
//! combinatorial it stops at a work limit and says so (W0011). Also: no panic
//! on decimals near the maximum, `edit_distance` on very long texts, and long
//! source lines rendered as a window.

use pol::analysis::{self, Options, Stats};

const HEAD: &str = "policy p {\n  title \"T\"\n}\n";

/// `let x1 = x0 + x0; let x2 = x1 + x1; …`: each derived fact uses the previous one twice.
fn let_chain(n: usize) -> String {
    let mut s = format!("{HEAD}case {{\n  x0: int \"x\" ask \"x?\"\n}}\n");
    for i in 1..=n {
        s += &format!("let x{i} = x{} + x{}\n", i - 1, i - 1);
    }
    s += &format!("action a \"A\"\nrule r\n  quote \"q\"\n  when x{n} > 3\n  then allow a\n");
    s
}

/// `rule r1 overrides r0`, `rule r2 overrides r1`, … over a decimal, which the
/// analysis splits by candidate values (one per threshold): the shadowing checks
/// then cost rules² steps.
fn override_chain(n: usize) -> String {
    let mut s = format!("{HEAD}case {{\n  x: decimal \"x\" ask \"x?\"\n}}\naction a \"A\"\n");
    for i in 0..n {
        let ov = if i > 0 {
            format!(" overrides r{}", i - 1)
        } else {
            String::new()
        };
        s += &format!("rule r{i}{ov}\n  quote \"q\"\n  when x > {i}\n  then allow a\n");
    }
    s
}

/// A `hit unique` table with one row per value of `x`; `dup` repeats row 1 at the end.
fn table(n: usize, dup: bool) -> String {
    let mut s = format!(
        "{HEAD}case {{\n  x: int \"x\" ask \"x?\"\n  y: int \"y\" ask \"y?\"\n}}\noutcome o: int \"O\"\n"
    );
    s += "table t\n  quote \"q\"\n  | x | y => o |\n";
    for i in 0..n {
        s += &format!("  | {i} | - => {i} |\n");
    }
    if dup {
        s += "  | 1 | 5 => 1 |\n";
    }
    s
}

/// `n` facts, each compared with the next one and with a constant.
fn compared_facts(n: usize) -> String {
    let mut s = format!("{HEAD}case {{\n");
    for i in 0..n {
        s += &format!("  f{i}: int \"f\" ask \"f?\"\n");
    }
    s += "}\naction a \"A\"\n";
    for i in 0..n.saturating_sub(1) {
        s += &format!(
            "rule r{i}\n  quote \"q\"\n  when f{i} > f{} + 1 and f{i} < 100\n  then allow a\n",
            i + 1
        );
    }
    s
}

fn check(source: &str, opts: &Options) -> analysis::Checked {
    analysis::check_source(source, "scaling.pol", None, opts)
}

fn codes(c: &analysis::Checked) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn a_chain_of_lets_is_read_once_per_let() {
    // Expanded into their uses, 60 lets would be 2^60 terms.
    let source = let_chain(60);
    let checked = check(&source, &Options::default());
    let compiled = checked.compiled.as_ref().expect("the policy compiles");
    assert!(checked.stats.nodes < 100, "{:?}", checked.stats);
    // The evaluator gives the value (2^40 > 3 for x0 = 1 after 40 doublings;
    // 2^60 still fits in an int).
    let d = pol::Engine::new(compiled.policy.clone())
        .evaluate_json(r#"{"x0": 1}"#, None)
        .expect("the case is valid");
    let a = d.actions.iter().find(|a| a.id == "a").expect("action a");
    assert!(!a.because.is_empty(), "rule r applies: {a:?}");
    // The same amount of analysis work for 30 and for 60 lets.
    let small = check(&let_chain(30), &Options::default()).stats;
    assert_eq!(small.nodes, checked.stats.nodes);
}

/// The work the analysis did, and whether it said it stopped.
fn work(source: &str, opts: &Options) -> (Stats, bool) {
    let c = check(source, opts);
    let stopped = codes(&c).contains(&"W0011");
    (c.stats, stopped)
}

#[test]
fn the_analysis_work_limit_is_kept_and_reported() {
    let opts = Options {
        max_total: 20_000,
        ..Options::default()
    };
    for n in [200, 400] {
        let (stats, stopped) = work(&override_chain(n), &opts);
        assert!(
            stats.nodes <= opts.max_total + opts.max_nodes,
            "{n} rules: {stats:?}"
        );
        assert!(stopped, "{n} rules: the limit is reached and said");
        assert!(stats.skipped > 0);
    }
    // Within the limit, nothing is said.
    let (stats, stopped) = work(&override_chain(5), &Options::default());
    assert!(!stopped && stats.skipped == 0, "{stats:?}");
}

#[test]
fn the_warning_names_what_was_not_checked() {
    let opts = Options {
        max_total: 2_000,
        ..Options::default()
    };
    let c = check(&override_chain(100), &opts);
    let w = c
        .diagnostics
        .iter()
        .find(|d| d.code == "W0011")
        .expect("W0011 reported");
    assert!(
        w.labels
            .iter()
            .any(|l| l.message.contains("not checked: whether rule `r")),
        "{w:?}"
    );
}

#[test]
fn table_rows_are_compared_through_an_index() {
    // 3000 rows: comparing every pair would be 4.5 million pairs of rows over
    // about 9000 candidate values, past the table check's work limit of 4
    // million steps; through the index each row meets only the rows sharing
    // its value.
    let opts = Options {
        dead: false,
        redundant: false,
        ..Options::default()
    };
    let big = check(&table(3000, false), &opts);
    let found = codes(&big);
    assert!(!found.contains(&"W0011"), "{found:?}");
    assert!(!found.contains(&"A0007"), "{found:?}");
    // An overlap is still found, at the end of a large table, with a case.
    let dup = check(&table(3000, true), &opts);
    let overlap = dup
        .diagnostics
        .iter()
        .find(|d| d.code == "A0007")
        .expect("rows 2 and 3001 overlap");
    assert!(overlap.message.contains("3001"), "{}", overlap.message);
    assert!(overlap.counterexample.is_some(), "{overlap:?}");
}

#[test]
fn facts_compared_with_each_other_stay_bounded() {
    // A ring of facts compared pairwise: read through atoms, decided exactly,
    // with work that grows with the ring, not with groups × gaps × size.
    let opts = Options::default();
    let big = check(&compared_facts(300), &opts);
    assert!(
        big.stats.inexact_facts.is_empty(),
        "{:?}",
        big.stats.inexact_facts
    );
    assert_eq!(
        (big.stats.skipped, big.stats.inexact),
        (0, 0),
        "{:?}",
        big.stats
    );
    let small = check(&compared_facts(30), &opts);
    assert!(small.stats.inexact_facts.is_empty());
    // The redundancy check compares every pair of rules with the same effects
    // (here all 300): ten times the rules, about a hundred times the work.
    assert!(
        big.stats.nodes <= 150 * small.stats.nodes,
        "30 facts: {} steps, 300 facts: {} steps",
        small.stats.nodes,
        big.stats.nodes
    );
}

#[test]
fn decimals_near_the_maximum_do_not_panic() {
    let max = "79228162514264337593543950335.0";
    for cond in [
        format!("d > {max}"),
        format!("d < -{max}"),
        format!("d + {max} > 1"),
        format!("d - {max} < -1"),
        format!("d > {max} and e < d + 1.5"),
        format!("d >= {max} or d <= -{max}"),
        format!("d in -{max} .. {max}"),
    ] {
        let source = format!(
            "{HEAD}case {{\n  d: decimal \"d\" ask \"d?\"\n  e: decimal \"e\" ask \"e?\"\n}}\naction a \"A\"\nrule r\n  quote \"q\"\n  when {cond}\n  then allow a\n"
        );
        let c = check(&source, &Options::default());
        assert!(c.compiled.is_some(), "{cond}: {:?}", codes(&c));
    }
    // Table cells at the maximum too.
    let source = format!(
        "{HEAD}case {{\n  d: decimal \"d\" ask \"d?\"\n}}\noutcome o: int \"O\"\ntable t\n  quote \"q\"\n  | d => o |\n  | {max} => 1 |\n  | -{max} => 2 |\n"
    );
    let c = check(&source, &Options::default());
    assert!(c.compiled.is_some(), "{:?}", codes(&c));
}

#[test]
fn edit_distance_of_very_long_texts_is_not_computed() {
    let source = format!(
        "{HEAD}case {{\n  a: text \"a\" ask \"a?\"\n  b: text \"b\" ask \"b?\"\n}}\naction call \"Call\"\nrule close\n  quote \"q\"\n  when edit_distance(a, b) == 1\n  then allow call\n"
    );
    let policy = pol::Engine::new(pol::compile(&source, "e.pol").expect("compiles").policy);
    let long_a = "1".repeat(200_000);
    let long_b = format!("{}2", "1".repeat(199_999));
    let case = serde_json::json!({ "a": long_a, "b": long_b }).to_string();
    // 200k × 200k steps would take minutes; the limit answers at once.
    let d = policy.evaluate_json(&case, None).expect("valid case");
    assert!(
        d.warnings
            .iter()
            .any(|w| w.code == "W0102" && w.message.contains("1000 characters")),
        "{:?}",
        d.warnings
    );
    // Short texts still get their distance.
    let case = serde_json::json!({ "a": "0811", "b": "0812" }).to_string();
    let d = policy.evaluate_json(&case, None).expect("valid case");
    let call = d.actions.iter().find(|a| a.id == "call").expect("call");
    assert!(!call.because.is_empty());
    assert!(d.warnings.is_empty());
    assert_eq!(pol::builtins::edit_distance(&long_a, &long_b), None);
}

#[test]
fn did_you_mean_skips_long_names_and_far_lengths() {
    let long = "a".repeat(200_000);
    assert_eq!(pol::diagnostic::did_you_mean(&long, ["aaa"]), None);
    assert_eq!(
        pol::diagnostic::did_you_mean("recipent", [long.as_str(), "recipient"]),
        Some("recipient".to_string())
    );
}

#[test]
fn a_long_line_is_shown_as_a_window() {
    // 170 KB on one line, one unknown name far along it.
    let mut s = format!("{HEAD}case {{ x: int \"x\" ask \"x?\" }} action a \"A\" ");
    let mut i = 0;
    while s.len() < 170_000 {
        s += &format!("rule r{i} quote \"q\" when x > {i} then allow a ");
        i += 1;
    }
    s += "rule bad quote \"q\" when y > 1 then allow a\n";
    let diags = match pol::compile_at(&s, "long.pol", None) {
        Ok(c) => c.warnings,
        Err(d) => d,
    };
    let e = diags
        .iter()
        .find(|d| d.code == "E0101")
        .expect("y is unknown");
    let shown = pol::render::human(std::slice::from_ref(e), "long.pol", &s, false);
    assert!(shown.len() < 1_000, "{} bytes:\n{shown}", shown.len());
    assert!(shown.contains("when y > 1"), "{shown}");
    assert!(shown.contains('\u{2026}'), "{shown}");
    // The real column of `y` in the file.
    let col = s.find("when y > 1").expect("y") + "when ".len() + 1 - HEAD.len();
    assert!(shown.contains(&format!("long.pol:4:{col}")), "{shown}");
    let all = pol::render::human(&diags, "long.pol", &s, false);
    assert!(all.len() < 100_000, "{} bytes", all.len());
}
