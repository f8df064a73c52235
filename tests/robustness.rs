//! No input makes pol panic: truncated and mangled policies, malformed cases.

use std::path::PathBuf;

/// The `.pol` files of a folder, sorted.
fn pol_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    files.sort();
    files
}

fn policy_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/fixtures"] {
        for f in pol_files(dir) {
            out.push((
                f.display().to_string(),
                std::fs::read_to_string(&f).unwrap(),
            ));
        }
    }
    out
}

/// Runs `f` on a thread with a 2 MiB stack and fails the test if it panicked: a
/// stack overflow there aborts the whole test binary, so deep recursion shows up.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    let outcome = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join();
    if let Err(payload) = outcome {
        std::panic::resume_unwind(payload);
    }
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
    on_small_stack(|| {
        for (name, src) in policy_sources() {
            // Every character boundary in the first part, then every line end.
            let mut cuts: Vec<usize> = src.char_indices().map(|(i, _)| i).take(1500).collect();
            cuts.extend(src.match_indices('\n').map(|(i, _)| i));
            for cut in cuts {
                let prefix = &src[..cut];
                must_not_panic(&name, prefix);
            }
        }
    });
}

#[test]
fn deleting_or_duplicating_a_token_never_panics() {
    on_small_stack(|| {
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
    });
}

#[test]
fn hostile_inputs_get_diagnostics() {
    on_small_stack(|| {
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
    });
}

#[test]
fn malformed_cases_get_errors_not_panics() {
    on_small_stack(|| {
        let src = std::fs::read_to_string("tests/fixtures/case_schema.pol").unwrap();
        let policy = pol::Engine::new(pol::compile(&src, "case_schema.pol").unwrap().policy);
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
    });
}

/// What a literal in a policy's text is, as the grammar reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Decimal,
    Date,
    Time,
    /// `date_end` is where the date part ends (at the `T`); the time part runs to
    /// `time_end`, a zone may follow it.
    DateTime {
        date_end: usize,
        time_end: usize,
    },
    /// The literal's span is the count; `unit_end` is where the unit word ends.
    Duration {
        unit_end: usize,
    },
    /// A quoted string compared with `==` / `!=` or given as a fact value (`name: "…"`).
    Text,
}

#[derive(Debug, Clone, Copy)]
struct Literal {
    start: usize,
    end: usize,
    kind: Kind,
}

fn digits_from(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    j
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The end of `H:MM` or `H:MM:SS` starting at `i`, if there is one.
fn time_core(b: &[u8], i: usize) -> Option<usize> {
    let h = digits_from(b, i);
    if !(1..=2).contains(&(h - i)) || b.get(h) != Some(&b':') {
        return None;
    }
    let m = digits_from(b, h + 1);
    if m - (h + 1) != 2 {
        return None;
    }
    if b.get(m) == Some(&b':') && digits_from(b, m + 1) == m + 3 {
        return Some(m + 3);
    }
    Some(m)
}

/// The end of `YYYY-M-D` starting at `i`, if there is one.
fn date_core(b: &[u8], i: usize) -> Option<usize> {
    let y = digits_from(b, i);
    if y - i != 4 || b.get(y) != Some(&b'-') {
        return None;
    }
    let m = digits_from(b, y + 1);
    if !(1..=2).contains(&(m - (y + 1))) || b.get(m) != Some(&b'-') {
        return None;
    }
    let d = digits_from(b, m + 1);
    (1..=2).contains(&(d - (m + 1))).then_some(d)
}

/// The end of the duration unit after the count that ends at `i`
/// (`48 working hours`, `2 days`), if the count is a duration.
fn duration_unit(src: &str, i: usize) -> Option<usize> {
    let rest = &src[i..];
    let after_ws = rest.trim_start_matches([' ', '\t']);
    if after_ws.len() == rest.len() {
        return None;
    }
    let mut at = i + rest.len() - after_ws.len();
    if let Some(r) = src[at..].strip_prefix("working") {
        let r2 = r.trim_start_matches([' ', '\t']);
        if r2.len() < r.len() {
            at = src.len() - r2.len();
        }
    }
    let word_end = at + src[at..].bytes().take_while(|c| is_ident_byte(*c)).count();
    let units = [
        "seconds", "second", "minutes", "minute", "hours", "hour", "days", "day", "weeks", "week",
    ];
    units.contains(&&src[at..word_end]).then_some(word_end)
}

/// Every literal of `src`, skipping `#` comments and strings that are not compared
/// values. A simple scanner over the text, following `grammar/pol.pest`.
fn literals(src: &str) -> Vec<Literal> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            let before = src[..start].trim_end();
            let compared = before.ends_with("==") || before.ends_with("!=");
            let given = before.ends_with(':')
                && before[..before.len() - 1]
                    .bytes()
                    .last()
                    .is_some_and(is_ident_byte);
            if compared || given {
                out.push(Literal {
                    start,
                    end: i,
                    kind: Kind::Text,
                });
            }
        } else if is_ident_byte(c) && !c.is_ascii_digit() {
            while i < b.len() && is_ident_byte(b[i]) {
                i += 1;
            }
        } else if c.is_ascii_digit() {
            let start = i;
            let (end, kind) = if let Some(d) = date_core(b, i) {
                match (b.get(d), time_core(b, d + 1)) {
                    (Some(b'T'), Some(t)) => {
                        let mut z = t;
                        if b.get(t) == Some(&b'Z') {
                            z = t + 1;
                        } else if matches!(b.get(t), Some(b'+' | b'-')) {
                            z = t + 6;
                        }
                        let kind = Kind::DateTime {
                            date_end: d,
                            time_end: t,
                        };
                        (z.min(b.len()), kind)
                    }
                    _ => (d, Kind::Date),
                }
            } else if let Some(t) = time_core(b, i) {
                (t, Kind::Time)
            } else {
                let j = digits_from(b, i);
                if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
                    (digits_from(b, j + 1), Kind::Decimal)
                } else if let Some(unit_end) = duration_unit(src, j) {
                    (j, Kind::Duration { unit_end })
                } else {
                    (j, Kind::Int)
                }
            };
            out.push(Literal { start, end, kind });
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

