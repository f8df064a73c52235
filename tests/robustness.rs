//! No input makes pol panic: truncated and mangled policies, malformed cases.

use std::path::PathBuf;

fn policy_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/fixtures"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pol"))
            .collect();
        files.sort();
        for f in files {
            out.push((
                f.display().to_string(),
                std::fs::read_to_string(&f).unwrap(),
            ));
        }
    }
    out
}

/// Compiling must return a policy, or at least one diagnostic.
fn must_not_panic(name: &str, src: &str) {
    if let Err(diags) = pol::compile(src, name) {
        assert!(!diags.is_empty(), "{name}: an error without a diagnostic");
        let _ = pol::render::human(&diags, name, src, false);
    }
}

#[test]
fn every_prefix_of_every_policy_gets_a_diagnostic_not_a_panic() {
    for (name, src) in policy_sources() {
        // Every character boundary in the first part, then every line end.
        let mut cuts: Vec<usize> = src.char_indices().map(|(i, _)| i).take(1500).collect();
        cuts.extend(src.match_indices('\n').map(|(i, _)| i));
        for cut in cuts {
            let prefix = &src[..cut];
            must_not_panic(&name, prefix);
        }
    }
}

#[test]
fn deleting_or_duplicating_a_token_never_panics() {
    for (name, src) in policy_sources() {
        let tokens: Vec<(usize, usize)> = {
            let mut v = Vec::new();
            let mut start = None;
            for (i, c) in src.char_indices() {
                match (c.is_whitespace(), start) {
                    (false, None) => start = Some(i),
                    (true, Some(s)) => {
                        v.push((s, i));
                        start = None;
                    }
                    _ => {}
                }
            }
            v
        };
        let step = (tokens.len() / 300).max(1);
        for &(s, e) in tokens.iter().step_by(step) {
            let deleted = format!("{}{}", &src[..s], &src[e..]);
            must_not_panic(&name, &deleted);
            let duplicated = format!("{}{} {}", &src[..e], &src[s..e], &src[e..]);
            must_not_panic(&name, &duplicated);
        }
    }
}

#[test]
fn hostile_inputs_get_diagnostics() {
    let deep = format!(
        "policy p {{ title \"t\" }}\nlet x = {}true{}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    must_not_panic("deep.pol", &deep);
    let nots = format!(
        "policy p {{ title \"t\" }}\nlet x = {}true\n",
        "not ".repeat(10_000)
    );
    must_not_panic("nots.pol", &nots);
    let negs = format!(
        "policy p {{ title \"t\" }}\nlet x = {}1\n",
        "-".repeat(10_000)
    );
    must_not_panic("negs.pol", &negs);
    let big = "#".repeat(3 * 1024 * 1024);
    let diags = pol::compile(&big, "big.pol").unwrap_err();
    assert_eq!(diags[0].code, "E0008");
    for s in [
        "",
        "\u{FEFF}",
        "\"",
        "policy",
        "policy p {",
        "policy p { title \"x\" } rule",
        "\0\0\0",
        "policy p { title “x” }",
    ] {
        must_not_panic("odd.pol", s);
    }
}

#[test]
fn malformed_cases_get_errors_not_panics() {
    let src = std::fs::read_to_string("tests/fixtures/case_schema.pol").unwrap();
    let policy = pol::compile(&src, "case_schema.pol").unwrap().policy;
    let valid = r#"{"flag": true, "count": 1, "amount": "2.50", "note": "x", "channel": "voice", "day": "2025-02-01", "started_at": "2025-02-01T09:00:00+07:00", "clock": "09:00", "waited": "PT10M", "tags": ["vip"]}"#;
    assert!(policy.evaluate_json(valid, None).is_ok());
    // Every prefix of a valid case, and a set of odd values for every fact.
    for i in 0..valid.len() {
        let _ = policy.evaluate_json(&valid[..i], None);
    }
    let odd = [
        "null",
        "true",
        "0",
        "-1",
        "1e400",
        "18446744073709551616",
        "\"\"",
        "\"2025-13-45\"",
        "\"25:61\"",
        "\"P\"",
        "\"PT\"",
        "[]",
        "[null]",
        "{}",
        "\"\\u0000\"",
        "1.5",
        "[\"vip\", \"vip\"]",
    ];
    for fact in [
        "flag",
        "count",
        "amount",
        "note",
        "channel",
        "day",
        "started_at",
        "clock",
        "waited",
        "tags",
    ] {
        for v in odd {
            let _ = policy.evaluate_json(&format!("{{\"{fact}\": {v}}}"), None);
        }
    }
    for s in [
        "",
        "[]",
        "1",
        "\"x\"",
        "null",
        "{\"a\":",
        "{\"flag\": true,}",
        "\u{FEFF}{}",
    ] {
        assert!(
            policy.evaluate_json(s, None).is_err(),
            "{s:?} should be rejected"
        );
    }
}
