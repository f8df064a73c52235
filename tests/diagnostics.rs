//! Every diagnostic code: a policy in `tests/diagnostics/CODE_what.pol` that
//! triggers it, its rendered form snapshotted, and an entry in docs/diagnostics.md.

use std::path::{Path, PathBuf};

/// The date the "expired" lint compares with, fixed so snapshots are stable.
const TODAY: &str = "2026-01-01";

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn code_of(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .split('_')
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
fn each_diagnostic_case_reports_its_code() {
    let today = pol::time::parse_date(TODAY);
    let cases = files("tests/diagnostics", "pol");
    assert!(
        cases.len() >= 30,
        "expected at least 30 diagnostic cases, found {}",
        cases.len()
    );
    for path in cases {
        let name = path.to_string_lossy().replace('\\', "/");
        let code = code_of(&path);
        // A file that is not UTF-8 (E0014) is reported before parsing.
        let (source, diags) = match pol::policy_text(std::fs::read(&path).unwrap()) {
            Ok(source) => {
                let mut diags = match pol::compile_at(&source, &name, today) {
                    Ok(c) => c.warnings,
                    Err(d) => d,
                };
                // The quote check, as `pol check` runs it (E07xx).
                if let Ok(file) = pol::syntax::parse(&source) {
                    let quotes = pol::quotes::check_quotes(&file, &path);
                    if !quotes.is_empty() {
                        diags.extend(quotes);
                        diags.sort_by_key(|d| {
                            (d.primary_span().map(|s| s.start).unwrap_or(0), d.severity)
                        });
                    }
                }
                (source, diags)
            }
            Err(bad) => (bad.shown, vec![bad.diagnostic]),
        };
        assert!(
            diags.iter().any(|d| d.code == code),
            "{name} should report {code}, but reported {:?}",
            diags.iter().map(|d| d.code).collect::<Vec<_>>()
        );
        let rendered = pol::render::human(&diags, &name, &source, false);
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("case")
            .to_string();
        insta::assert_snapshot!(stem, rendered);
    }
}

#[test]
fn each_case_error_reports_its_code() {
    let source = std::fs::read_to_string("tests/fixtures/case_schema.pol").unwrap();
    let policy = pol::Engine::new(
        pol::compile(&source, "tests/fixtures/case_schema.pol")
            .unwrap()
            .policy,
    );
    let cases = files("tests/case_errors", "json");
    assert!(!cases.is_empty());
    for path in cases {
        let code = code_of(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        let err = policy
            .evaluate_json(&text, None)
            .expect_err("the case should be rejected");
        assert_eq!(err.code, code, "{}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("case")
            .to_string();
        insta::assert_snapshot!(
            stem,
            format!("{err}\nexpected: {}\nfound: {}", err.expected, err.found)
        );
    }
}

/// Every code the source can emit has a test case and a docs entry.
#[test]
fn every_code_is_tested_and_documented() {
    let mut codes = std::collections::BTreeSet::new();
    let mut stack = vec![PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, _) in text.match_indices('"') {
                    let cand = text.get(i + 1..i + 6).unwrap_or("");
                    let closing = text.get(i + 6..i + 7) == Some("\"");
                    let mut chars = cand.chars();
                    if closing
                        && matches!(chars.next(), Some('E' | 'W'))
                        && chars.all(|c| c.is_ascii_digit())
                    {
                        codes.insert(cand.to_string());
                    }
                }
            }
        }
    }
    assert!(codes.len() >= 30, "only {} codes found", codes.len());
    let docs = std::fs::read_to_string("docs/diagnostics.md").unwrap();
    let mut tested: std::collections::BTreeSet<String> = files("tests/diagnostics", "pol")
        .iter()
        .map(|p| code_of(p))
        .collect();
    // Codes the analysis reports have their case in tests/analysis/.
    tested.extend(files("tests/analysis", "pol").iter().map(|p| code_of(p)));
    tested.extend(
        files("tests/case_errors", "json")
            .iter()
            .map(|p| code_of(p)),
    );
    // Codes raised while evaluating are asserted by name in the integration tests.
    let integration = std::fs::read_to_string("tests/eval.rs").unwrap_or_default()
        + &std::fs::read_to_string("tests/robustness.rs").unwrap_or_default()
        + &std::fs::read_to_string("tests/cli_edges.rs").unwrap_or_default();
    for code in &codes {
        assert!(
            docs.contains(&format!("## {code}")),
            "{code} has no `## {code}` entry in docs/diagnostics.md"
        );
        if code == "E0000" {
            continue; // internal error: reported only on a bug in pol
        }
        assert!(
            tested.contains(code) || integration.contains(code),
            "{code} has no case in tests/diagnostics/, tests/analysis/ or tests/case_errors/ and no test in tests/eval.rs"
        );
    }
}