const INTS: &[&str] = &[
    "0",
    "-1",
    "1",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "99999999999999999999999",
];
const DECIMALS: &[&str] = &[
    "0.0",
    "79228162514264337593543950335.0",
    "79228162514264337593543950336.0",
    "-79228162514264337593543950335.0",
    "0.0000000000000000000000000001",
];
const DATES: &[&str] = &[
    "0001-01-01",
    "9999-12-31",
    "2024-02-29",
    "2023-02-29",
    "10000-01-01",
];
const TIMES: &[&str] = &["00:00", "23:59", "24:00", "23:60"];
const COUNTS: &[&str] = &["0", "999999999999", "9223372036854775807"];

/// Every source made from `src` by replacing one literal with one boundary value,
/// with a label saying which.
fn mutations(src: &str, lit: &Literal) -> Vec<(String, String)> {
    let text = &src[lit.start..lit.end];
    let mut out = Vec::new();
    let mut put = |start: usize, end: usize, value: &str| {
        let label = format!("{text:?} at byte {} -> {value:?}", lit.start);
        out.push((label, format!("{}{}{}", &src[..start], value, &src[end..])));
    };
    match lit.kind {
        Kind::Int => INTS.iter().for_each(|v| put(lit.start, lit.end, v)),
        Kind::Decimal => DECIMALS.iter().for_each(|v| put(lit.start, lit.end, v)),
        Kind::Date => DATES.iter().for_each(|v| put(lit.start, lit.end, v)),
        Kind::Time => TIMES.iter().for_each(|v| put(lit.start, lit.end, v)),
        Kind::DateTime { date_end, time_end } => {
            DATES.iter().for_each(|v| put(lit.start, date_end, v));
            TIMES.iter().for_each(|v| put(date_end + 1, time_end, v));
        }
        Kind::Duration { unit_end } => {
            COUNTS.iter().for_each(|v| put(lit.start, lit.end, v));
            put(lit.start, unit_end, "999999999999 working days");
        }
        Kind::Text => {
            let long = format!("\"{}\"", "x".repeat(10_000));
            for v in ["\"\"", "\"\\\\\"", "\"\u{FEFF}\u{0}\"", &long] {
                put(lit.start, lit.end, v);
            }
        }
    }
    out
}

/// The first word of the top-level item (`rule`, `let`, `example`, …) that holds
/// byte `at`: the last line before it that starts in the first column.
fn item_of(src: &str, at: usize) -> &str {
    src[..at]
        .lines()
        .rev()
        .find(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("")
}

/// Counts of what [`every_literal_at_its_boundary_values`] did.
#[derive(Debug, Default)]
struct Tally {
    literals: usize,
    /// Literals in `example` blocks, which get two of their values.
    sampled: usize,
    mutations: usize,
    compiled: usize,
    evaluations: usize,
    decisions: usize,
}

/// Boundary-value substitution of every literal in the shipped policies.
///
/// For every `.pol` in `policies/`, [`literals`] finds every integer, decimal,
/// date, time, datetime (its date part and its time part separately), duration
/// count (`48 working hours`, `2 days`) and every string that is a compared value
/// (`== "…"`, `!= "…"`) or a fact value in an example (`name: "…"`); text in
/// `# …` comments and all other strings are skipped. Each literal is replaced,
/// one at a time, by every value of its kind: integers by [`INTS`], decimals by
/// [`DECIMALS`], dates by [`DATES`], times by [`TIMES`], duration counts by
/// [`COUNTS`] and the whole duration by `999999999999 working days`, strings by
/// an empty, a backslash, a BOM + NUL and a 10 000-character string. Literals
/// in rules, lets, the policy header, the calendar and every other item get
/// every value; literals in `example` blocks (most of the text: their `at`
/// times and fact values) get two values each, taken in turn from the list so
/// that every value is used at some example literal. Every
/// mutated source goes through `analysis::check_source` and `render::human`; one
/// that is rejected must carry at least one error. One that compiles evaluates
/// every one of the policy's shipped cases (`policies/cases/<policy>/*.json`)
/// at the policy's validity start (its `valid from`,
/// else its `valid until`, else the epoch) and at `None`. Nothing may panic or
/// overflow a 2 MiB stack.
#[test]
fn every_literal_at_its_boundary_values() {
    on_small_stack(|| {
        let mut tally = Tally::default();
        let mut kinds_seen = std::collections::BTreeMap::<String, usize>::new();
        let files = pol_files("policies");
        assert!(files.len() >= 5, "the shipped policies are missing");
        for file in &files {
            let name = file.display().to_string();
            let src = std::fs::read_to_string(file).unwrap();
            let stem = file.file_stem().unwrap().to_string_lossy().to_string();
            let mut cases: Vec<PathBuf> = std::fs::read_dir(format!("policies/cases/{stem}"))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            cases.sort();
            let cases: Vec<String> = cases
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect();
            assert!(!cases.is_empty(), "{name}: no shipped cases");
            assert!(
                pol::compile(&src, &name).is_ok(),
                "{name}: the shipped policy must compile"
            );
            let lits = literals(&src);
            tally.literals += lits.len();
            for lit in &lits {
                let kind = format!("{:?}", lit.kind);
                *kinds_seen
                    .entry(kind.split(' ').next().unwrap().to_string())
                    .or_default() += 1;
                let all = mutations(&src, lit);
                let n = all.len();
                let thorough = item_of(&src, lit.start) != "example";
                if !thorough {
                    tally.sampled += 1;
                }
                for (j, (label, mutated)) in all.into_iter().enumerate() {
                    if !thorough && (j + tally.sampled) % n >= 2 {
                        continue;
                    }
                    tally.mutations += 1;
                    let checked =
                        pol::analysis::check_source(&mutated, &name, None, &Default::default());
                    let _ = pol::render::human(&checked.diagnostics, &name, &mutated, false);
                    let Some(compiled) = &checked.compiled else {
                        assert!(
                            checked.diagnostics.iter().any(|d| d.is_error()),
                            "{name}: {label}: rejected without an error"
                        );
                        continue;
                    };
                    tally.compiled += 1;
                    let start = compiled
                        .policy
                        .meta
                        .valid_from
                        .or(compiled.policy.meta.valid_until)
                        .unwrap_or(0);
                    let policy = &pol::Engine::new(compiled.policy.clone());
                    for case in &cases {
                        for at in [Some(i64::from(start) * 86_400), None] {
                            tally.evaluations += 1;
                            if policy.evaluate_json(case, at).is_ok() {
                                tally.decisions += 1;
                            }
                        }
                    }
                }
            }
        }
        eprintln!("{} policies, {tally:?}, kinds {kinds_seen:?}", files.len());
        // The scanner found every kind of literal the policies use, and the
        // substitutions reached the evaluator.
        for kind in ["Int", "Date", "Time", "DateTime", "Duration", "Text"] {
            assert!(kinds_seen.contains_key(kind), "no {kind} literal found");
        }
        assert!(tally.compiled > 0 && tally.compiled < tally.mutations);
        assert!(tally.decisions > 0);
    });
}

/// The scanner behind [`every_literal_at_its_boundary_values`] finds each kind of
/// literal, and skips comments, identifiers with digits and uncompared strings.
#[test]
fn the_literal_scanner_finds_every_kind() {
    let src = "let a = x >= 12 and y < 1.5 # 99 in a comment\n\
               rule r_1x24h valid from 2025-06-30\n  when t > 08:00 and n == \"k\" \"9\"\n\
               at 2025-05-05T10:00+07:00 within 48 working hours, 2 days c: \"v\"";
    let found: Vec<(&str, String)> = literals(src)
        .iter()
        .map(|l| {
            let kind = format!("{:?}", l.kind);
            (
                &src[l.start..l.end],
                kind.split(' ').next().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("12", "Int"),
        ("1.5", "Decimal"),
        ("2025-06-30", "Date"),
        ("08:00", "Time"),
        ("\"k\"", "Text"),
        ("2025-05-05T10:00+07:00", "DateTime"),
        ("48", "Duration"),
        ("2", "Duration"),
        ("\"v\"", "Text"),
    ];
    let expected: Vec<(&str, String)> = expected.iter().map(|(t, k)| (*t, k.to_string())).collect();
    assert_eq!(found, expected);
}
